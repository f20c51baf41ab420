"""The later steps' libraries are imported on another thread, finished when the block ends."""

from __future__ import annotations

import sys
import threading

import pytest

from probation_pipeline.defs.warm import LATER_STEP_MODULES, importing_in_background


@pytest.fixture
def slow_module(monkeypatch, tmp_path):
    """A module whose import takes a moment and records the thread that imported it."""
    (tmp_path / "warm_probe.py").write_text(
        "import threading, time\ntime.sleep(0.2)\nIMPORTED_BY = threading.current_thread().name\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "warm_probe", raising=False)
    yield "warm_probe"
    sys.modules.pop("warm_probe", None)


def test_the_modules_are_imported_on_another_thread_by_the_end_of_the_block(slow_module):
    with importing_in_background((slow_module,)):
        pass
    # Imported, by the other thread, and that thread has ended.
    assert threading.current_thread().name != sys.modules[slow_module].IMPORTED_BY
    assert not any(t.name == "import-later-steps" for t in threading.enumerate())


def test_a_module_that_fails_to_import_is_left_to_the_step_that_needs_it(slow_module):
    with importing_in_background(("probation_pipeline_no_such_module", slow_module)):
        pass
    # The others are still imported; the step importing the missing one raises as usual.
    assert slow_module in sys.modules
    assert "probation_pipeline_no_such_module" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        __import__("probation_pipeline_no_such_module")


def test_the_block_raises_what_it_raises():
    with pytest.raises(ValueError, match="inside"), importing_in_background(()):
        raise ValueError("inside")


def test_the_listed_modules_exist():
    # A renamed module would make the warm-up import nothing, silently.
    import importlib.util

    for name in LATER_STEP_MODULES:
        assert importlib.util.find_spec(name) is not None, name
