"""Crash-safety and concurrency of `python -m probation_pipeline.materialize` (issue 11).

A run killed with SIGKILL at any point, then rerun, leaves byte-identical data files and
publication; two runs on one data dir at once either both finish or the second refuses clearly;
the warehouse is never left half-written (every file is written then renamed).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from probation_pipeline.locking import BUSY_EXIT_CODE, data_dir_lock
from probation_pipeline_tests.output_digests import outputs
from probation_pipeline_tests.shipped import REPO

AREAS = ("gwent", "kent")
RUN_TIMEOUT = 600


def _data_dir(root: Path) -> Path:
    for area in AREAS:
        shutil.copytree(REPO / "data" / "raw" / area, root / "raw" / area)
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return root


def _env(root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PROBATION_DATA_DIR": str(root),
        "DAGSTER_HOME": str(root / "home"),
        "PROBATION_PSEUDONYM_KEY": "crash-test-key",
    }


def _start(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "probation_pipeline.materialize"],
        cwd=REPO,
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "probation_pipeline.materialize"],
        cwd=REPO,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, str]:
    root = _data_dir(tmp_path_factory.mktemp("clean"))
    result = _run(root)
    assert result.returncode == 0, result.stderr[-3000:]
    digests = outputs(root)
    assert any(name.endswith("tables.xlsx") for name in digests)
    return digests


def _kill_once_written(root: Path, marker: str) -> None:
    """Start a run and SIGKILL it as soon as it has written `marker` (a glob below the data dir).

    Waiting for the run's own output, not for a share of a clean run's time, keeps the kill inside
    the run however busy the machine is (a timed kill let a fast rerun finish first).
    """
    started = time.time()
    process = _start(root)
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        if any(path.stat().st_mtime >= started for path in root.glob(marker)):
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"the run ended before writing {marker}"


def test_killed_runs_then_a_rerun_give_the_same_bytes(tmp_path, clean):
    expected = clean
    root = _data_dir(tmp_path)
    # Kill the same data dir's run twice: during the area runs, then in the national run.
    _kill_once_written(root, "warehouse/area_cases/*.parquet")
    _kill_once_written(root, "warehouse/case_records.parquet")
    result = _run(root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert outputs(root) == expected


def test_a_second_run_on_a_busy_data_dir_refuses_clearly(tmp_path):
    root = _data_dir(tmp_path)
    with data_dir_lock(root):
        result = _run(root)
    assert result.returncode == BUSY_EXIT_CODE
    assert f"REFUSED: another run is already writing to {root} (process {os.getpid()})" in (
        result.stderr
    )
    assert not (root / "warehouse").exists()


def test_two_runs_at_once_both_finish_or_the_second_refuses(tmp_path, clean):
    expected = clean
    root = _data_dir(tmp_path)
    processes = [_start(root), _start(root)]
    results = [process.communicate(timeout=RUN_TIMEOUT) for process in processes]
    codes = sorted(process.returncode for process in processes)
    assert codes in ([0, 0], [0, BUSY_EXIT_CODE]), [err[-2000:] for _, err in results]
    if BUSY_EXIT_CODE in codes:
        refused = next(err for p, (_, err) in zip(processes, results, strict=True) if p.returncode)
        assert "REFUSED: another run is already writing to" in refused
    assert outputs(root) == expected
