"""Reading one inspection extract into canonical raw columns, without personal data.

The reader is the only code that sees case reference numbers and dates of birth: it replaces the
first by a keyed pseudonym (`case_id`) and the second by the age at sentence, and keeps a keyed
fingerprint of each whole row so that exact duplicates can still be told apart later.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from probation_pipeline.extracts.contents import check_text_bytes
from probation_pipeline.extracts.errors import (
    ExtractNameError,
    UnknownFormVersionError,
    UnreadableExtractError,
)
from probation_pipeline.extracts.versions import (
    ANSWER_COLUMNS,
    CANONICAL_RAW_COLUMNS,
    FormVersion,
    detect_form_version,
    diagnose_header,
)
from probation_pipeline.records.problems import flag, join_problems
from probation_pipeline.records.pseudonym import Pseudonymiser

CASE_REF_PATTERN = re.compile(r"[A-Z][0-9]{6}")
INSPECTION_ID_PATTERN = re.compile(r"(?P<area>[a-z]+(?:-[a-z]+)*)-(?P<year>\d{4})-(?P<month>\d{2})")
IGNORED_SUFFIXES = (".part", ".tmp")

# Columns of a raw extract frame, after the reader (all strings except where noted).
RAW_EXTRACT_COLUMNS: tuple[str, ...] = (
    "area",
    "source_file",
    "source_line",  # Int64: physical line of the row in its file (the header is line 1)
    "form_version",
    "row_fingerprint",
    "case_id",
    "read_problem",  # why the reader could not take a field at face value, else <NA>
    *(c for c in CANONICAL_RAW_COLUMNS if c not in ("case_ref", "date_of_birth")),
)


@dataclass(frozen=True)
class ExtractFile:
    """One extract file found under the raw folder."""

    path: Path
    area: str
    inspection_id: str

    @property
    def relative_name(self) -> str:
        return f"{self.area}/{self.path.name}"


@dataclass(frozen=True)
class ExtractRead:
    """The adapted rows of one file plus what is known about the file itself."""

    file: ExtractFile
    form_version: str
    sha256: str
    rows: pd.DataFrame  # RAW_EXTRACT_COLUMNS


def is_ignored_name(name: str) -> bool:
    """Files being written (`.`-prefixed, `.part`, `.tmp`) and non-CSV files are not extracts."""
    return name.startswith(".") or name.endswith(IGNORED_SUFFIXES) or not name.endswith(".csv")


def parse_extract_name(path: Path) -> ExtractFile:
    """Check `<area_slug>/<area_slug>-<YYYY-MM>.csv` and return its parts.

    Raises ExtractNameError when the name does not follow the contract.
    """
    area = path.parent.name
    match = INSPECTION_ID_PATTERN.fullmatch(path.stem)
    if match is None or match["area"] != area or not 1 <= int(match["month"]) <= 12:
        raise ExtractNameError(
            path, 0, f"file name must be '{area}-YYYY-MM.csv' (area folder '{area}')"
        )
    return ExtractFile(path=path, area=area, inspection_id=path.stem)


def areas_with_extract_files(raw_dir: Path, known: frozenset[str]) -> list[str]:
    """Known area folders under `raw_dir` holding at least one extract file (sorted)."""
    if not raw_dir.is_dir():
        return []
    return sorted(
        folder.name
        for folder in raw_dir.iterdir()
        if folder.is_dir()
        and folder.name in known
        and any(f.is_file() and not is_ignored_name(f.name) for f in folder.iterdir())
    )


def list_extract_files(raw_dir: Path, area: str | None = None) -> list[ExtractFile]:
    """Every extract under `raw_dir` (or `area`'s only), sorted, skipping files being written."""
    folders = [raw_dir / area] if area else sorted(p for p in raw_dir.iterdir() if p.is_dir())
    files: list[ExtractFile] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not is_ignored_name(path.name):
                files.append(parse_extract_name(path))
    return files


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableExtractError(
            path, line, f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def _iter_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        start = 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableExtractError(path, reader.line_num, f"broken CSV: {error}") from None


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


def read_extract(path: Path, pseudonymiser: Pseudonymiser) -> ExtractRead:
    """Read one extract file of any known form version into RAW_EXTRACT_COLUMNS.

    Rows that cannot be taken at face value (wrong number of fields, malformed case reference or
    date of birth) are kept with `read_problem` set, so that validation quarantines them and no
    row is lost. Raises UnreadableExtractError (not text, broken CSV, no header) or
    UnknownFormVersionError, each naming the file and line.
    """
    file = parse_extract_name(path)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    check_text_bytes(path, data)
    rows = _iter_rows(path, _decode(path, data))
    first = next(rows, None)
    if first is None:
        raise UnreadableExtractError(path, 1, "empty file: no header row")
    _, header = first
    version = detect_form_version(tuple(header))
    if version is None:
        raise UnknownFormVersionError(path, 1, diagnose_header(tuple(header)).describe())
    # A blank line is layout, not a case.
    kept = [(line, values) for line, values in rows if any(v.strip() for v in values)]
    frame = _adapt_rows(file, version, kept, pseudonymiser)
    return ExtractRead(file=file, form_version=version.name, sha256=sha256, rows=frame)


def _adapt_rows(
    file: ExtractFile,
    version: FormVersion,
    rows: list[tuple[int, list[str]]],
    pseudonymiser: Pseudonymiser,
) -> pd.DataFrame:
    """The file's rows in RAW_EXTRACT_COLUMNS, column by column (the reader's hot path)."""
    width = len(version.header)
    values = [row for _, row in rows]
    padded = [row if len(row) == width else (row + [""] * width)[:width] for row in values]
    # Arrow strings strip and compare in C++; the frame is handed on as ordinary strings.
    text = pd.DataFrame(padded, columns=list(version.columns.values()), dtype="string[pyarrow]")
    raw = pd.DataFrame(index=text.index)
    for column in CANONICAL_RAW_COLUMNS:
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

    for column in ANSWER_COLUMNS:
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
    for column in RAW_EXTRACT_COLUMNS:
        if column not in frame:
            frame[column] = raw[column]
    frame = frame[list(RAW_EXTRACT_COLUMNS)]
    return frame.astype({c: "string" for c in RAW_EXTRACT_COLUMNS if c != "source_line"})
