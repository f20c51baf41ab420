"""Fixtures shared across the test folders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def scale_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw folder of 100,000 cases in 40 areas from the scale generator, made once a session.

    Generated in its own process (as `make sample` users run it); tests must not modify it.
    """
    raw = tmp_path_factory.mktemp("scale") / "raw"
    scale = ["--cases", "100000", "--areas", "40", "--out", str(raw)]
    subprocess.run(
        [sys.executable, "-m", "probation_pipeline.sample", "scale", *scale],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return raw
