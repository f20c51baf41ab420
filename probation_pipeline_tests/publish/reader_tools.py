"""Open the spreadsheets as a reader's tools do (openpyxl, pandas' odf reader, LibreOffice).

`reader_problems` lists what a reader should never meet in a sheet: a machine code (snake_case,
`variable=level`, an area slug or question id), TRUE/FALSE, a float with more than 4 decimals.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from probation_pipeline.reference import Reference

SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
TERM_CODE = re.compile(r"\b[a-z_]+=[A-Za-z]")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def xlsx_cells(path: Path) -> Iterator[tuple[str, object]]:
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is not None:
                    yield sheet.title, value


def ods_cells(path: Path) -> Iterator[tuple[str, object]]:
    sheets = pd.read_excel(path, engine="odf", sheet_name=None, header=None)
    for name, frame in sheets.items():
        for value in frame.to_numpy().ravel():
            if not (isinstance(value, float) and math.isnan(value)):
                yield str(name), value


def reader_problems(cells: Iterable[tuple[str, object]], reference: Reference) -> list[str]:
    codes = {
        *reference.area_slugs,
        *reference.question_ids,
        *(area.name for area in reference.ratings.key_areas),
    }
    problems = []
    for sheet, value in cells:
        if isinstance(value, bool):
            problems.append(f"{sheet}: boolean {value}")
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value - round(value, 4)) > 1e-9:
                problems.append(f"{sheet}: long or non-finite float {value!r}")
        elif isinstance(value, str):
            text = value.strip()
            found = SNAKE_CASE.findall(text) + TERM_CODE.findall(text)
            if found or text in codes or text in {"TRUE", "FALSE", "True", "False", "nan", "inf"}:
                problems.append(f"{sheet}: code in {text[:80]!r}")
    return problems


def convert_with_libreoffice(source: Path, out: Path, target: str = "xlsx") -> Path:
    """Convert `source` headless with LibreOffice into `out`; skips where it is not installed."""
    if SOFFICE is None:
        pytest.skip("LibreOffice not installed (apt-get install -y libreoffice-calc-nogui)")
    profile = out / "profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    converted = out / f"{source.stem}.{target}"
    assert converted.is_file(), f"LibreOffice wrote no {converted.name}"
    return converted
