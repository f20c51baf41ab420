"""Reading one inspection extract into canonical raw columns, without personal data.

The reader is the only code that sees case reference numbers and dates of birth: it replaces the
first by a keyed pseudonym (`case_id`) and the second by the age at sentence, and keeps a keyed
fingerprint of each whole row so that exact duplicates can still be told apart later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from probation_pipeline.extracts.contents import check_text_bytes
from probation_pipeline.extracts.errors import (
    ExtractNameError,
    UnknownFormVersionError,
)
from probation_pipeline.extracts.parsing import ParsedRows, parse_rows
from probation_pipeline.extracts.versions import (
    CASE_RAW_COLUMNS,
    FormVersion,
    detect_form_version,
    diagnose_header,
)
from probation_pipeline.frames import arrow_strings, strings_by_code
from probation_pipeline.records.problems import flag, join_problems
from probation_pipeline.records.pseudonym import Pseudonymiser

CASE_REF_PATTERN = re.compile(r"[A-Z][0-9]{6}")
INSPECTION_ID_PATTERN = re.compile(r"(?P<area>[a-z]+(?:-[a-z]+)*)-(?P<year>\d{4})-(?P<month>\d{2})")
IGNORED_SUFFIXES = (".part", ".tmp")

# Columns of a raw extract frame, after the reader (all strings except where noted), before the
# judgements (`raw_extract_columns`).
RAW_CASE_COLUMNS: tuple[str, ...] = (
    "area",
    "source_file",
    "source_line",  # Int64: physical line of the row in its file (the header is line 1)
    "form_version",
    "row_fingerprint",
    "case_id",
    "read_problem",  # why the reader could not take a field at face value, else <NA>
    *(c for c in CASE_RAW_COLUMNS if c not in ("case_ref", "date_of_birth")),
)


def raw_extract_columns(answers: Sequence[str]) -> tuple[str, ...]:
    """The columns of a raw extract frame whose judgement columns are `answers`
    (`records.columns.answer_columns`): Yes, No or <NA> (no judgement) as strings."""
    return (*RAW_CASE_COLUMNS, *answers)


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
    rows: pd.DataFrame  # raw_extract_columns(answers)


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


def read_extract(path: Path, pseudonymiser: Pseudonymiser, answers: Sequence[str]) -> ExtractRead:
    """Read one extract file of any known form version into `raw_extract_columns(answers)`.

    `answers` are the judgement columns of every extract (`records.columns.answer_columns` of the
    questions and the registered versions); those the file's version does not ask are blank.
    Rows that cannot be taken at face value (wrong number of fields, malformed case reference or
    date of birth) are kept with `read_problem` set, so that validation quarantines them and no
    row is lost. Raises UnreadableExtractError (not text, broken CSV, no header) or
    UnknownFormVersionError, each naming the file and line.
    """
    file = parse_extract_name(path)
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    check_text_bytes(path, data)
    parsed = parse_rows(path, data)
    version = detect_form_version(tuple(parsed.header))
    if version is None:
        raise UnknownFormVersionError(path, 1, diagnose_header(tuple(parsed.header)).describe())
    frame = _adapt_rows(file, version, parsed, pseudonymiser, tuple(answers))
    return ExtractRead(file=file, form_version=version.name, sha256=sha256, rows=frame)


class _Coded:
    """A column as codes into its distinct values (object array, <NA> for blank)."""

    def __init__(self, codes: np.ndarray, values: np.ndarray) -> None:
        self.codes = codes
        self.values = values

    @classmethod
    def stripped(cls, field: pa.Array) -> _Coded:
        """The field's values stripped of surrounding whitespace, blank ones as <NA>."""
        encoded = pc.dictionary_encode(field)
        values = np.array(pc.utf8_trim_whitespace(encoded.dictionary).to_pylist(), dtype=object)
        values[values == ""] = pd.NA
        return cls(encoded.indices.to_numpy(zero_copy_only=False), values)

    @classmethod
    def blank(cls, n: int) -> _Coded:
        return cls(np.zeros(n, dtype=np.intp), np.array([pd.NA], dtype=object))

    def present(self) -> np.ndarray:
        """Per distinct value: not <NA>."""
        return np.array([v is not pd.NA for v in self.values], dtype=bool)

    def remapped(self, values: np.ndarray) -> _Coded:
        return _Coded(self.codes, values)

    def per_row(self) -> np.ndarray:
        return self.values[self.codes]

    def series(self, index: pd.Index) -> pd.Series:
        return pd.Series(strings_by_code(self.values, self.codes), index=index)


def _parse_dates(values: np.ndarray, fmt: str) -> pd.Series:
    text = pd.Series(values, dtype="string")
    return pd.to_datetime(text, format=fmt, errors="coerce")


def _iso_dates(column: _Coded, fmt: str) -> tuple[_Coded, pd.Series]:
    """ISO form of dates written in the version's format, and the parsed distinct dates.

    A value that does not parse is kept as written, so that validation names it.
    """
    parsed = _parse_dates(column.values, fmt)
    iso = parsed.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    kept = np.where(parsed.notna().to_numpy(), iso, column.values)
    return column.remapped(kept), parsed


def _completed_years(born: pd.Series, on: pd.Series) -> np.ndarray:
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return (on.dt.year - born.dt.year - before_birthday.astype(int)).to_numpy()


def _adapt_rows(
    file: ExtractFile,
    version: FormVersion,
    parsed: ParsedRows,
    pseudonymiser: Pseudonymiser,
    answers: tuple[str, ...],
) -> pd.DataFrame:
    """The file's rows in `raw_extract_columns(answers)` (the reader's hot path).

    Each column is handled as its distinct values: stripping, dates, answers and pseudonyms cost
    one evaluation per distinct value, then every row takes its value by code.
    """
    n = len(parsed)
    index = pd.RangeIndex(n)
    fields = dict(zip(version.columns.values(), parsed.fields, strict=True))
    raw = {
        column: _Coded.stripped(fields[column]) if column in fields else _Coded.blank(n)
        for column in (*CASE_RAW_COLUMNS, *answers)
    }

    width = len(version.header)
    counts = pd.Series(parsed.widths, index=index).astype("Int64")
    wrong_width = (f"expected {width} fields, found " + counts.astype("string")).where(
        counts != width
    )
    case_ref = raw["case_ref"]
    refs = pa.array(case_ref.values, type=pa.string(), from_pandas=True).fill_null("")
    good_ref = pc.match_substring_regex(refs, f"^(?:{CASE_REF_PATTERN.pattern})$")
    good_ref = good_ref.to_numpy(zero_copy_only=False)
    problems = [
        wrong_width,
        flag(
            pd.Series(~good_ref[case_ref.codes], index=index),
            "case reference is not one capital letter and six digits",
        ),
    ]

    raw["fieldwork_start"], _ = _iso_dates(raw["fieldwork_start"], version.date_format)
    sentence = raw["sentence_date"]
    raw["sentence_date"], sentenced = _iso_dates(sentence, version.date_format)
    born_text = raw["date_of_birth"]
    age = raw["age"].per_row()
    if born_text.present().any():
        born = _parse_dates(born_text.values, version.date_format)
        born_rows = born.take(born_text.codes).reset_index(drop=True)
        sentenced_rows = sentenced.take(sentence.codes).reset_index(drop=True)
        known = (born_rows.notna() & sentenced_rows.notna()).to_numpy()
        years = _completed_years(born_rows[known], sentenced_rows[known])
        distinct, codes = np.unique(years, return_inverse=True)
        age[known] = np.array([str(int(y)) for y in distinct], dtype=object)[codes]
        unusable = born_text.present()[born_text.codes] & ~known
        problems.append(
            flag(pd.Series(unusable, index=index), "date of birth or sentence date is not a date")
        )
    raw["age"] = _Coded(np.arange(n), age)

    for column in answers:
        # An unknown spelling stays as it is, so that validation names it.
        raw[column] = raw[column].remapped(
            np.array(
                [
                    pd.NA
                    if v is not pd.NA and v in version.not_applicable
                    else version.answers.get(v, v)
                    if v is not pd.NA
                    else pd.NA
                    for v in raw[column].values
                ],
                dtype=object,
            )
        )

    # Keyed digests of each distinct case reference (blank as ""), and of every row as read.
    case_ids = pseudonymiser.case_ids(refs.cast(pa.binary()).to_pylist())
    fingerprints = pseudonymiser.fingerprints(parsed.joined.cast(pa.binary()).to_pylist())
    columns: dict[str, pd.Series] = {
        "area": _constant(file.area, index),
        "source_file": _constant(file.relative_name, index),
        "source_line": pd.Series(pd.array(parsed.lines, dtype="Int64"), index=index),
        "form_version": _constant(version.name, index),
        "row_fingerprint": pd.Series(arrow_strings(fingerprints), index=index),
        "case_id": pd.Series(arrow_strings(case_ids.take(pa.array(case_ref.codes))), index=index),
        "read_problem": join_problems(problems, index),
    }
    names = raw_extract_columns(answers)
    for column in names:
        if column not in columns:
            columns[column] = raw[column].series(index)
    return pd.DataFrame(columns, index=index)[list(names)]


def _constant(value: str, index: pd.Index) -> pd.Series:
    codes = np.zeros(len(index), dtype=np.intp)
    return pd.Series(strings_by_code(np.array([value], dtype=object), codes), index=index)
