"""Reference data: areas, ethnicity mapping, questions, bands, errata, rating and disclosure config.

Everything here is read from `<data dir>/reference/`; nothing is a literal in code. Each file is
parsed once, here: the YAML settings into frozen dataclasses that are checked when they are loaded
(`ReferenceDataError` names the file and the field), the tables into frames.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

TABLE_VARIABLES: tuple[str, ...] = (
    "gender",
    "age_group",
    "ethnic_group",
    "supervision_type",
    "ogrs_band",
    "rosh_level",
)
"""Subgroup variables of Tables 1-7, in the bulletin's row order (after `all`)."""

PROVIDERS: tuple[str, ...] = ("CRC", "NPS")
MERGED_HIGH = "High/Very high"


CASE_RULE = "every_answered_question_yes"
"""The only case rule implemented (ratings.yaml `case_rule`)."""


class ReferenceDataError(ValueError):
    """A reference file lacks a field or holds a value of the wrong kind; names file and field."""

    def __init__(self, file: str, field: str, problem: str) -> None:
        super().__init__(f"{file}: {field}: {problem}")
        self.file, self.field = file, field


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


class _Fields:
    """Typed reads of one YAML mapping, every failure naming the file and the field."""

    def __init__(self, file: str, data: Any, prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            raise ReferenceDataError(file, prefix or "(top level)", "must be a mapping")
        self.file, self.data, self.prefix = file, data, prefix

    @classmethod
    def load(cls, folder: Path, file: str) -> _Fields:
        return cls(file, yaml.safe_load((folder / file).read_text()))

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(self.file, self._name(key), problem)

    def get(self, key: str, kinds: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.error(key, "missing")
            return default
        value = self.data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            raise self.error(key, f"{value!r} is not {_kind_names(kinds)}")
        return value

    def mapping(self, key: str) -> _Fields:
        return _Fields(self.file, self.get(key, Mapping), self._name(key))


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds: type | tuple[type, ...]) -> str:
    return " or ".join(kind.__name__ for kind in _tuple(kinds))


@dataclass(frozen=True)
class RatingBand:
    """A rating band: shares at or above `min_share` (exact fraction) get `rating`."""

    rating: str
    min_share: Fraction


@dataclass(frozen=True)
class KeyArea:
    """A key area of the standard; `questions` are those questions.csv rates in it."""

    name: str
    label: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class RatingsConfig:
    """ratings.yaml, with each key area's questions from questions.csv (`key_area`, `rated`)."""

    key_areas: tuple[KeyArea, ...]
    bands: tuple[RatingBand, ...]
    """Highest first; thresholds strictly descend and the last is 0."""
    confidence_level: float
    case_rule: str = CASE_RULE


@dataclass(frozen=True)
class DisclosureConfig:
    """disclosure.yaml: the threshold, whether level sums are protected, the shorthand notes."""

    min_base: int
    protect_level_sums: bool = True
    shorthand: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ModelsConfig:
    """models.yaml: a variable block enters when p < entry_p, leaves when p > removal_p."""

    entry_p: float
    removal_p: float


@dataclass(frozen=True)
class OperationsConfig:
    """operations.yaml: the raw-folder sensor and the full-refresh schedule."""

    sensor_interval_seconds: int
    sensor_settle_seconds: float
    refresh_cron: str
    refresh_timezone: str


@dataclass(frozen=True)
class BulletinConfig:
    """bulletin_2018_01.yaml: when the case records are the bulletin's inspections."""

    publication_id: str
    title: str
    areas_column: str
    fieldwork_start_from: dt.date
    fieldwork_start_to: dt.date
    one_inspection_per_area: bool


def _bands(fields: _Fields) -> tuple[RatingBand, ...]:
    entries = fields.get("bands", list)
    bands = []
    for index, entry in enumerate(entries):
        band = _Fields(fields.file, entry, f"bands[{index}]")
        share = band.get("min_share", (int, float))
        if not 0 <= share <= 1:
            raise band.error("min_share", f"{share!r} is not a share between 0 and 1")
        # Via the decimal text, so 0.65 is exactly 13/20 and not the nearest binary float.
        bands.append(RatingBand(band.get("rating", str), Fraction(Decimal(str(share)))))
    thresholds = [band.min_share for band in bands]
    if not bands or any(a <= b for a, b in itertools.pairwise(thresholds)):
        raise fields.error("bands", f"thresholds must strictly descend: {thresholds}")
    if thresholds[-1] != 0:
        raise fields.error("bands", "the lowest band must start at 0 so every share gets a band")
    return tuple(bands)


def _key_areas(fields: _Fields, questions: pd.DataFrame) -> tuple[KeyArea, ...]:
    labels = fields.mapping("key_areas")
    rated = questions[questions["rated"] == "yes"]
    unknown = sorted(set(rated["key_area"]) - set(labels.data))
    if unknown:
        raise ReferenceDataError("questions.csv", "key_area", f"{unknown} not in ratings.yaml")
    areas = []
    for name in labels.data:
        label = labels.mapping(str(name)).get("label", str)
        ids = tuple(rated.loc[rated["key_area"] == name, "question_id"])
        if not ids:
            raise labels.error(str(name), "no question of questions.csv is rated in it")
        areas.append(KeyArea(str(name), label, ids))
    return tuple(areas)


@dataclass(frozen=True)
class Reference:
    """Lazy accessors for the reference files in one folder."""

    folder: Path

    @cached_property
    def pcc_areas(self) -> pd.DataFrame:
        """area_slug, pcc_area, contract_package_area, crc_owner, nps_division, in_bulletin_2018_01."""
        return _read_csv(self.folder / "pcc_areas.csv")

    @cached_property
    def area_slugs(self) -> frozenset[str]:
        return frozenset(self.pcc_areas["area_slug"])

    @cached_property
    def ethnic_groups(self) -> dict[str, str | None]:
        """ONS 2011 label -> ethnic group; `Not stated` -> None (missing)."""
        frame = _read_csv(self.folder / "ethnicity_ons2011.csv")
        return {row.label: (row.ethnic_group or None) for row in frame.itertuples()}

    @cached_property
    def questions(self) -> pd.DataFrame:
        """question_id, table (int), key_area, rated (yes/no: counts towards the key area's
        rating), short_label, wording; in table order."""
        frame = _read_csv(self.folder / "questions.csv")
        bad = sorted(set(frame["rated"]) - {"yes", "no"})
        if bad:
            raise ReferenceDataError("questions.csv", "rated", f"{bad} are not yes/no")
        frame["table"] = frame["table"].astype(int)
        return frame.sort_values("table").reset_index(drop=True)

    @cached_property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(self.questions["question_id"])

    @cached_property
    def age_groups(self) -> pd.DataFrame:
        """age_group, min_age, max_age (nullable Int64; the last group is open-ended)."""
        frame = _read_csv(self.folder / "age_groups.csv")
        for column in ("min_age", "max_age"):
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        return frame

    @cached_property
    def ogrs_bands(self) -> pd.DataFrame:
        """ogrs_band, min_score, max_score (int), table_level (High/Very high merged)."""
        frame = _read_csv(self.folder / "ogrs_bands.csv")
        for column in ("min_score", "max_score"):
            frame[column] = frame[column].astype(int)
        return frame

    @cached_property
    def rosh_levels(self) -> pd.DataFrame:
        """rosh_level, table_level (High/Very high merged); in severity order."""
        return _read_csv(self.folder / "rosh_levels.csv")

    @cached_property
    def supervision_types(self) -> dict[str, str]:
        """sentence_type -> supervision_type."""
        frame = _read_csv(self.folder / "supervision_types.csv")
        return dict(zip(frame["sentence_type"], frame["supervision_type"], strict=True))

    @cached_property
    def bulletin_tables(self) -> pd.DataFrame:
        """The published Tables 1-7 exactly as printed (before errata)."""
        return _read_csv(self.folder / "bulletin_tables.csv")

    @cached_property
    def bulletin_question_ids(self) -> tuple[str, ...]:
        """The questions of the bulletin's Tables 1-7 (bulletin_tables.csv), in table order: the
        questions the reproduction checks and the calibrated sample know, whatever questions.csv
        adds."""
        tables = self.bulletin_tables
        order = tables["table"].astype(int).sort_values(kind="stable").index
        return tuple(dict.fromkeys(tables.loc[order, "question_id"]))

    @cached_property
    def errata(self) -> pd.DataFrame:
        return _read_csv(self.folder / "errata.csv")

    @cached_property
    def headline_counts(self) -> pd.DataFrame:
        return _read_csv(self.folder / "headline_counts.csv")

    @cached_property
    def ratings(self) -> RatingsConfig:
        """ratings.yaml (bands, key-area labels, confidence) and the rated questions."""
        fields = _Fields.load(self.folder, "ratings.yaml")
        case_rule = fields.get("case_rule", str, CASE_RULE)
        if case_rule != CASE_RULE:
            raise fields.error("case_rule", f"unknown rule {case_rule!r}; know {CASE_RULE}")
        confidence = float(fields.get("confidence_level", (int, float), 0.95))
        if not 0 < confidence < 1:
            raise fields.error("confidence_level", f"{confidence!r} is not between 0 and 1")
        return RatingsConfig(
            key_areas=_key_areas(fields, self.questions),
            bands=_bands(fields),
            confidence_level=confidence,
            case_rule=case_rule,
        )

    @cached_property
    def disclosure(self) -> DisclosureConfig:
        fields = _Fields.load(self.folder, "disclosure.yaml")
        min_base = fields.get("min_base", int)
        if min_base < 1:
            raise fields.error("min_base", f"{min_base!r} is not a positive integer")
        shorthand = fields.mapping("shorthand")
        return DisclosureConfig(
            min_base=min_base,
            protect_level_sums=fields.get("protect_level_sums", bool, True),
            shorthand=MappingProxyType(
                {str(k): shorthand.get(str(k), str) for k in shorthand.data}
            ),
        )

    @cached_property
    def models(self) -> ModelsConfig:
        """Significance levels of the stepwise regression (`models.yaml`)."""
        fields = _Fields.load(self.folder, "models.yaml")
        levels = {}
        for key in ("entry_p", "removal_p"):
            level = float(fields.get(key, (int, float)))
            if not 0 < level < 1:
                raise fields.error(key, f"{level!r} is not a significance level between 0 and 1")
            levels[key] = level
        return ModelsConfig(**levels)

    @cached_property
    def operations(self) -> OperationsConfig:
        """Sensor and schedule settings (`operations.yaml`)."""
        fields = _Fields.load(self.folder, "operations.yaml")
        sensor, refresh = fields.mapping("raw_sensor"), fields.mapping("full_refresh")
        return OperationsConfig(
            sensor_interval_seconds=sensor.get("interval_seconds", int),
            sensor_settle_seconds=float(sensor.get("settle_seconds", (int, float))),
            refresh_cron=refresh.get("cron", str),
            refresh_timezone=refresh.get("timezone", str),
        )

    @cached_property
    def bulletin(self) -> BulletinConfig:
        """The scope of the Bulletin 2018/01 reproduction check (`bulletin_2018_01.yaml`)."""
        fields = _Fields.load(self.folder, "bulletin_2018_01.yaml")
        areas_column = fields.get("areas_column", str)
        if areas_column not in self.pcc_areas.columns:
            raise fields.error("areas_column", f"{areas_column!r} is not a column of pcc_areas.csv")
        return BulletinConfig(
            publication_id=fields.get("publication_id", str),
            title=fields.get("title", str),
            areas_column=areas_column,
            fieldwork_start_from=fields.get("fieldwork_start_from", dt.date),
            fieldwork_start_to=fields.get("fieldwork_start_to", dt.date),
            one_inspection_per_area=fields.get("one_inspection_per_area", bool, True),
        )

    def table_levels(self, variable: str) -> tuple[str, ...]:
        """Levels of a table variable in the bulletin's row order (as in bulletin_tables.csv)."""
        tables = self.bulletin_tables
        levels = tables.loc[tables["variable"] == variable, "level"]
        return tuple(dict.fromkeys(levels))
