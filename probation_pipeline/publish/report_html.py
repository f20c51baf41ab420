"""HTML pieces of the report: the style sheet and accessible tables in scrolling containers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from probation_pipeline.publish.data_files import is_shorthand

STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 0; line-height: 1.45;
  overflow-wrap: break-word; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { border-bottom: 0.5rem solid #12436d; padding-bottom: 1rem; }
h1 { font-size: 2rem; margin: 1.5rem 0 0.5rem; }
h2 { font-size: 1.5rem; margin-top: 2.5rem; border-top: 1px solid #b1b4b6; padding-top: 1rem; }
a { color: #1d70b8; }
a:focus, .table-wrap:focus { outline: 3px solid #fd0; }
a:focus { background: #fd0; color: #0b0c0c; }
.skip { position: absolute; left: -999rem; }
.skip:focus { position: static; }
.notice { border-left: 0.5rem solid #d4351c; background: #fef7f6; padding: 0.75rem 1rem;
  margin: 1rem 0; font-weight: bold; }
.release { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0.25rem 1rem;
  margin: 0; }
.release dt { font-weight: bold; }
.release dd { margin: 0; }
.table-wrap { max-width: 100%; overflow-x: auto; margin: 1rem 0 2rem; }
table { border-collapse: collapse; font-size: 0.95rem; }
caption { text-align: left; font-weight: bold; font-size: 1.1rem; padding-bottom: 0.5rem; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.3rem 0.75rem 0.3rem 0; text-align: left;
  vertical-align: top; }
thead th { border-bottom: 2px solid #0b0c0c; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1rem 0; }
figure svg { display: block; max-width: 100%; height: auto; }
.chart-narrow { display: none; }
@media (max-width: 44rem) {
  figure svg.chart-wide { display: none; }
  figure svg.chart-narrow { display: block; }
  h1 { font-size: 1.6rem; }
  .release { display: block; }
  .release dd { margin-bottom: 0.25rem; }
}
figcaption { font-size: 0.95rem; color: #505a5f; }
.headline { display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; list-style: none; }
.headline li { border-left: 0.3rem solid #12436d; padding: 0.25rem 0.75rem; min-width: 11rem;
  flex: 1 1 11rem; }
.headline .value { display: block; font-size: 1.75rem; font-weight: bold; }
.meta { color: #505a5f; }
footer { border-top: 1px solid #b1b4b6; margin-top: 3rem; padding-bottom: 2rem; }
"""


def html_table(
    caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], row_headers: int
) -> str:
    """A `<table>` with caption and scoped headers, in a focusable container that scrolls sideways.

    The first `row_headers` cells of each row are row headers. Columns whose every cell is a
    number or shorthand are right-aligned.
    """
    numeric = [
        bool(rows) and all(is_number_or_code(row[index]) for row in rows)
        for index in range(len(headers))
    ]
    number_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{number_class if numeric[i] else ""}>{escape(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            css = number_class if numeric[index] else ""
            if index < row_headers:
                cells.append(f'<th scope="row"{css}>{escape(value)}</th>')
            else:
                cells.append(f"<td{css}>{escape(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    # A keyboard user must be able to scroll a wide table: the container takes focus.
    return (
        f'<div class="table-wrap" role="region" aria-label="{escape(caption)}" tabindex="0">\n'
        f"<table>\n<caption>{escape(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        "<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>\n</div>"
    )


def leading_label_columns(rows: Sequence[Sequence[str]]) -> int:
    """How many leading columns are labels (no number or shorthand in any row); at least 1."""
    count = 0
    width = len(rows[0]) if rows else 0
    while count < width - 1 and not any(is_number_or_code(row[count]) for row in rows):
        count += 1
    return max(count, 1)


def is_number_or_code(value: str) -> bool:
    if is_shorthand(value) or re.fullmatch(r"<\d+(\.\d+)?", value.strip()):
        return True
    try:
        float(value.replace(",", ""))
    except ValueError:
        return False
    return True
