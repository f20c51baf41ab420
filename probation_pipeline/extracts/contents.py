"""File-level checks of an extract: what makes a whole file wrong, not one of its rows.

Each check raises an ExtractError naming the file, the line and what is wrong, once per file
(never one quarantined row per line): bytes that are not CSV text (a spreadsheet saved under a
`.csv` name, UTF-16, NUL bytes), a file with a header but no case rows, a header row repeated
inside the file, and rows whose inspection or police force area contradict the file's name or
folder. A file that fails here fails its area's run, so it never supersedes an earlier inspection.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from probation_pipeline.extracts.errors import (
    ExtractContentError,
    ExtractError,
    UnreadableExtractError,
)
from probation_pipeline.extracts.versions import form_version, registered_versions
from probation_pipeline.records.columns import answer_columns

if TYPE_CHECKING:
    from probation_pipeline.extracts.reader import ExtractFile, ExtractRead
    from probation_pipeline.records.pseudonym import Pseudonymiser
    from probation_pipeline.reference import Reference

# Leading bytes of binary formats people save or rename as .csv.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (an .xlsx or .ods spreadsheet?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE2 file (an .xls spreadsheet?)"),
    (b"%PDF", "a PDF document"),
    (b"\xff\xfe", "UTF-16 text (little-endian byte-order mark)"),
    (b"\xfe\xff", "UTF-16 text (big-endian byte-order mark)"),
)
_MAX_LINES_LISTED = 5


def check_text_bytes(path: Path | str, data: bytes) -> None:
    """Raise UnreadableExtractError when `data` is a known binary format or holds a NUL byte."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise UnreadableExtractError(
                path, 1, f"not a CSV text file: the bytes are {what}; save it as CSV (UTF-8)"
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise UnreadableExtractError(
            path,
            line,
            f"NUL byte at offset {nul}: a binary or corrupted file, not CSV text",
        )


def _lines(rows: pd.DataFrame, mask: pd.Series) -> str:
    lines = rows.loc[mask, "source_line"].astype(int).tolist()
    shown = ", ".join(str(line) for line in lines[:_MAX_LINES_LISTED])
    return shown + (f" and {len(lines) - _MAX_LINES_LISTED} more" if len(lines) > 5 else "")


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _values(series: pd.Series) -> str:
    counts = series.value_counts()
    shown = ", ".join(f"{_short(value)} ({count})" for value, count in counts.head(3).items())
    return shown + (f" and {len(counts) - 3} other value(s)" if len(counts) > 3 else "")


def check_extract_rows(
    path: Path | str, rows: pd.DataFrame, form_version_name: str, area_name: str | None
) -> None:
    """Raise ExtractContentError when the file's rows as a whole are wrong.

    `rows` are the reader's rows of the file (`raw_extract_columns`) in form version
    `form_version_name`; `area_name` is the folder's police force area as pcc_areas.csv spells it
    (None when the folder is not a known area: the check of `pcc_area` is then skipped).
    Checks in order: no case rows; a repeated header row; `inspection_id` values other than the
    file name; `pcc_area` values other than the folder's area. Blank values are not
    contradictions: validation quarantines those rows.
    """
    if rows.empty:
        raise ExtractContentError(path, 1, "header only: the file has no case rows")
    header = form_version(form_version_name).columns
    names = {canonical: name for name, canonical in header.items()}
    repeated = rows["inspection_id"].eq(names["inspection_id"]).fillna(False) & rows["pcc_area"].eq(
        names["pcc_area"]
    ).fillna(False)
    if repeated.any():
        first = int(rows.loc[repeated, "source_line"].iloc[0])
        raise ExtractContentError(
            path,
            first,
            f"the header row is repeated at line(s) {_lines(rows, repeated)} "
            "(two exports joined into one file?)",
        )
    inspection = Path(str(path)).stem
    contradictions = []
    wrong_inspection = rows["inspection_id"].notna() & rows["inspection_id"].ne(inspection)
    if wrong_inspection.any():
        contradictions.append(
            f"{names['inspection_id']!r} is not the file name's {inspection!r} on "
            f"{int(wrong_inspection.sum())} of {len(rows)} rows "
            f"(values {_values(rows.loc[wrong_inspection, 'inspection_id'])}; "
            f"lines {_lines(rows, wrong_inspection)})"
        )
    if area_name is not None:
        wrong_area = rows["pcc_area"].notna() & rows["pcc_area"].ne(area_name)
        if wrong_area.any():
            folder = Path(str(path)).parent.name
            contradictions.append(
                f"{names['pcc_area']!r} is not the folder {folder!r}'s area {area_name!r} on "
                f"{int(wrong_area.sum())} of {len(rows)} rows "
                f"(values {_values(rows.loc[wrong_area, 'pcc_area'])}; "
                f"lines {_lines(rows, wrong_area)})"
            )
    if contradictions:
        first_line = int(
            rows.loc[wrong_inspection | _area_mask(rows, area_name), "source_line"].min()
        )
        raise ExtractContentError(
            path,
            first_line,
            "rows contradict the file: " + "; ".join(contradictions),
        )


def _area_mask(rows: pd.DataFrame, area_name: str | None) -> pd.Series:
    if area_name is None:
        return pd.Series(False, index=rows.index)
    return rows["pcc_area"].notna() & rows["pcc_area"].ne(area_name)


def read_area_extracts(
    files: list[ExtractFile], pseudonymiser: Pseudonymiser, reference: Reference
) -> tuple[list[ExtractRead], list[ExtractError]]:
    """Read and check every file of one area: the reads, and one error per failed file.

    Every file is tried, so one run names every bad file of the area. The reads' judgement columns
    are the questions of `reference` and their stages the registered versions carry.
    """
    names = dict(
        zip(reference.pcc_areas["area_slug"], reference.pcc_areas["pcc_area"], strict=True)
    )
    from probation_pipeline.extracts.reader import read_extract  # the reader calls this module

    answers = answer_columns(reference.question_ids, registered_versions())
    reads, errors = [], []
    for file in files:
        try:
            read = read_extract(file.path, pseudonymiser, answers)
            check_extract_rows(file.path, read.rows, read.form_version, names.get(file.area))
        except ExtractError as error:
            errors.append(error)
        else:
            reads.append(read)
    return reads, errors
