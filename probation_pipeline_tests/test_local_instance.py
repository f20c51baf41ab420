"""`python -m probation_pipeline.materialize` on a bare data dir: its instance and reference data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from probation_pipeline.local_instance import (
    HOME_ENV,
    LOCAL_SETTINGS,
    default_dagster_home,
    ensure_dagster_home,
)
from probation_pipeline.paths import SHIPPED_REFERENCE, DataPaths
from probation_pipeline_tests.shipped import REPO


def test_default_home_gets_the_local_settings(tmp_path: Path) -> None:
    home = default_dagster_home(tmp_path)
    assert home == tmp_path / ".dagster_home"
    assert (home / "dagster.yaml").read_bytes() == LOCAL_SETTINGS.read_bytes()
    assert not list(home.glob("*.tmp"))


def test_an_instance_file_already_there_is_kept(tmp_path: Path) -> None:
    home = tmp_path / ".dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    default_dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_a_set_dagster_home_is_left_alone(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "elsewhere"))
    assert ensure_dagster_home(tmp_path) is None
    assert not (tmp_path / "elsewhere" / "dagster.yaml").exists()
    assert os.environ[HOME_ENV] == str(tmp_path / "elsewhere")
    assert not (tmp_path / ".dagster_home").exists()


def test_a_dagster_home_that_does_not_exist_is_created(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "new" / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    assert "did not exist: created" in ensure_dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_bytes() == LOCAL_SETTINGS.read_bytes()
    assert os.environ[HOME_ENV] == str(home)


def test_a_data_dir_without_reference_uses_the_shipped_reference(tmp_path: Path) -> None:
    assert DataPaths(tmp_path).reference == SHIPPED_REFERENCE
    (tmp_path / "reference").mkdir()
    assert DataPaths(tmp_path).reference == tmp_path / "reference"


def test_materialize_runs_on_a_raw_folder_alone_without_dagster_home(tmp_path: Path) -> None:
    # As a scale run is set up: raw/ only, no reference/ and no DAGSTER_HOME.
    shutil.copytree(REPO / "data" / "raw" / "gwent", tmp_path / "raw" / "gwent")
    env = {key: value for key, value in os.environ.items() if key != HOME_ENV}
    env["PROBATION_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "probation_pipeline.materialize"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    home = tmp_path / ".dagster_home"
    assert f"{HOME_ENV} is not set: runs are kept in {home}" in result.stderr
    assert (tmp_path / "published" / "latest" / "tables.xlsx").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        jobs = sorted(run.job_name for run in instance.get_runs())
    assert jobs == ["area_job", "national_job"]
