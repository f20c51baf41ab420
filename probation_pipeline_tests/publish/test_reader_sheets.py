"""tables.xlsx and tables.ods read back as a reader's tools read them: same sheets, no codes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from odf.element import Element

from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.ods import write_ods
from probation_pipeline.publish.sheets import workbook_model
from probation_pipeline.publish.workbook import write_workbook
from probation_pipeline_tests.publish.conftest import REFERENCE, make_bundle
from probation_pipeline_tests.publish.reader_tools import (
    convert_with_libreoffice,
    ods_cells,
    reader_problems,
    xlsx_cells,
)


@pytest.fixture(scope="module")
def spreadsheets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    bundle = make_bundle()
    frames = published_frames(bundle)
    model = workbook_model(bundle, frames, "2017-10-abcdef012345")
    folder = tmp_path_factory.mktemp("sheets")
    write_workbook(bundle, frames, "2017-10-abcdef012345", folder / "tables.xlsx", model)
    write_ods(model, folder / "tables.ods", bundle.latest_fieldwork)
    return folder / "tables.xlsx", folder / "tables.ods"


def test_reader_sheets_hold_no_codes_booleans_or_long_floats(spreadsheets) -> None:
    xlsx, ods = spreadsheets
    assert reader_problems(xlsx_cells(xlsx), REFERENCE) == []
    assert reader_problems(ods_cells(ods), REFERENCE) == []


def test_the_check_finds_what_it_looks_for() -> None:
    cells = [
        ("Ratings", "keeping_safe"),
        ("Ratings", "cumbria"),
        ("Model", "provider=NPS"),
        ("Model", 0.06219147710234786),
        ("Ratings", True),
        ("Ratings", 0.062),
        ("Ratings", "Keeping other people safe"),
    ]
    assert len(reader_problems(cells, REFERENCE)) == 5


def test_ods_has_the_xlsx_sheets_notes_and_numbers(spreadsheets) -> None:
    xlsx, ods = spreadsheets
    workbook = openpyxl.load_workbook(xlsx)
    sheets = pd.read_excel(ods, engine="odf", sheet_name=None, header=None)
    assert list(sheets) == workbook.sheetnames
    xlsx_notes = [row[:2] for row in workbook["Notes"].iter_rows(values_only=True)][3:]
    ods_notes = [tuple(row[:2]) for row in sheets["Notes"].itertuples(index=False)][3:]
    assert [(int(n), text) for n, text in ods_notes] == [(int(n), text) for n, text in xlsx_notes]
    # Table 1, all cases: All 91 (61.5%), CRC 40 (55.0%), NPS 51 (66.7%), in both files.
    table = sheets["Table_1"]
    header = next(i for i, row in table.iterrows() if row[0] == "Group")
    assert list(table.iloc[header + 1]) == ["All cases", "All cases", 91, 61.5, 40, 55, 51, 66.7]
    assert "[note 1] [note 2] [note 3]" in str(table.iloc[1, 0])


def test_workbook_layout_fits_wrapped_text_and_prints_to_width(spreadsheets) -> None:
    xlsx, _ = spreadsheets
    workbook = openpyxl.load_workbook(xlsx)
    notes = workbook["Notes"]
    assert notes.column_dimensions["B"].width <= 62
    long_rows = [
        row[1].row for row in notes.iter_rows(min_row=4) if row[1].value and len(row[1].value) > 200
    ]
    assert long_rows and all(notes.row_dimensions[r].height >= 60 for r in long_rows)
    cover_text = " ".join(str(v) for (v,) in workbook["Cover"].iter_rows(values_only=True) if v)
    assert ".;" not in cover_text and ")[" not in cover_text
    for name in ("Table_1", "Ratings", "Model_Coefficients"):
        sheet = workbook[name]
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth in (1, None) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows == "$6:$6"  # the table header row


def test_ods_is_byte_reproducible(tmp_path: Path) -> None:
    bundle = make_bundle()
    model = workbook_model(bundle, published_frames(bundle), "2017-10-abcdef012345")
    # As in a new process: odfpy has declared no namespace yet; the first write then declares some.
    Element.namespaces.clear()
    for name in ("one.ods", "two.ods"):
        write_ods(model, tmp_path / name, bundle.latest_fieldwork)
    assert (tmp_path / "one.ods").read_bytes() == (tmp_path / "two.ods").read_bytes()


def test_libreoffice_opens_and_converts_the_ods(spreadsheets, tmp_path: Path) -> None:
    _, ods = spreadsheets
    converted = convert_with_libreoffice(ods, tmp_path)
    workbook = openpyxl.load_workbook(converted)
    assert workbook.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    assert "Table_1" in workbook.sheetnames
    assert reader_problems(xlsx_cells(converted), REFERENCE) == []
