"""Column widths, row heights and print setup of a gptables workbook, before it is closed.

gptables writes the cells with wrapped text but leaves row heights to the spreadsheet program:
Excel fits them on opening, LibreOffice does not, so wrapped text overlapped. Widths came from the
longest text of a column (a 430-character Notes column). Here every column gets a width from its
cells capped to a readable line, every row with wrapped text a height for the lines it needs, and
every sheet print titles (the table's header row), landscape when wide, and fit to one page wide.

This reads the cells xlsxwriter holds in memory (`worksheet.table`, the shared string table);
they are internal to xlsxwriter, so tests pin the result by reading the file back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

# Width of a wrapped text column, in characters; a label or number column is as wide as its text.
MAX_TEXT_WIDTH = 60.0
COVER_WIDTH = 90.0
MIN_WIDTH = 8.0
# A line of text is 1.35 times its font size high; characters filling one unit of width.
LINE_SPACING = 1.35
CHARACTERS_PER_WIDTH = 0.95


def _cells(worksheet: Any, strings: dict[int, str]) -> Iterator[tuple[int, int, str, Any]]:
    for row, columns in worksheet.table.items():
        for column, cell in columns.items():
            kind = type(cell).__name__
            if kind == "String":
                text = strings.get(cell.string, "") if isinstance(cell.string, int) else cell.string
            elif kind == "RichString":
                text = cell.raw_string
            elif kind == "Number":
                text = f"{cell.number:,.3f}".rstrip("0").rstrip(".")
            else:
                continue
            yield row, column, str(text), cell.format


def _lines(text: str, width: float) -> int:
    per_line = max(width * CHARACTERS_PER_WIDTH, 1.0)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def lay_out_workbook(workbook: Any) -> None:
    """Set widths, heights and print setup on every worksheet of an open gptables workbook."""
    strings = {index: text for text, index in workbook.str_table.string_table.items()}
    for worksheet in workbook.worksheets():
        cells = list(_cells(worksheet, strings))
        per_row: dict[int, int] = {}
        for row, _, _, _ in cells:
            per_row[row] = per_row.get(row, 0) + 1
        table_rows = sorted(row for row, count in per_row.items() if count > 1)
        widths: dict[int, float] = {}
        if not table_rows:
            # The cover: one column of paragraphs.
            widths = {0: COVER_WIDTH}
        else:
            for row, column, text, _ in cells:
                if per_row[row] > 1:
                    longest = max((len(part) for part in text.split("\n")), default=0)
                    widths[column] = max(widths.get(column, MIN_WIDTH), longest + 2.0)
            widths = {column: min(width, MAX_TEXT_WIDTH) for column, width in widths.items()}
        for column, width in sorted(widths.items()):
            worksheet.set_column(column, column, width)
        heights: dict[int, float] = {}
        for row, column, text, cell_format in cells:
            wraps = bool(getattr(cell_format, "text_wrap", 0))
            if wraps and (per_row[row] > 1 or not table_rows):
                lines = _lines(text, widths.get(column, MIN_WIDTH))
                size = float(getattr(cell_format, "font_size", 12) or 12)
                if lines > 1 or not table_rows:
                    heights[row] = max(heights.get(row, 0.0), lines * size * LINE_SPACING)
        for row, height in sorted(heights.items()):
            worksheet.set_row(row, round(height + 4, 1))
        worksheet.set_paper(9)  # A4
        worksheet.fit_to_pages(1, 0)
        if table_rows:
            worksheet.repeat_rows(table_rows[0])
            if sum(widths.values()) > 100:
                worksheet.set_landscape()
