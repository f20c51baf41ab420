"""Hand-made case records for the stats and ratings tests (canonical columns and dtypes)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from probation_pipeline.records.columns import record_columns, with_record_dtypes
from probation_pipeline.reference import Reference
from probation_pipeline_tests.shipped import ANSWERS, REFERENCE_DIR

RECORD_COLUMNS = record_columns(ANSWERS)
"""The record's columns for the shipped questions and form versions."""

DEFAULTS: dict[str, Any] = {
    "area": "kent",
    "inspection_id": "kent-2016-10",
    "fieldwork_start": pd.Timestamp("2016-10-03"),
    "form_version": "v2",
    "provider": "CRC",
    "provider_name": "Kent, Surrey and Sussex CRC",
    "supervision_type": "Community sentence",
    "sentence_type": "Community Order",
    "gender": "Male",
    "age": 32,
    "age_group": "30-39",
    "ethnic_group": "White",
    "ogrs3_score": 40,
    "ogrs_band": "Low",
    "rosh_level": "Low",
    "mappa_eligible": False,
    "mappa_category": None,
    "source_file": "kent/kent-2016-10.csv",
}


def reference() -> Reference:
    return Reference(REFERENCE_DIR)


def make_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Case records with canonical dtypes; unspecified columns take DEFAULTS, judgements <NA>."""
    filled = []
    for number, row in enumerate(rows):
        record = {column: None for column in RECORD_COLUMNS} | DEFAULTS
        record |= {"case_id": f"case-{number:04d}", "source_line": number + 2} | row
        filled.append(record)
    return with_record_dtypes(pd.DataFrame(filled, columns=list(RECORD_COLUMNS)), ANSWERS)


def answers(question: str, yes: int, no: int, **fields: Any) -> list[dict[str, Any]]:
    """`yes` + `no` case rows answering `question`, all with the given fields."""
    return [{**fields, question: True}] * yes + [{**fields, question: False}] * no
