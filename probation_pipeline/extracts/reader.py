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
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from probation_pipeline.extracts.errors import (
    ExtractNameError,
    UnknownFormVersionError,
    UnreadableExtractError,
)
from probation_pipeline.extracts.versions import (
    ANSWER_COLUMNS,
    CANONICAL_RAW_COLUMNS,
    FORM_VERSIONS,
    FormVersion,
    detect_form_version,
)
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


def _iso_date(value: str | None, fmt: str) -> str | None:
    """ISO form of a date in the version's format; an unparseable value is returned unchanged."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        return value


def _completed_years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


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
    rows = _iter_rows(path, _decode(path, data))
    first = next(rows, None)
    if first is None:
        raise UnreadableExtractError(path, 1, "empty file: no header row")
    _, header = first
    version = detect_form_version(tuple(header))
    if version is None:
        known = "; ".join(f"{v.name}: {', '.join(v.header[:4])}, ..." for v in FORM_VERSIONS)
        raise UnknownFormVersionError(
            path, 1, f"header matches no known form version (known: {known})"
        )
    records = [
        _adapt_row(file, version, line, values, pseudonymiser)
        for line, values in rows
        if any(v.strip() for v in values)  # a blank line is layout, not a case
    ]
    frame = pd.DataFrame.from_records(records, columns=list(RAW_EXTRACT_COLUMNS))
    frame = frame.astype({c: "string" for c in RAW_EXTRACT_COLUMNS if c != "source_line"})
    frame["source_line"] = frame["source_line"].astype("Int64")
    return ExtractRead(file=file, form_version=version.name, sha256=sha256, rows=frame)


def _adapt_row(
    file: ExtractFile,
    version: FormVersion,
    line: int,
    values: list[str],
    pseudonymiser: Pseudonymiser,
) -> dict[str, object]:
    problems: list[str] = []
    if len(values) != len(version.header):
        problems.append(f"expected {len(version.header)} fields, found {len(values)}")
    cleaned = [v.strip() for v in values]
    raw = {
        canonical: (cleaned[i] if i < len(cleaned) and cleaned[i] else None)
        for i, canonical in enumerate(version.columns.values())
    }
    record: dict[str, object] = {c: raw.get(c) for c in CANONICAL_RAW_COLUMNS}

    case_ref = record.pop("case_ref")
    if case_ref is None or not CASE_REF_PATTERN.fullmatch(str(case_ref)):
        problems.append("case reference is not one capital letter and six digits")
    born_text = record.pop("date_of_birth")

    for column in ("fieldwork_start", "sentence_date"):
        record[column] = _iso_date(record[column], version.date_format)  # type: ignore[arg-type]
    if born_text is not None:
        born = _iso_date(born_text, version.date_format)  # type: ignore[arg-type]
        sentenced = record["sentence_date"]
        try:
            age = _completed_years(date.fromisoformat(born), date.fromisoformat(sentenced))  # type: ignore[arg-type]
            record["age"] = str(age)
        except (TypeError, ValueError):
            problems.append("date of birth or sentence date is not a date")

    for column in ANSWER_COLUMNS:
        answer = record[column]
        if answer is None or answer in version.not_applicable:
            record[column] = None
        else:
            # An unknown spelling stays as it is, so that validation names it.
            record[column] = version.answers.get(str(answer), answer)

    record.update(
        area=file.area,
        source_file=file.relative_name,
        source_line=line,
        form_version=version.name,
        row_fingerprint=pseudonymiser.fingerprint(values),
        case_id=pseudonymiser.case_id(case_ref or ""),
        read_problem="; ".join(problems) or None,
    )
    return record
