"""Loading the definitions leaves the heavy libraries of a few steps unimported.

Every process that loads the code location pays for what the definitions import: the UI, the
daemon, `make run`, each run worker. statsmodels, scipy's optimiser and distributions,
matplotlib and the spreadsheet writers take over a second together and only some steps use them,
so those steps import them when they run.
"""

import subprocess
import sys

STEP_ONLY = ("statsmodels", "scipy.stats", "scipy.optimize", "matplotlib", "gptables", "odf")


def test_the_definitions_do_not_import_what_only_some_steps_use():
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from probation_pipeline.definitions import defs; "
            f"print(*(m for m in {STEP_ONLY!r} if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert loaded == []
