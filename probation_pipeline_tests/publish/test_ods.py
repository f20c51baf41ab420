"""tables.ods: the data rows written as text are the markup odfpy writes for the same cells."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from odf.opendocument import OpenDocumentSpreadsheet

from probation_pipeline.publish.data_files import published_frames
from probation_pipeline.publish.ods import _Styles, _value_cell, _value_cell_xml, write_ods
from probation_pipeline.publish.sheets import workbook_model
from probation_pipeline_tests.publish.conftest import make_bundle

VALUES = [
    0,
    1234567,
    -3,
    2.5,
    81.25,
    1e-7,
    0.1 + 0.2,
    float("nan"),
    float("inf"),
    None,
    pd.NA,
    True,
    False,
    np.int64(5),
    np.float64(2.25),
    "",
    "a & b < c > d",
    'say "hi"',
    'it\'s "both"',
    "line\nbreak\r",
    "tab\tchar",
    "\x01control",
    "é ≥ 80%",
]
FORMATS = [None, "#,##0", "0.0", "0.000"]


def _odfpy_markup(element) -> str:
    markup = io.StringIO()
    element.toXml(1, markup)
    return markup.getvalue()


@pytest.mark.parametrize("number_format", FORMATS)
def test_data_cell_markup_is_what_odfpy_writes(number_format: str | None) -> None:
    styles = _Styles(OpenDocumentSpreadsheet())
    for value in VALUES:
        markup, style = _value_cell_xml(value, number_format, styles)
        element = _value_cell(value, number_format, styles)
        assert markup == _odfpy_markup(element), value
        assert style == element.getAttribute("stylename")


def _content(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("content.xml").decode("utf-8")


def test_ods_holds_every_data_row_and_no_placeholder(tmp_path: Path) -> None:
    bundle = make_bundle()
    model = workbook_model(bundle, published_frames(bundle), "2017-10-abcdef012345")
    write_ods(model, tmp_path / "tables.ods", bundle.latest_fieldwork)
    content = _content(tmp_path / "tables.ods")
    assert "probation-pipeline data rows" not in content
    # Title, subtitle, three lines of text, the header row, then one row per table row.
    sheets = pd.read_excel(tmp_path / "tables.ods", engine="odf", sheet_name=None, header=None)
    for sheet in model.tables:
        assert len(sheets[sheet.name]) == 6 + len(sheet.table), sheet.name
    # Every number style the rows use is declared (odfpy keeps only the styles it sees used).
    for name in {f"num{index}" for index in range(1, 4)}:
        if f'table:style-name="{name}"' in content:
            assert f'style:name="{name}"' in content
