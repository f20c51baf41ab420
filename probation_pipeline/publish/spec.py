"""The publication spec (`publication.yaml`), with its templates filled from the configuration.

Every renderer (xlsx, ODS, data dictionary, report) takes its words from one `PublicationSpec`.
Method and note sentences name thresholds only through placeholders, filled here from the files that
set them (`ratings.yaml` bands and confidence level, `models.yaml` p-values, `disclosure.yaml`
minimum base), so a changed threshold changes every sentence that states it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from probation_pipeline.reference import Reference

SPEC_NAME = "publication.yaml"


class PublicationSpecError(ValueError):
    """publication.yaml (or a file its templates read) is missing a field or has a bad one."""


@dataclass(frozen=True)
class Release:
    """Release metadata shown on the cover and in the report header."""

    title: str
    subtitle: str
    series: str
    producer: str
    status: str
    release_date: date
    source: str
    contact: str
    contact_email: str | None = None


@dataclass(frozen=True)
class Column:
    """One column of a published CSV: heading on reader sheets, kind and meaning."""

    name: str
    heading: str
    kind: str
    description: str
    label: str | None = None
    reader: bool = True


@dataclass(frozen=True)
class Sheet:
    name: str
    title: str
    note: str


@dataclass(frozen=True)
class PublicationSpec:
    """Everything a reader reads around the numbers; see data/reference/publication.yaml."""

    release: Release
    synthetic_notice: str
    variables: Mapping[str, Mapping[str, str]]
    levels: Mapping[str, Mapping[str, str]]
    national_area: str
    decimals: Mapping[str, int]
    p_floor: float
    notes: Mapping[str, str]
    method: tuple[str, ...]
    sheets: Mapping[str, Sheet]
    columns: Mapping[str, Mapping[str, Column]]
    area_names: Mapping[str, str] = field(default_factory=dict)
    key_areas: Mapping[str, str] = field(default_factory=dict)
    questions: Mapping[str, str] = field(default_factory=dict)
    entry_p: float = 0.05
    removal_p: float = 0.10
    quarantine_rules: Mapping[str, str] = field(default_factory=dict)

    def reason_text(self, reason: object) -> str:
        """A quarantine reason (rule names joined by `; `, or a sentence) in words."""
        parts = [part.strip() for part in str(reason).split("; ") if part.strip()]
        words = [self.quarantine_rules.get(part, part.replace("_", " ")) for part in parts]
        text = "; ".join(words)
        return text[:1].upper() + text[1:]

    def variable_label(self, code: object) -> str:
        entry = self.variables.get(str(code))
        return entry["label"] if entry else str(code)

    def variable_in_sentence(self, code: object) -> str:
        entry = self.variables.get(str(code))
        return entry["in_sentence"] if entry else str(code).replace("_", " ")

    def level_label(self, kind: str, code: object) -> str:
        return self.levels.get(kind, {}).get(str(code), str(code))

    def term_label(self, term: object) -> str:
        """`constant` -> Constant; `ogrs_band=Medium` -> `OGRS band: Medium`."""
        text = str(term)
        if "=" not in text:
            return self.level_label("term", text)
        variable, level = text.split("=", 1)
        return f"{self.variable_label(variable)}: {self.level_label(variable, level)}"


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping) or key not in mapping:
        raise PublicationSpecError(f"{where}: missing field {key!r}")
    return mapping[key]


def percent_text(share: float) -> str:
    """0.8 -> `80%`, 0.675 -> `67.5%` (no float noise)."""
    value = (Decimal(str(share)) * 100).normalize()
    return f"{value:f}%"


def describe_bands(bands: Sequence[Mapping[str, Any]]) -> str:
    """`Outstanding 80% or more; Good 65% to under 80%; ...; Inadequate under 50%`."""
    ordered = sorted(bands, key=lambda band: float(band["min_share"]), reverse=True)
    parts = []
    for index, band in enumerate(ordered):
        floor = float(band["min_share"])
        ceiling = float(ordered[index - 1]["min_share"]) if index else None
        if ceiling is None:
            parts.append(f"{band['rating']} {percent_text(floor)} or more")
        elif floor <= 0:
            parts.append(f"{band['rating']} under {percent_text(ceiling)}")
        else:
            parts.append(f"{band['rating']} {percent_text(floor)} to under {percent_text(ceiling)}")
    return "; ".join(parts)


def template_values(reference: Reference) -> dict[str, str]:
    """The placeholders of method and note templates, from the files that set each value."""
    ratings, disclosure, models = reference.ratings, reference.disclosure, reference.models
    bands = [{"rating": band.rating, "min_share": float(band.min_share)} for band in ratings.bands]
    return {
        "bands": describe_bands(bands),
        "confidence": percent_text(ratings.confidence_level),
        "key_areas": "; ".join(area.label for area in ratings.key_areas),
        "entry_p": f"{models.entry_p:g}",
        "removal_p": f"{models.removal_p:.2f}",
        "min_base": str(disclosure.min_base),
        # Each meaning is a sentence: joined by spaces, never by "; " (no stray ".;").
        "shorthand": " ".join(
            f"{code} {str(meaning).strip()}" for code, meaning in disclosure.shorthand.items()
        ),
    }


def _fill(template: str, values: Mapping[str, str], where: str) -> str:
    try:
        return " ".join(str(template).split()).format(**values)
    except KeyError as error:
        raise PublicationSpecError(f"{where}: unknown placeholder {error}") from error


def load_spec(reference: Reference) -> PublicationSpec:
    """Read `publication.yaml` of `reference.folder` and fill its templates.

    Raises PublicationSpecError naming the file and field when one is missing or unknown.
    """
    path: Path = reference.folder / SPEC_NAME
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = SPEC_NAME
    release = _require(raw, "release", where)
    values = template_values(reference)
    try:
        release_record = Release(**release)
    except TypeError as error:
        raise PublicationSpecError(f"{where}: release: {error}") from error
    columns = {
        stem: {
            name: Column(
                name=str(name),
                heading=str(_require(entry, "heading", f"{where}: columns.{stem}.{name}")),
                kind=str(_require(entry, "kind", f"{where}: columns.{stem}.{name}")),
                description=str(entry.get("description", "")),
                label=entry.get("label"),
                reader=bool(entry.get("reader", True)),
            )
            for name, entry in spec_columns.items()
        }
        for stem, spec_columns in _require(raw, "columns", where).items()
    }
    sheets = {
        stem: Sheet(str(entry["name"]), str(entry["title"]), str(entry["note"]))
        for stem, entry in _require(raw, "sheets", where).items()
    }
    areas = reference.pcc_areas
    questions = reference.questions
    return PublicationSpec(
        release=release_record,
        synthetic_notice=" ".join(str(_require(raw, "synthetic_notice", where)).split()),
        variables=_require(raw, "variables", where),
        levels={kind: {str(k): str(v) for k, v in m.items()} for kind, m in raw["levels"].items()},
        national_area=str(_require(raw, "national_area", where)),
        decimals={str(k): int(v) for k, v in _require(raw, "decimals", where).items()},
        p_floor=float(_require(raw, "p_floor", where)),
        notes={
            key: _fill(text, values, f"{where}: notes.{key}")
            for key, text in _require(raw, "notes", where).items()
        },
        method=tuple(
            _fill(text, values, f"{where}: method[{index}]")
            for index, text in enumerate(_require(raw, "method", where))
        ),
        sheets=sheets,
        columns=columns,
        area_names=dict(zip(areas["area_slug"], areas["pcc_area"], strict=True)),
        key_areas={
            **{area.name: area.label for area in reference.ratings.key_areas},
            "overall": "Overall (lowest key area)",
        },
        questions=dict(zip(questions["question_id"], questions["wording"], strict=True)),
        entry_p=reference.models.entry_p,
        removal_p=reference.models.removal_p,
        quarantine_rules={str(k): str(v) for k, v in raw.get("quarantine_rules", {}).items()},
    )
