"""Command line of the sample generator.

python -m probation_pipeline.sample calibrated --out data/raw --seed 2018
python -m probation_pipeline.sample scale --cases 1000000 --areas 40 --out /tmp/scale --seed 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# The seed of the shipped sample in data/raw (docs/sample-data.md).
from probation_pipeline.sample.calibrated import DEFAULT_SEED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m probation_pipeline.sample",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    calibrated = commands.add_parser("calibrated", help="the 15 bulletin extracts, exact tables")
    calibrated.add_argument("--out", type=Path, required=True, help="raw folder to write into")
    calibrated.add_argument("--seed", type=int, default=DEFAULT_SEED)
    scale = commands.add_parser("scale", help="large uncalibrated sample for benchmarks")
    scale.add_argument("--cases", type=int, required=True)
    scale.add_argument("--areas", type=int, default=40)
    scale.add_argument("--out", type=Path, required=True)
    scale.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    report = ""
    if args.command == "calibrated":
        from probation_pipeline.sample.calibrated import build_calibrated_sample, describe
        from probation_pipeline.sample.writers import write_inspection_files

        sample = build_calibrated_sample(args.seed)
        paths = write_inspection_files(args.out, sample.inspections, sample.rows)
        report = describe(sample)
    else:
        from probation_pipeline.sample.scale import write_scale_sample

        paths = write_scale_sample(args.out, args.cases, args.areas, args.seed)
    elapsed = time.perf_counter() - started
    if report:
        print(report, file=sys.stderr)
    print(f"wrote {len(paths)} extract files under {args.out} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
