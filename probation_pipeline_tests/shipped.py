"""Where the shipped sample and reference data are: the paths tests read, stated once."""

from __future__ import annotations

from pathlib import Path

from probation_pipeline.reference import Reference

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
REFERENCE_DIR = REPO / "data" / "reference"
REFERENCE = Reference(REFERENCE_DIR)
