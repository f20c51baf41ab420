"""`tables.ods`: the OpenDocument spreadsheet beside tables.xlsx, with the same sheets (odfpy).

gptables writes xlsx only; this draws the same `WorkbookModel`: Cover, Contents (linked), Notes,
then one table per sheet with title, subtitle and note markers, source and scope above the table.
Numbers are numbers with a number style (`#,##0`, `0.0`, `0.000`), shorthand is text. Wrapped
cells sit in rows of optimal height (LibreOffice sizes them on opening), the table's header row
repeats on every printed page, and each sheet prints landscape, scaled to one page wide.

Byte-reproducible: odfpy stamps zip entries with the clock, so the archive is rewritten with every
entry dated by the latest fieldwork, as the xlsx's created date is.

The data rows of the table sheets (thousands of cells) are written as text, in exactly the markup
odfpy's `toXml` gives the same elements: building an odfpy element per cell cost most of the
file's time. Each sheet holds an odfpy placeholder row referring to the styles its rows use (so
odfpy keeps those automatic styles), whose markup is replaced by the rows' when the archive is
rewritten.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from odf import number as ns
from odf.element import Element, _quoteattr, _sanitize
from odf.namespaces import LOEXTNS
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import (
    MasterPage,
    PageLayout,
    PageLayoutProperties,
    Style,
    TableCellProperties,
    TableColumnProperties,
    TableProperties,
    TableRowProperties,
    TextProperties,
)
from odf.table import Table, TableCell, TableColumn, TableHeaderRows, TableRow
from odf.text import A, P

from probation_pipeline.publish.readable import cell_text
from probation_pipeline.publish.sheets import SheetTable, WorkbookModel

CENTIMETRES_PER_CHARACTER = 0.21
MAX_COLUMN_CHARACTERS = 60


class _Styles:
    """Named styles of the document: text kinds and one cell style per number format."""

    def __init__(self, document: OpenDocumentSpreadsheet) -> None:
        self.document = document
        self.number: dict[str, str] = {}
        self.columns: dict[float, str] = {}
        add = document.automaticstyles.addElement
        for name, size, bold in (("title", "16pt", True), ("heading", "14pt", True)):
            style = Style(name=name, family="table-cell")
            style.addElement(TextProperties(fontsize=size, fontweight="bold" if bold else "normal"))
            add(style)
        for name, bold in (("text", False), ("header", True)):
            style = Style(name=name, family="table-cell")
            style.addElement(TableCellProperties(wrapoption="wrap", verticalalign="top"))
            if bold:
                style.addElement(TextProperties(fontweight="bold"))
            add(style)
        row = Style(name="row", family="table-row")
        row.addElement(TableRowProperties(useoptimalrowheight="true"))
        add(row)
        layout = PageLayout(name="print")
        properties = PageLayoutProperties(printorientation="landscape")
        # LibreOffice's "fit width to 1 page, height as needed".
        properties.setAttrNS(LOEXTNS, "scale-to-X", "1")
        properties.setAttrNS(LOEXTNS, "scale-to-Y", "0")
        layout.addElement(properties)
        add(layout)
        document.masterstyles.addElement(MasterPage(name="Default", pagelayoutname=layout))
        table = Style(name="sheet", family="table", masterpagename="Default")
        table.addElement(TableProperties(display="true"))
        add(table)

    def for_number(self, number_format: str) -> str:
        if number_format not in self.number:
            index = len(self.number) + 1
            decimals = number_format.split(".")[1].count("0") if "." in number_format else 0
            data_style = ns.NumberStyle(name=f"N{index}")
            data_style.addElement(
                ns.Number(
                    decimalplaces=decimals,
                    minintegerdigits=1,
                    grouping="true" if "," in number_format else "false",
                )
            )
            self.document.automaticstyles.addElement(data_style)
            cell = Style(name=f"num{index}", family="table-cell", datastylename=f"N{index}")
            cell.addElement(TableCellProperties(verticalalign="top"))
            self.document.automaticstyles.addElement(cell)
            self.number[number_format] = f"num{index}"
        return self.number[number_format]

    def for_width(self, characters: float) -> str:
        width = round(max(characters, 8) * CENTIMETRES_PER_CHARACTER, 2)
        if width not in self.columns:
            style = Style(name=f"col{len(self.columns) + 1}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{width}cm"))
            self.document.automaticstyles.addElement(style)
            self.columns[width] = style.getAttribute("name")
        return self.columns[width]


def _text_cell(text: str, style: str, link: str | None = None) -> TableCell:
    cell = TableCell(valuetype="string", stylename=style)
    paragraph = P()
    if link:
        paragraph.addElement(A(href=link, text=text))
    else:
        paragraph.addText(text)
    cell.addElement(paragraph)
    return cell


def _is_number(value: object, number_format: str | None) -> bool:
    # A number cell holds a finite number with a format; anything else is shown as text.
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return bool(numeric and math.isfinite(float(value)) and number_format)  # type: ignore[arg-type]


def _value_cell(value: object, number_format: str | None, styles: _Styles) -> TableCell:
    if _is_number(value, number_format):
        cell = TableCell(
            valuetype="float", value=repr(value), stylename=styles.for_number(number_format)
        )
        cell.addElement(P(text=cell_text(value, number_format)))
        return cell
    return _text_cell(cell_text(value, number_format), "text")


def _value_cell_xml(value: object, number_format: str | None, styles: _Styles) -> tuple[str, str]:
    """(markup, style name) of `_value_cell(value, number_format, styles)`, as odfpy writes it."""
    text = cell_text(value, number_format)
    paragraph = f"<text:p>{_sanitize(text)}</text:p>" if text else "<text:p/>"
    if _is_number(value, number_format):
        style = styles.for_number(number_format)  # type: ignore[arg-type]
        opening = (
            '<table:table-cell office:value-type="float" '
            f"office:value={_quoteattr(repr(value))} table:style-name={_quoteattr(style)}>"
        )
    else:
        style = "text"
        opening = '<table:table-cell office:value-type="string" table:style-name="text">'
    return f"{opening}{paragraph}</table:table-cell>", style


@dataclass(frozen=True)
class _RowsText:
    """The markup of a sheet's data rows and the placeholder markup it replaces."""

    placeholder: bytes
    rows: bytes


def _rows_placeholder(
    frame_rows: list[str], styles_used: list[str], index: int
) -> tuple[TableRow, _RowsText]:
    row = TableRow(stylename="row")
    for style in styles_used:
        row.addElement(TableCell(valuetype="string", stylename=style))
    # A text unique to this sheet, so the placeholder's markup occurs once in the document.
    row.addElement(_text_cell(f"probation-pipeline data rows {index}", "text"))
    markup = io.StringIO()
    row.toXml(1, markup)
    return row, _RowsText(markup.getvalue().encode("utf-8"), "".join(frame_rows).encode("utf-8"))


def _row(*cells: Element) -> TableRow:
    row = TableRow(stylename="row")
    for cell in cells:
        row.addElement(cell)
    return row


def _sheet(name: str, widths: list[float], styles: _Styles) -> Table:
    table = Table(name=name, stylename="sheet")
    for width in widths:
        table.addElement(TableColumn(stylename=styles.for_width(width)))
    return table


def _data_sheet(
    sheet: SheetTable, model: WorkbookModel, styles: _Styles, index: int
) -> tuple[Table, _RowsText | None]:
    """The sheet with its header rows, and the markup of its data rows (None without rows)."""
    frame = sheet.table
    widths = [
        min(
            MAX_COLUMN_CHARACTERS,
            max([len(str(column)), *(len(cell_text(v)) for v in frame[column])]) + 2,
        )
        for column in frame.columns
    ]
    table = _sheet(sheet.name, widths, styles)
    table.addElement(_row(_text_cell(sheet.title, "title")))
    table.addElement(
        _row(_text_cell(f"{sheet.subtitle}{model.markers(sheet.note_refs)}", "heading"))
    )
    table.addElement(
        _row(
            _text_cell(
                "This worksheet contains one table. Some cells refer to notes, which are on the "
                "Notes sheet.",
                "plain",
            )
        )
    )
    table.addElement(_row(_text_cell(f"Source: {model.source}", "plain")))
    table.addElement(_row(_text_cell(f"Scope: {model.scope}", "plain")))
    header = TableHeaderRows()
    header.addElement(_row(*(_text_cell(str(column), "header") for column in frame.columns)))
    table.addElement(header)
    formats = [sheet.formats.get(str(column)) for column in frame.columns]
    rows: list[str] = []
    styles_used: dict[str, None] = {"row": None}
    for values in frame.itertuples(index=False):
        cells = []
        for value, number_format in zip(values, formats, strict=True):
            markup, style = _value_cell_xml(value, number_format, styles)
            cells.append(markup)
            styles_used[style] = None
        rows.append(f'<table:table-row table:style-name="row">{"".join(cells)}</table:table-row>')
    if not rows:
        return table, None
    placeholder, text = _rows_placeholder(rows, list(styles_used), index)
    table.addElement(placeholder)
    return table, text


def write_ods(model: WorkbookModel, path: Path, dated: date) -> None:
    """Write the workbook model as an ODS file at `path`, every zip entry dated `dated`."""
    # odfpy declares in each part's root every namespace any element of the process has used so
    # far (`Element.namespaces` is a class attribute): start from none, so that the bytes do not
    # depend on what else this process wrote before.
    Element.namespaces.clear()
    document = OpenDocumentSpreadsheet()
    styles = _Styles(document)
    plain = Style(name="plain", family="table-cell")
    plain.addElement(TableCellProperties(verticalalign="top"))
    document.automaticstyles.addElement(plain)

    cover = _sheet("Cover", [100], styles)
    cover.addElement(_row(_text_cell(model.title, "title")))
    for line in model.intro:
        cover.addElement(_row(_text_cell(line, "text")))
    for heading, paragraphs in model.about:
        cover.addElement(_row(_text_cell(heading, "heading")))
        for paragraph in paragraphs:
            cover.addElement(_row(_text_cell(paragraph, "text")))
    cover.addElement(_row(_text_cell("Contact", "heading")))
    for line in model.contact:
        cover.addElement(_row(_text_cell(line, "text")))
    document.spreadsheet.addElement(cover)

    contents = _sheet("Contents", [20, 80], styles)
    contents.addElement(_row(_text_cell("Table of contents", "title")))
    contents.addElement(_row(_text_cell("This worksheet contains one table.", "plain")))
    contents.addElement(
        _row(_text_cell("Sheet name", "header"), _text_cell("Table description", "header"))
    )
    for sheet in model.tables:
        contents.addElement(
            _row(
                _text_cell(sheet.name, "text", link=f"#{sheet.name}.A1"),
                _text_cell(f"{sheet.title}. {sheet.subtitle}", "text"),
            )
        )
    document.spreadsheet.addElement(contents)

    notes = _sheet("Notes", [12, 90], styles)
    notes.addElement(_row(_text_cell("Notes", "title")))
    notes.addElement(_row(_text_cell("This worksheet contains one table.", "plain")))
    notes.addElement(_row(_text_cell("Note number", "header"), _text_cell("Note text", "header")))
    for number, (_, text) in enumerate(model.notes, start=1):
        notes.addElement(_row(_value_cell(number, "0", styles), _text_cell(text, "text")))
    document.spreadsheet.addElement(notes)

    rows: list[_RowsText] = []
    for index, sheet in enumerate(model.tables):
        table, text = _data_sheet(sheet, model, styles, index)
        document.spreadsheet.addElement(table)
        if text is not None:
            rows.append(text)

    buffer = io.BytesIO()
    document.write(buffer)
    _rewrite_dated(buffer.getvalue(), path, (dated.year, dated.month, dated.day, 0, 0, 0), rows)


CONTENT_NAME = "content.xml"


def _rewrite_dated(
    archive: bytes,
    path: Path,
    stamp: tuple[int, int, int, int, int, int],
    rows: list[_RowsText],
) -> None:
    """Copy the zip `archive` to `path` with every entry's timestamp set to `stamp`, and in
    `content.xml` each placeholder of `rows` replaced by its rows' markup."""
    with (
        zipfile.ZipFile(io.BytesIO(archive)) as source,
        zipfile.ZipFile(path, "w") as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, stamp)
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            data = source.read(info.filename)
            if info.filename == CONTENT_NAME:
                data = _fill_placeholders(data, rows)
            target.writestr(entry, data)


def _fill_placeholders(content: bytes, rows: list[_RowsText]) -> bytes:
    parts = []
    position = 0
    for text in rows:
        start = content.index(text.placeholder, position)
        if content.find(text.placeholder, start + 1) != -1:
            raise ValueError("a data-rows placeholder occurs twice in content.xml")
        parts += [content[position:start], text.rows]
        position = start + len(text.placeholder)
    return b"".join([*parts, content[position:]])
