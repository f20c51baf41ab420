"""Benchmark: a full refresh at national volume against pandas reading the same files.

    .venv/bin/python scripts/bench_refresh.py --cases 1000000 --areas 40
    .venv/bin/python scripts/bench_refresh.py --raw /tmp/scale/raw      # an existing raw folder

Generates the scale sample (`python -m probation_pipeline.sample scale`) unless `--raw` is given,
then, `--repeat` times and interleaved so that both sides see the same machine load:

- `pandas.read_csv(path, dtype=str)` of every extract file, in this process;
- `python -m probation_pipeline.materialize` as a whole process on a fresh data dir (empty
  warehouse, new DAGSTER_HOME): wall time and the child's peak resident memory (`os.wait4`).

It prints the best of each and their ratio, and the runs and step times of the last attempt as its
Dagster instance recorded them. Then, on the last data dir, `--repeat` times, it changes
one answer of one area's extract (another answer each time) and times the refresh the sensor
would start for it: that area's partition run, then the pooled run (and that area's outputs where
those are a separate job), in one process that ends as `materialize` does (no interpreter
teardown); the best of them against the best full refresh.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]

ONE_AREA_REFRESH = """
import sys
import dagster as dg
from probation_pipeline.definitions import defs
from probation_pipeline.defs import jobs
from probation_pipeline.materialize import QUIET, _exit_without_teardown

area = sys.argv[1]
steps = [(jobs.AREA_JOB, area), (jobs.NATIONAL_JOB, None)]
if hasattr(jobs, "AREA_OUTPUTS_JOB"):
    steps.append((jobs.AREA_OUTPUTS_JOB, area))
with dg.DagsterInstance.get() as instance:
    for job, key in steps:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, partition_key=key, raise_on_error=False, run_config=QUIET
        )
        if not result.success:
            sys.exit(f"{job} failed")
# Ends as `materialize` ends (no interpreter teardown), so both sides of the ratio exit alike.
_exit_without_teardown(0)
"""

STEP_TIMES = """
import dagster as dg

with dg.DagsterInstance.get() as instance:
    for record in reversed(instance.get_run_records()):
        run = record.dagster_run
        wall = record.end_time - record.start_time if record.end_time else float("nan")
        print(f"  {run.job_name}: {wall:.1f} s")
        steps = instance.get_run_step_stats(run.run_id)
        for step in sorted(steps, key=lambda s: s.start_time - s.end_time):
            print(f"    {step.end_time - step.start_time:7.2f} s  {step.step_key}")
"""


def timed_process(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run `command`; return its wall time (s) and peak resident memory (GB)."""
    with log.open("w") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}); see {log}")
    return wall, usage.ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def pandas_read(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        pd.read_csv(path, dtype=str)
    return time.perf_counter() - start


def fresh_data_dir(root: Path, raw: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "raw").symlink_to(raw.resolve(), target_is_directory=True)
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    home = root / "dagster_home"
    home.mkdir()
    local = REPO / "dagster-local.yaml"
    if local.exists():
        shutil.copy(local, home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return root


def environment(root: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PROBATION_DATA_DIR": str(root),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    env.pop("PROBATION_STRING_STORAGE", None)
    return env


def change_one_answer(path: Path, first_line: int) -> int:
    """Flip one Yes/No answer of the extract at `path`, in the first data line from `first_line`
    that has one; return that line's number. Each line flipped gives a state not seen before."""
    lines = path.read_bytes().split(b"\n")
    for number in range(first_line, len(lines)):
        line = lines[number]
        for spelled, other in ((b",Yes\r", b",No\r"), (b",Yes", b",No"), (b",1\r", b",0\r")):
            if line.endswith(spelled):
                lines[number] = line[: -len(spelled)] + other
                break
        else:
            lines[number] = line.replace(b",Yes,", b",No,", 1)
        if lines[number] != line:
            path.write_bytes(b"\n".join(lines))
            return number
    raise ValueError(f"{path}: no Yes answer to change from line {first_line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=40)
    parser.add_argument("--raw", type=Path, help="an existing raw folder instead of generating one")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--no-one-area", action="store_true", help="skip the one-area refresh")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    work.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    raw = args.raw
    if raw is None:
        raw = work / "raw"
        if not raw.exists():
            sample = ["scale", "--cases", str(args.cases), "--areas", str(args.areas)]
            command = [python, "-m", "probation_pipeline.sample", *sample, "--out", str(raw)]
            subprocess.run(command, check=True, cwd=REPO)
    files = sorted(raw.glob("*/*.csv"))
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"{len(files)} extract files, {size:.0f} MB, under {raw}", flush=True)

    reads, refreshes = [], []
    for attempt in range(1, args.repeat + 1):
        reads.append(pandas_read(files))
        root = fresh_data_dir(work / "data", raw)
        log = work / f"materialize-{attempt}.log"
        wall, rss = timed_process(
            [python, "-m", "probation_pipeline.materialize"], environment(root), log
        )
        refreshes.append((wall, rss))
        print(
            f"  attempt {attempt}: pandas.read_csv {reads[-1]:6.2f} s   "
            f"materialize {wall:6.1f} s, peak {rss:.2f} GB",
            flush=True,
        )
    read = min(reads)
    wall, _ = min(refreshes)
    rss = max(r for _, r in refreshes)
    print(f"pandas.read_csv(dtype=str), best of {args.repeat}: {read:.2f} s")
    print(f"full refresh (materialize), best of {args.repeat}: {wall:.1f} s wall")
    print(f"peak resident memory, highest of {args.repeat}: {rss:.2f} GB")
    print(f"ratio full refresh / pandas read: {wall / read:.1f}x")
    print(f"runs and step times of attempt {args.repeat} (from its Dagster instance):", flush=True)
    subprocess.run([python, "-c", STEP_TIMES], env=environment(root), check=True)

    if not args.no_one_area:
        # The refresh the sensor starts when one area's extract changes, `--repeat` times on the
        # last data dir, each time with another answer changed (a state not seen before).
        area = sorted(p.name for p in raw.iterdir() if p.is_dir())[0]
        changed = work / "raw-changed"
        if changed.exists():
            shutil.rmtree(changed)
        shutil.copytree(raw, changed, symlinks=False)
        extract = sorted((changed / area).glob("*.csv"))[-1]
        root = work / "data"
        (root / "raw").unlink()
        (root / "raw").symlink_to(changed.resolve(), target_is_directory=True)
        ones, line = [], 0
        for attempt in range(1, args.repeat + 1):
            line = change_one_answer(extract, line + 1)
            log = work / f"one-area-{attempt}.log"
            one, one_rss = timed_process(
                [python, "-c", ONE_AREA_REFRESH, area], environment(root), log
            )
            ones.append(one)
            print(
                f"  attempt {attempt}: one-area refresh ({area}/{extract.name}, line {line}) "
                f"{one:.1f} s, peak {one_rss:.2f} GB",
                flush=True,
            )
        print(
            f"one-area refresh, best of {args.repeat}: {min(ones):.1f} s wall"
            f" = {min(ones) / wall:.2f} of the best full refresh"
        )
        shutil.rmtree(changed)
    print(f"logs and data under {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
