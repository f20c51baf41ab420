"""The extract reader as it was before the Arrow path: Python's csv module, per-row digests.

Kept as the reference the fast reader must reproduce exactly (test_fast_reader.py): a slower,
independent path to the same frames. Not used by the pipeline. It shares with the fast reader
only what the comparison is not about: the file name and form version rules, and Python's csv
splitting (`parsing.iter_csv_rows`, the fast reader's own fallback for awkward files).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from probation_pipeline.extracts.contents import check_text_bytes
from probation_pipeline.extracts.errors import UnknownFormVersionError, UnreadableExtractError
from probation_pipeline.extracts.parsing import decode_text, iter_csv_rows
from probation_pipeline.extracts.reader import (
    CASE_REF_PATTERN,
    ExtractFile,
    ExtractRead,
    parse_extract_name,
    raw_extract_columns,
)
from probation_pipeline.extracts.versions import (
    CASE_RAW_COLUMNS,
    FormVersion,
    detect_form_version,
    diagnose_header,
)
from probation_pipeline.records.problems import flag
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.slow_paths.records import join_problems_by_rows as join_problems


def _iso_dates(text: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series]:
    """ISO form of dates written in the version's format, and the parsed dates.

    A value that does not parse is kept as written, so that validation names it.
    """
    parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    iso = parsed.dt.strftime("%Y-%m-%d").astype("string")
    return iso.where(parsed.notna(), text), parsed


def _completed_years(born: pd.Series, on: pd.Series) -> pd.Series:
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return (on.dt.year - born.dt.year - before_birthday.astype(int)).astype("Int64")


def read_extract_by_rows(
    path: Path, pseudonymiser: Pseudonymiser, answers: Sequence[str]
) -> ExtractRead:
    """`reader.read_extract` (same contract) without Arrow: Python's csv module, column by column."""
    file = parse_extract_name(path)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    check_text_bytes(path, data)
    rows = iter_csv_rows(path, decode_text(path, data))
    first = next(rows, None)
    if first is None:
        raise UnreadableExtractError(path, 1, "empty file: no header row")
    _, header = first
    version = detect_form_version(tuple(header))
    if version is None:
        raise UnknownFormVersionError(path, 1, diagnose_header(tuple(header)).describe())
    # A blank line is layout, not a case.
    kept = [(line, values) for line, values in rows if any(v.strip() for v in values)]
    frame = _adapt_rows(file, version, kept, pseudonymiser, tuple(answers))
    return ExtractRead(file=file, form_version=version.name, sha256=sha256, rows=frame)


def _adapt_rows(
    file: ExtractFile,
    version: FormVersion,
    rows: list[tuple[int, list[str]]],
    pseudonymiser: Pseudonymiser,
    answers: tuple[str, ...],
) -> pd.DataFrame:
    """The file's rows in `raw_extract_columns(answers)`, column by column."""
    width = len(version.header)
    values = [row for _, row in rows]
    padded = [row if len(row) == width else (row + [""] * width)[:width] for row in values]
    # Arrow strings strip and compare in C++; the frame is handed on as ordinary strings.
    text = pd.DataFrame(padded, columns=list(version.columns.values()), dtype="string[pyarrow]")
    raw = pd.DataFrame(index=text.index)
    for column in (*CASE_RAW_COLUMNS, *answers):
        if column in text:
            stripped = text[column].str.strip()
            raw[column] = stripped.mask(stripped == "").astype("string")
        else:
            raw[column] = pd.Series(pd.NA, index=text.index, dtype="string")

    counts = pd.Series([len(row) for row in values], index=text.index, dtype="Int64")
    wrong_width = (f"expected {width} fields, found " + counts.astype("string")).where(
        counts != width
    )
    case_ref = raw["case_ref"]
    bad_ref = ~case_ref.str.fullmatch(CASE_REF_PATTERN.pattern).fillna(False).astype(bool)
    problems = [
        wrong_width,
        flag(bad_ref, "case reference is not one capital letter and six digits"),
    ]

    raw["fieldwork_start"], _ = _iso_dates(raw["fieldwork_start"], version.date_format)
    raw["sentence_date"], sentenced = _iso_dates(raw["sentence_date"], version.date_format)
    born_text = raw["date_of_birth"]
    if born_text.notna().any():
        born = pd.to_datetime(born_text, format=version.date_format, errors="coerce")
        known = born.notna() & sentenced.notna()
        ages = _completed_years(born[known], sentenced[known]).astype("string")
        raw.loc[known, "age"] = ages
        unusable = born_text.notna() & ~known
        problems.append(flag(unusable, "date of birth or sentence date is not a date"))

    for column in answers:
        answer = raw[column].mask(raw[column].isin(list(version.not_applicable)))
        # An unknown spelling stays as it is, so that validation names it.
        spelled = answer.map(version.answers, na_action="ignore").astype("string")
        raw[column] = spelled.where(spelled.notna(), answer)

    ids: dict[str, str] = {}
    frame = pd.DataFrame(
        {
            "area": file.area,
            "source_file": file.relative_name,
            "source_line": pd.array([line for line, _ in rows], dtype="Int64"),
            "form_version": version.name,
            "row_fingerprint": [pseudonymiser.fingerprint(row) for row in values],
            "case_id": [
                ids.setdefault(ref, pseudonymiser.case_id(ref))
                for ref in case_ref.fillna("").tolist()
            ],
            "read_problem": join_problems(problems, text.index),
        },
        index=text.index,
    )
    columns = raw_extract_columns(answers)
    for column in columns:
        if column not in frame:
            frame[column] = raw[column]
    frame = frame[list(columns)]
    return frame.astype({c: "string" for c in columns if c != "source_line"})
