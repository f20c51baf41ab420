"""Writing extract rows as files in the three form versions (DESIGN.md section 4).

Files are written atomically: to a dot-prefixed `.tmp` file in the target folder (which the pipeline
ignores), then renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from probation_pipeline.extracts.versions import FormVersion, form_version
from probation_pipeline.sample.cases import Inspection


def _answer_spelling(version: FormVersion) -> np.ndarray:
    """Spellings indexed by answer code + 1: -1 no judgement, 0 No, 1 Yes."""
    return np.array(
        [version.spelling(None), version.spelling("No"), version.spelling("Yes")], dtype=object
    )


def _text(values: pd.Series) -> np.ndarray:
    return values.astype("string").fillna("").to_numpy(dtype=object)


def render_extract(rows: pd.DataFrame, version: str) -> bytes:
    """The bytes of one extract file in form `version` for `rows` (extract_rows output).

    v1: UTF-8 with BOM, CRLF, dd/mm/yyyy, answers 1/0/blank, age in years. v2/v3: UTF-8, LF, ISO
    dates, answers Yes/No/N/A, date of birth. Cells holding a comma are quoted.
    """
    form = form_version(version)
    spelling = _answer_spelling(form)
    columns: dict[str, np.ndarray] = {}
    for header, field in form.columns.items():
        values = rows[field]
        if field in form.answer_columns:
            columns[header] = spelling[values.to_numpy().astype(np.int64) + 1]
        elif field in ("fieldwork_start", "sentence_date", "date_of_birth"):
            formatted = pd.to_datetime(values).dt.strftime(form.date_format)
            columns[header] = formatted.fillna("").to_numpy(dtype=object)
        else:
            columns[header] = _text(values)
    frame = pd.DataFrame(columns)
    text = frame.to_csv(index=False, lineterminator=form.line_end)
    prefix = "\ufeff" if form.bom else ""
    return (prefix + text).encode("utf-8")


def write_atomically(path: Path, content: bytes) -> None:
    """Write `content` to `path` via a hidden temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def write_inspection_files(
    out: Path, inspections: list[Inspection], rows: pd.DataFrame
) -> list[Path]:
    """Write each inspection's rows (column `inspection` indexes `inspections`) to its file.

    Row order within a file is the order in `rows`. Returns the written paths in inspection order.
    """
    paths = []
    for index, inspection in enumerate(inspections):
        mine = rows[rows["inspection"] == index]
        path = out / inspection.relative_path
        write_atomically(path, render_extract(mine, inspection.form_version))
        paths.append(path)
    return paths
