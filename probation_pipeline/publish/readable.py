"""Reader-facing values from the published frames, as `publication.yaml` describes each column.

Two views of each tidy frame:
- `labelled_frame`: the CSV. Every contract column keeps its code and meaning; each code column is
  followed by its label column (question wording, area name, variable and level labels).
- `reader_frame`: the workbook sheets and the report. Code and bookkeeping columns are left out,
  headings are words, booleans Yes/No, numbers rounded as the spec says, p-values `<0.001` or to 3
  decimal places, and a missing value is shorthand (`[c]`, `[x]`, `[z]`) explained in the notes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.publish.data_files import is_shorthand
from probation_pipeline.publish.spec import Column, PublicationSpec, PublicationSpecError
from probation_pipeline.stats.disclosure import NOT_APPLICABLE, NOT_AVAILABLE

# Number format of each kind of column on reader sheets (xlsx/ODS format codes).
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "percent": "0.0",
    "share": "0.000",
    "statistic": "0.000",
    "coefficient": "0.000",
    "r2": "0.000",
    "p_value": "0.000",
}
_DECIMALS_OF_KIND = {
    "percent": "percent",
    "share": "share",
    "statistic": "statistic",
    "coefficient": "coefficient",
    "r2": "r2",
    "p_value": "p_value",
}


@dataclass(frozen=True)
class ReaderTable:
    """A reader frame (headings in words) and the number format of each numeric heading."""

    frame: pd.DataFrame
    formats: dict[str, str]


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[arg-type]


def _labeller(spec: PublicationSpec, label: str) -> Callable[[object], object]:
    def selected(value: object) -> object:
        names = [name.strip() for name in str(value).replace(";", ",").split(",") if name.strip()]
        return ", ".join(spec.variable_label(name) for name in names) or "None"

    functions: dict[str, Callable[[object], object]] = {
        "question": lambda code: spec.questions.get(str(code), str(code)),
        "variable_label": spec.variable_label,
        "provider_label": lambda code: spec.level_label("provider", code),
        "scope_label": lambda code: spec.level_label("scope", code),
        "area_name": lambda code: spec.area_names.get(str(code), str(code)),
        "key_area_label": lambda code: spec.key_areas.get(str(code), str(code)),
        "driven_by_label": lambda code: spec.key_areas.get(str(code), str(code)),
        "action_label": lambda code: spec.level_label("action", code),
        "term_label": spec.term_label,
        "selected_label": selected,
    }
    if label not in functions:
        raise PublicationSpecError(f"publication.yaml: no labeller for label column {label!r}")
    return functions[label]


def labelled_frame(stem: str, frame: pd.DataFrame, spec: PublicationSpec) -> pd.DataFrame:
    """`frame` with a label column after each code column; every column must be in the spec.

    Raises PublicationSpecError for a column publication.yaml does not describe (it would reach
    readers without a heading or a dictionary entry).
    """
    described = spec.columns.get(stem, {})
    unknown = [str(column) for column in frame.columns if column not in described]
    if unknown:
        raise PublicationSpecError(
            f"publication.yaml: columns.{stem} does not describe column(s) {unknown}"
        )
    result = frame.reset_index(drop=True).copy()
    for name in list(frame.columns):
        column = described[name]
        if column.kind != "code" or not column.label:
            continue
        label = _labeller(spec, column.label)
        values = result[name].map(
            lambda value, label=label: None if _missing(value) else label(value)
        )
        if name == "area":
            # A national row has no area: name the whole country instead.
            values = values.where(result[name].notna(), spec.national_area)
        position = list(result.columns).index(name) + 1
        result.insert(position, column.label, values.astype(object))
    return result


def dictionary_rows(stem: str, frame: pd.DataFrame, spec: PublicationSpec) -> list[dict[str, str]]:
    """Rows of the data dictionary for one labelled frame: file, column, heading, kind, meaning."""
    rows = []
    for name in frame.columns:
        column = spec.columns[stem][name]
        labelled_by = f" Its words are in column {column.label}." if column.label else ""
        rows.append(
            {
                "file": f"{stem}.csv",
                "column": str(name),
                "heading": column.heading,
                "kind": column.kind,
                "description": column.description + labelled_by,
            }
        )
    return rows


def reader_frame(stem: str, labelled: pd.DataFrame, spec: PublicationSpec) -> ReaderTable:
    """The reader view of a labelled frame (see the module docstring)."""
    described = spec.columns[stem]
    shown: list[Column] = [
        described[name]
        for name in labelled.columns
        if described[name].reader and described[name].kind != "code"
    ]
    row_shorthand = _row_shorthand(labelled)
    data: dict[str, list[object]] = {}
    formats: dict[str, str] = {}
    for column in shown:
        data[column.heading] = [
            _reader_value(value, column.kind, spec, shorthand)
            for value, shorthand in zip(labelled[column.name], row_shorthand, strict=True)
        ]
        if column.kind in NUMBER_FORMATS:
            formats[column.heading] = NUMBER_FORMATS[column.kind]
    frame = pd.DataFrame(data, columns=[column.heading for column in shown])
    if frame.empty:
        # A sheet needs a row: one of [x] says there is nothing to show (no variable entered).
        frame = pd.DataFrame([{heading: NOT_AVAILABLE for heading in frame.columns}])
    return ReaderTable(frame.astype(object), formats)


def _row_shorthand(frame: pd.DataFrame) -> list[str]:
    """What a missing value of each row means: its display shorthand, [x] if noted, else [z]."""
    marks = [NOT_APPLICABLE] * len(frame)
    if "pct_display" in frame.columns:
        for index, value in enumerate(frame["pct_display"]):
            if is_shorthand(value):
                marks[index] = str(value).strip()
    if "note" in frame.columns:
        for index, value in enumerate(frame["note"]):
            if not _missing(value) and str(value).strip():
                marks[index] = NOT_AVAILABLE
    return marks


def _reader_value(value: object, kind: str, spec: PublicationSpec, shorthand: str) -> object:
    if isinstance(value, str) and is_shorthand(value):
        return value.strip()
    if _missing(value) or (isinstance(value, str) and not value.strip()):
        return shorthand
    if kind == "boolean":
        return spec.level_label("boolean", bool(value))
    if kind == "count":
        return int(value)  # type: ignore[call-overload]
    if kind in _DECIMALS_OF_KIND:
        number = float(value)  # type: ignore[arg-type]
        if not np.isfinite(number):
            return NOT_AVAILABLE
        if kind == "p_value" and number < spec.p_floor:
            return f"<{spec.p_floor:g}"
        return round(number, spec.decimals[_DECIMALS_OF_KIND[kind]])
    return str(value)


def cell_text(value: object, number_format: str | None = None) -> str:
    """A reader value as report text: thousands separators, the sheet's decimals."""
    if isinstance(value, bool) or _missing(value):
        return "" if _missing(value) else str(value)
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        decimals = (
            number_format.split(".")[1].count("0") if number_format and "." in number_format else 1
        )
        return f"{float(value):,.{decimals}f}"
    return str(value)
