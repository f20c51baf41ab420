"""The libraries of the analysis and publication steps, imported while the records are pooled.

Loading the definitions leaves statsmodels, scipy's optimiser, matplotlib and the spreadsheet
writers unimported (`test_import_cost.py`): the UI, the daemon and an area run never need them.
A national run does, about 0.7 s of imports, and its first step, `pooled_records`, spends longer
than that in Arrow's native code (reading, concatenating and writing a million rows), which
releases the interpreter. So that step imports them on a second thread meanwhile, and waits for
it before it ends: no later step imports concurrently with it.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LATER_STEP_MODULES = (
    "statsmodels.stats.proportion",  # intervals of the area tables
    "scipy.optimize",  # secondary suppression
    "probation_pipeline.publish.report",  # and matplotlib, through the charts
    "probation_pipeline.publish.workbook",  # gptables and xlsxwriter
    "probation_pipeline.publish.ods",  # odfpy
)


def _import_quietly(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # the step that needs it imports it again, and fails there
            continue


@contextmanager
def importing_in_background(modules: tuple[str, ...] = LATER_STEP_MODULES) -> Iterator[None]:
    """Import `modules` on another thread for the duration of the block; wait for it at the end."""
    thread = threading.Thread(
        target=_import_quietly, args=(modules,), name="import-later-steps", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        thread.join()
