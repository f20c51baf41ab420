"""Benchmark: the column-wise extract reader against the plain row-by-row adapter.

    .venv/bin/python scripts/bench_reader.py --raw /tmp/scale/raw --areas 4

The baseline is the reader as first written: each CSV row adapted in Python into a dict (dates
with `strptime`, answers one by one), then one frame from the records. Both run in the same
process on the same files (best of --repeat) and must produce identical frames.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from probation_pipeline.extracts import parsing, reader
from probation_pipeline.extracts.versions import CASE_RAW_COLUMNS, registered_versions
from probation_pipeline.records.columns import answer_columns
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline.reference import Reference

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
ANSWERS = answer_columns(Reference(REFERENCE).question_ids, registered_versions())


def _iso_date(value: str | None, fmt: str) -> str | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, fmt).date().isoformat()
    except ValueError:
        return value


def _years(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _adapt_row(file, version, line, values, pseudonymiser) -> dict[str, object]:
    problems = []
    if len(values) != len(version.header):
        problems.append(f"expected {len(version.header)} fields, found {len(values)}")
    cleaned = [v.strip() for v in values]
    raw = {
        canonical: (cleaned[i] if i < len(cleaned) and cleaned[i] else None)
        for i, canonical in enumerate(version.columns.values())
    }
    record: dict[str, object] = {c: raw.get(c) for c in (*CASE_RAW_COLUMNS, *ANSWERS)}
    case_ref = record.pop("case_ref")
    if case_ref is None or not reader.CASE_REF_PATTERN.fullmatch(str(case_ref)):
        problems.append("case reference is not one capital letter and six digits")
    born_text = record.pop("date_of_birth")
    for column in ("fieldwork_start", "sentence_date"):
        record[column] = _iso_date(record[column], version.date_format)
    if born_text is not None:
        born = _iso_date(born_text, version.date_format)
        try:
            record["age"] = str(
                _years(date.fromisoformat(born), date.fromisoformat(record["sentence_date"]))
            )
        except (TypeError, ValueError):
            problems.append("date of birth or sentence date is not a date")
    for column in ANSWERS:
        answer = record[column]
        if answer is None or answer in version.not_applicable:
            record[column] = None
        else:
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


def row_by_row(path: Path, pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    file = reader.parse_extract_name(path)
    data = path.read_bytes()
    hashlib.sha256(data).hexdigest()
    rows = parsing.iter_csv_rows(path, parsing.decode_text(path, data))
    _, header = next(rows)
    version = reader.detect_form_version(tuple(header))
    records = [
        _adapt_row(file, version, line, values, pseudonymiser)
        for line, values in rows
        if any(v.strip() for v in values)
    ]
    columns = list(reader.raw_extract_columns(ANSWERS))
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame = frame.astype({c: "string" for c in columns if c != "source_line"})
    frame["source_line"] = frame["source_line"].astype("Int64")
    return frame


def column_wise(path: Path, pseudonymiser: Pseudonymiser) -> pd.DataFrame:
    return reader.read_extract(path, pseudonymiser, ANSWERS).rows


def best(function, files, pseudonymiser, repeat) -> tuple[float, int]:
    fastest, rows = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = sum(len(function(path, pseudonymiser)) for path in files)
        fastest = min(fastest, time.perf_counter() - started)
    return fastest, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=Path, required=True)
    parser.add_argument("--areas", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = [f.path for f in reader.list_extract_files(args.raw)][: args.areas]
    pseudonymiser = Pseudonymiser("benchmark-key")
    for path in files:
        pd.testing.assert_frame_equal(
            row_by_row(path, pseudonymiser), column_wise(path, pseudonymiser)
        )
    baseline, rows = best(row_by_row, files, pseudonymiser, args.repeat)
    fast, _ = best(column_wise, files, pseudonymiser, args.repeat)
    print(f"{len(files)} files, {rows:,} rows, best of {args.repeat}; identical frames")
    print(f"row by row:   {baseline:.2f} s ({rows / baseline:,.0f} rows/s)")
    print(f"column-wise:  {fast:.2f} s ({rows / fast:,.0f} rows/s)")
    print(f"ratio:        {baseline / fast:.2f}x")


if __name__ == "__main__":
    main()
