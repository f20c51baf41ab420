"""Where the shipped sample and reference data are: the paths tests read, stated once."""

from __future__ import annotations

from pathlib import Path

from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.columns import answer_columns
from probation_pipeline.reference import Reference

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
REFERENCE_DIR = REPO / "data" / "reference"
REFERENCE = Reference(REFERENCE_DIR)
ANSWERS = answer_columns(REFERENCE.question_ids, registered_versions())
"""The judgement columns of the shipped questions and the registered form versions (the reader's
`answers`)."""
