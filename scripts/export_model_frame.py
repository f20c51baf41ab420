"""Write the stepwise models' input as CSV for scripts/stepwise_check.R.

python scripts/export_model_frame.py data/warehouse/case_records.parquet OUT_DIR
Writes OUT_DIR/frame.csv (questions 0/1, candidates as merged level labels) and OUT_DIR/levels.csv
(variable, level in the bulletin's order; the first is the reference).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from probation_pipeline.reference import Reference
from probation_pipeline.stats.models import DEFAULT_CANDIDATES, model_frame, model_levels

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


def main(records_path: str, out: str) -> None:
    reference = Reference(REFERENCE)
    frame = model_frame(pd.read_parquet(records_path), reference)
    for question in reference.question_ids:
        frame[question] = frame[question].astype("Int64")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "frame.csv", index=False)
    levels = model_levels(reference, DEFAULT_CANDIDATES)
    rows = [(variable, level) for variable, values in levels.items() for level in values]
    pd.DataFrame(rows, columns=["variable", "level"]).to_csv(folder / "levels.csv", index=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
