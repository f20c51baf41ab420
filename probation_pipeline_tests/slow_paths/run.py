"""`PROBATION_STRING_STORAGE=python python -m probation_pipeline_tests.slow_paths.run DATA_DIR`.

The pipeline on its slower path: Python-backed strings, the row-by-row reader and typing,
`DataFrame.to_parquet`, pooling in pandas: the implementations the fast path replaced, run end to end so that their
outputs can be compared byte for byte with the fast path's (test_fast_path_outputs.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa

from probation_pipeline import frames
from probation_pipeline.defs import records as defs_records
from probation_pipeline.extracts import reader
from probation_pipeline.publish import data_files
from probation_pipeline_tests.slow_paths.pooling import pool_areas_in_pandas
from probation_pipeline_tests.slow_paths.reader import read_extract_by_rows
from probation_pipeline_tests.slow_paths.records import type_rows_by_rows


def _to_parquet(frame: pd.DataFrame | pa.Table, where) -> None:
    if isinstance(frame, pa.Table):
        frame = frame.to_pandas()
    frame.to_parquet(where, index=False)


def use_slow_paths() -> None:
    if pd.StringDtype().storage != "python":
        raise SystemExit("run with PROBATION_STRING_STORAGE=python")
    reader.read_extract = read_extract_by_rows
    type_rows_by_rows()
    frames.write_parquet = data_files.write_parquet = _to_parquet
    defs_records.pool_areas = pool_areas_in_pandas


def main(root: Path) -> int:
    use_slow_paths()
    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.materialize import materialize_all
    from probation_pipeline.paths import DataPaths

    paths = DataPaths(root)
    outcome = materialize_all(build_definitions(paths), paths, dg.DagsterInstance.ephemeral())
    return 0 if all(outcome.values()) else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
