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


def prepare_home(home: Path, settings: Path = LOCAL_SETTINGS) -> Path:
    """Create `home` with the local instance settings where it has no `dagster.yaml` yet.

    An instance file already there (Postgres, say) is kept; without `settings` (an installed
    package with no checkout beside it), Dagster's defaults apply.
    """
    home.mkdir(parents=True, exist_ok=True)
    instance_file = home / "dagster.yaml"
    if not instance_file.exists() and settings.is_file():
        staged = home / "dagster.yaml.tmp"
        shutil.copyfile(settings, staged)
        staged.replace(instance_file)
    return home


def default_dagster_home(data_root: Path, settings: Path = LOCAL_SETTINGS) -> Path:
    """`<data_root>/.dagster_home`, prepared as `prepare_home` does."""
    return prepare_home(data_root / HOME_FOLDER, settings)


def ensure_dagster_home(data_root: Path) -> str | None:
    """Make sure `DAGSTER_HOME` names an instance folder, and say what was done (or None).

    Unset, it becomes the default instance beside the data; set to a folder that does not exist
    yet, the folder is created with the local settings (Dagster would refuse it).
    """
    configured = os.environ.get(HOME_ENV)
    if configured:
        if Path(configured).is_dir():
            return None
        prepare_home(Path(configured))
        return f"NOTE: {HOME_ENV} {configured} did not exist: created with the local settings"
    home = default_dagster_home(data_root)
    os.environ[HOME_ENV] = str(home)
    return (
        f"NOTE: {HOME_ENV} is not set: runs are kept in {home} "
        f"(set {HOME_ENV}=.dagster_home to see them with `make ui`)"
    )
