"""The Dagster instance `python -m probation_pipeline.materialize` uses when none is configured.

`make run` and `make ui` set `DAGSTER_HOME` to `.dagster_home/` and copy `dagster-local.yaml`
there. Run by hand without `DAGSTER_HOME` (Dagster itself would stop with
DagsterHomeNotSetError), the pipeline keeps its runs beside the data they were made from: in
`<data dir>/.dagster_home/`, set up the way the Makefile sets up its own.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

HOME_ENV = "DAGSTER_HOME"
HOME_FOLDER = ".dagster_home"
LOCAL_SETTINGS = Path(__file__).resolve().parents[1] / "dagster-local.yaml"


def default_dagster_home(data_root: Path, settings: Path = LOCAL_SETTINGS) -> Path:
    """Create `<data_root>/.dagster_home` with the local instance settings, and return it.

    The settings file is copied only where the folder has no `dagster.yaml` yet, so an instance
    file someone put there (Postgres, say) is kept; without `settings` (an installed package
    with no checkout beside it), Dagster's defaults apply.
    """
    home = data_root / HOME_FOLDER
    home.mkdir(parents=True, exist_ok=True)
    instance_file = home / "dagster.yaml"
    if not instance_file.exists() and settings.is_file():
        staged = home / "dagster.yaml.tmp"
        shutil.copyfile(settings, staged)
        staged.replace(instance_file)
    return home


def ensure_dagster_home(data_root: Path) -> str | None:
    """Set `DAGSTER_HOME` to the default instance when it is unset; say so, or return None."""
    if os.environ.get(HOME_ENV):
        return None
    home = default_dagster_home(data_root)
    os.environ[HOME_ENV] = str(home)
    return (
        f"NOTE: {HOME_ENV} is not set: runs are kept in {home} "
        f"(set {HOME_ENV}=.dagster_home to see them with `make ui`)"
    )
