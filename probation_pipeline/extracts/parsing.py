"""Splitting an extract's bytes into raw fields: Arrow's CSV parser, Python's as the fallback.

Both give the same `ParsedRows`: the header as written, then for every non-blank row its physical
line, its number of fields, each header position's field as written (padded with "" or cut to the
header's width) and the row's fields joined by U+001F (what the row fingerprint is a digest of).

Arrow parses the common file: no field spans lines and every quote stands where RFC 4180 puts it
(opening a field, closing it, or doubled inside it). For such text Arrow and Python's `csv` module
split fields identically, and one row is one physical line, so line numbers come from the line
breaks. Anything else (a quoted line break, a stray quote, a lone carriage return, a NUL byte,
bytes that are not UTF-8, no header) goes through Python's `csv` module, which also names the line
of a structural error.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from probation_pipeline.extracts.errors import UnreadableExtractError

FIELD_JOINER = "\x1f"
_NEWLINE, _CR, _QUOTE, _COMMA = 10, 13, 34, 44


@dataclass(frozen=True)
class ParsedRows:
    """Raw fields of an extract's non-blank rows (the header row excluded)."""

    header: list[str]
    lines: np.ndarray  # int64: physical line where each row starts (the header is line 1)
    widths: np.ndarray  # int64: number of fields each row has as written
    fields: list[pa.Array]  # one string array per header position, values as written
    joined: pa.Array  # string: each row's own fields joined by FIELD_JOINER

    def __len__(self) -> int:
        return len(self.lines)


def parse_rows(path: Path, data: bytes) -> ParsedRows:
    """The file's header and non-blank rows. Raises UnreadableExtractError naming the line."""
    return _parse_with_arrow(data) or _parse_with_python(path, data)


# Python's csv module: any text, and the errors with their line numbers.


def decode_text(path: Path, data: bytes) -> str:
    """The bytes as UTF-8 text (a byte-order mark dropped); UnreadableExtractError names the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableExtractError(
            path, line, f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def iter_csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row's first physical line and fields, by Python's csv module (the header is line 1).

    Raises UnreadableExtractError naming the line of a structural error, when it is reached.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        start = 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as error:
        raise UnreadableExtractError(path, reader.line_num, f"broken CSV: {error}") from None


def _from_python_rows(header: list[str], rows: list[tuple[int, list[str]]]) -> ParsedRows:
    width = len(header)
    values = [row for _, row in rows]
    padded = [row if len(row) == width else (row + [""] * width)[:width] for row in values]
    columns = list(zip(*padded, strict=True)) if padded else [() for _ in range(width)]
    return ParsedRows(
        header=header,
        lines=np.array([line for line, _ in rows], dtype=np.int64),
        widths=np.array([len(row) for row in values], dtype=np.int64),
        fields=[pa.array(column, type=pa.string()) for column in columns],
        joined=pa.array([FIELD_JOINER.join(row) for row in values], type=pa.string()),
    )


def _parse_with_python(path: Path, data: bytes) -> ParsedRows:
    rows = iter_csv_rows(path, decode_text(path, data))
    first = next(rows, None)
    if first is None:
        raise UnreadableExtractError(path, 1, "empty file: no header row")
    _, header = first
    # A blank line is layout, not a case.
    kept = [(line, values) for line, values in rows if any(v.strip() for v in values)]
    return _from_python_rows(header, kept)


# Arrow: the common file, parsed in C++.


def _byte_at(text: np.ndarray, positions: np.ndarray, outside: int) -> np.ndarray:
    """The byte at each position of `text`, or `outside` where it is before or after the text."""
    inside = (positions >= 0) & (positions < len(text))
    found = np.full(len(positions), outside, dtype=np.uint8)
    found[inside] = text[positions[inside]]
    return found


def _quotes_are_plain(text: np.ndarray, quotes: np.ndarray, breaks: np.ndarray) -> bool:
    """Every quote opens a field, closes one, or is doubled inside one; no field spans lines.

    Quotes alternate opening and closing. Given that, the in-quote state at any byte is the parity
    of the quotes before it, so each line must hold an even number of them. `breaks` are the
    positions of the text's line feeds.
    """
    if len(quotes) % 2:
        return False
    opening, closing = quotes[0::2], quotes[1::2]
    # An opening quote starts a field, or is the second of a doubled quote.
    doubled_open = np.zeros(len(opening), dtype=bool)
    doubled_open[1:] = opening[1:] - 1 == closing[:-1]
    opens_field = np.isin(_byte_at(text, opening - 1, _NEWLINE), (_COMMA, _NEWLINE)) | doubled_open
    # A closing quote ends a field, or is the first of a doubled quote.
    doubled_close = np.zeros(len(closing), dtype=bool)
    doubled_close[:-1] = closing[:-1] + 1 == opening[1:]
    after = _byte_at(text, closing + 1, _NEWLINE)
    ends_field = np.isin(after, (_COMMA, _NEWLINE, _CR)) | doubled_close
    if not (opens_field.all() and ends_field.all()):
        return False
    # No line break between an opening quote and its closing quote.
    return bool(np.array_equal(np.searchsorted(breaks, opening), np.searchsorted(breaks, closing)))


def _parse_with_arrow(data: bytes) -> ParsedRows | None:
    """The rows via Arrow's CSV reader, or None where Python's parser must decide."""
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if b"\x00" in data:
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    text = np.frombuffer(data, dtype=np.uint8)[start:]
    breaks = np.flatnonzero(text == _NEWLINE)
    # A carriage return only ever ends a line, just before its line feed.
    if data.count(b"\r") != np.count_nonzero(_byte_at(text, breaks - 1, _NEWLINE) == _CR):
        return None
    quotes = np.flatnonzero(text == _QUOTE)
    if len(quotes) and not _quotes_are_plain(text, quotes, breaks):
        return None

    # Physical lines: [begin, end) without the line break, numbered from 1.
    begins = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(text)]))
    if begins[-1] == len(text):  # the text ends with a line break: no line after it
        begins, ends = begins[:-1], ends[:-1]
    if len(begins) == 0:
        return None
    has_cr = ends > begins
    has_cr[has_cr] = text[ends[has_cr] - 1] == _CR
    ends = ends - has_cr
    header_line = bytes(text[begins[0] : ends[0]]).decode("utf-8")
    if not header_line:
        return None
    header = next(csv.reader([header_line], strict=True))
    width = len(header)

    # Arrow skips empty lines and numbers the others from 1; a row with the wrong number of
    # fields goes to the handler, which also says how many it has.
    body = slice(1, None)
    lines = np.arange(2, len(begins) + 1, dtype=np.int64)[(ends != begins)[body]]
    irregular: list[tuple[int, str]] = []

    def skip(row: pa_csv.InvalidRow) -> str:
        irregular.append((-1 if row.number is None else row.number - 1, row.text))
        return "skip"

    names = [f"f{i}" for i in range(width)]
    body_start = start + int(begins[1]) if len(begins) > 1 else len(data)
    try:
        table = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(data)[body_start:]),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=False, ignore_empty_lines=True, invalid_row_handler=skip
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if table.num_rows + len(irregular) != len(lines):
        return None
    regular = np.ones(len(lines), dtype=bool)
    if irregular:
        numbers = np.array([number for number, _ in irregular], dtype=np.int64)
        if (
            numbers.min() < 0
            or numbers.max() >= len(lines)
            or len(np.unique(numbers)) < len(numbers)
        ):
            return None
        regular[numbers] = False
    fields = [table.column(i).combine_chunks() for i in range(width)]
    joined = (
        pc.binary_join_element_wise(*fields, FIELD_JOINER)
        if width > 1
        else fields[0]
        if width
        else pa.array([""] * table.num_rows, type=pa.string())
    )
    parsed = _without_blank_rows(
        ParsedRows(
            header=header,
            lines=lines[regular],
            widths=np.full(table.num_rows, width, dtype=np.int64),
            fields=fields,
            joined=joined,
        )
    )
    if irregular:
        parsed = _with_irregular_rows(parsed, text, begins, ends, lines[~regular], irregular)
    return parsed


def _with_irregular_rows(
    parsed: ParsedRows,
    text: np.ndarray,
    begins: np.ndarray,
    ends: np.ndarray,
    lines: np.ndarray,
    irregular: list[tuple[int, str]],
) -> ParsedRows | None:
    """Rows with too few or too many fields, split by Python's csv and put back in line order.

    `lines` are the rows' physical line numbers, in Arrow's order; `irregular` what Arrow said of
    each row (its number among the non-empty lines, its text). None if the two disagree.
    """
    texts = [bytes(text[begins[line - 1] : ends[line - 1]]).decode("utf-8") for line in lines]
    if texts != [row_text for _, row_text in sorted(irregular)]:
        return None
    rows = [next(csv.reader([line], strict=True), []) for line in texts]
    numbered = zip(lines.tolist(), rows, strict=True)
    # A blank line is layout, not a case.
    extra = _from_python_rows(
        parsed.header, [(line, row) for line, row in numbered if any(v.strip() for v in row)]
    )
    all_lines = np.concatenate((parsed.lines, extra.lines))
    order = pa.array(np.argsort(all_lines, kind="stable"))
    return ParsedRows(
        header=parsed.header,
        lines=all_lines[order.to_numpy()],
        widths=np.concatenate((parsed.widths, extra.widths))[order.to_numpy()],
        fields=[
            pa.concat_arrays([a, b]).take(order)
            for a, b in zip(parsed.fields, extra.fields, strict=True)
        ],
        joined=pa.concat_arrays([parsed.joined, extra.joined]).take(order),
    )


def _without_blank_rows(parsed: ParsedRows) -> ParsedRows:
    """Drop rows whose every field is blank (Python's str.strip whitespace) - layout, not cases."""
    if not parsed.fields or len(parsed) == 0:
        return parsed
    # Few rows survive the first field (the inspection id), so the rest are checked on those only.
    blank = _is_blank(parsed.fields[0])
    for field in parsed.fields[1:]:
        candidates = np.flatnonzero(blank)
        if not len(candidates):
            break
        blank[candidates] = _is_blank(field.take(pa.array(candidates)))
    if not blank.any():
        return parsed
    keep = pa.array(~blank)
    return ParsedRows(
        header=parsed.header,
        lines=parsed.lines[~blank],
        widths=parsed.widths[~blank],
        fields=[field.filter(keep) for field in parsed.fields],
        joined=parsed.joined.filter(keep),
    )


def _is_blank(field: pa.Array) -> np.ndarray:
    """Whether each value is empty after Python's `str.strip()` (checked on distinct values)."""
    encoded = pc.dictionary_encode(field)
    blank = np.array([not v.strip() for v in encoded.dictionary.to_pylist()], dtype=bool)
    if not len(blank):
        return np.zeros(len(field), dtype=bool)
    return blank[encoded.indices.to_numpy(zero_copy_only=False)]
