"""Every output of the fast path is byte-identical to the slower path it replaced.

The slower path (probation_pipeline_tests/slow_paths) is the previous implementation kept in the
tests: Python's csv module and per-row digests in the reader, every typing operation on every
row, Python-backed strings and plain `DataFrame.to_parquet`. Both paths run the whole pipeline in
their own process on copies of the same inputs; every file of the warehouse and the publication
must have the same bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from probation_pipeline_tests.output_digests import outputs
from probation_pipeline_tests.shipped import REPO

FAST = "from probation_pipeline.materialize import main; raise SystemExit(main([]))"


def _data_dir(root: Path, raw: Path) -> Path:
    shutil.copytree(raw, root / "raw")
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    (root / "home").mkdir()
    return root


def _run(command: list[str], root: Path, **extra: str) -> None:
    env = {**os.environ, "PROBATION_DATA_DIR": str(root), "DAGSTER_HOME": str(root / "home")}
    env.pop("PROBATION_STRING_STORAGE", None)
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def assert_same_outputs(raw: Path, tmp_path: Path) -> None:
    slow = _data_dir(tmp_path / "slow", raw)
    fast = _data_dir(tmp_path / "fast", raw)
    _run(
        [sys.executable, "-m", "probation_pipeline_tests.slow_paths.run", str(slow)],
        slow,
        PROBATION_STRING_STORAGE="python",
    )
    _run([sys.executable, "-c", FAST], fast)
    expected, got = outputs(slow), outputs(fast)
    assert any(name.startswith("published/") for name in expected)
    assert any(name.endswith("case_records.parquet") for name in expected)
    assert got.keys() == expected.keys()
    assert [name for name in expected if got[name] != expected[name]] == []


@pytest.mark.slow
def test_shipped_sample_outputs_are_byte_identical(tmp_path):
    assert_same_outputs(REPO / "data" / "raw", tmp_path)


@pytest.mark.slow
def test_scale_sample_outputs_are_byte_identical(tmp_path, scale_raw):
    """100,000 cases in 40 areas from the scale generator."""
    assert_same_outputs(scale_raw, tmp_path)
