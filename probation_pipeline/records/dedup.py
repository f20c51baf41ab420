"""Which raw rows of an area stand: latest inspection only, exact duplicates once, conflicts out."""

from __future__ import annotations

import pandas as pd

from probation_pipeline.records.canonical import file_stems

CONFLICTING_DUPLICATE = (
    "conflicting duplicate: another row of this inspection has the same case reference"
)
CASE_IN_SEVERAL_AREAS = "case in the latest inspections of several areas"


def file_inspection_ids(raw: pd.DataFrame) -> pd.Series:
    """The inspection each row's file stands for (from its name, which the reader has checked)."""
    return file_stems(raw["source_file"])


def supersede_earlier_inspections(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split an area's rows into those of its latest inspection and those superseded.

    Inspection ids end in the fieldwork month (`<area>-YYYY-MM`), so the latest is the greatest.
    """
    inspections = file_inspection_ids(raw)
    if inspections.empty:
        return raw, raw.iloc[0:0]
    latest = inspections == inspections.max()
    return raw[latest], raw[~latest]


def drop_exact_duplicates(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first of byte-identical rows (same keyed fingerprint); return kept and dropped."""
    repeated = rows.duplicated("row_fingerprint", keep="first")
    return rows[~repeated], rows[repeated]


def split_conflicting_duplicates(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows sharing a case reference with a different row: all of them are conflicts."""
    clash = rows.duplicated("case_id", keep=False)
    return rows[~clash], rows[clash]
