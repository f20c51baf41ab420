"""Benchmark: an area's rows of the pooled case records, whole-file read vs Parquet filter.

    .venv/bin/python scripts/bench_area_filter.py --records /tmp/scale/warehouse/case_records.parquet

Both ways are timed in the same run over every area (best of --repeat) and must give the same rows.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd


def whole_then_filter(path: Path, area: str) -> pd.DataFrame:
    records = pd.read_parquet(path)
    return records[records["area"] == area].reset_index(drop=True)


def parquet_filter(path: Path, area: str) -> pd.DataFrame:
    return pd.read_parquet(path, filters=[("area", "==", area)]).reset_index(drop=True)


def best_time(function, path: Path, areas: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for area in areas:
            function(path, area)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    areas = sorted(pd.read_parquet(args.records, columns=["area"])["area"].unique())
    for area in areas[:3]:
        pd.testing.assert_frame_equal(
            whole_then_filter(args.records, area), parquet_filter(args.records, area)
        )
    baseline = best_time(whole_then_filter, args.records, areas, args.repeat)
    filtered = best_time(parquet_filter, args.records, areas, args.repeat)
    print(f"{len(areas)} areas, best of {args.repeat}")
    print(f"whole file then filter: {baseline:.2f} s")
    print(f"Parquet filter:         {filtered:.2f} s")
    print(f"ratio:                  {baseline / filtered:.1f}x")


if __name__ == "__main__":
    main()
