"""Values are data, never code: hostile text in every text field of a bundle stays inert."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import openpyxl
import pytest

from probation_pipeline.publish.data_files import published_frames, write_data_files
from probation_pipeline.publish.escaping import spreadsheet_safe
from probation_pipeline.publish.report import render_report
from probation_pipeline.publish.workbook import write_workbook
from probation_pipeline_tests.publish.conftest import make_bundle

# How a negative number is written in a published CSV; anything else starting with "-" is text.
NEGATIVE_NUMBER = re.compile(r"-\d+(\.\d+)?(e[-+]\d+)?")
HOSTILE = (
    '=HYPERLINK("http://example.invalid","<b>click</b>")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "<script>alert(1)</script>",
)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20", "'+44 20"),
        ("-cmd", "'-cmd"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("-2.5", "-2.5"),  # a number is not a formula
        ("a=b", "a=b"),
        ("[c]", "[c]"),
    ],
)
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


def _hostile_bundle():
    bundle = make_bundle()
    text_columns = {
        "judgement_tables": ["level"],
        "ratings": ["area", "key_area"],
        "model_steps": ["variable"],
        "model_coefficients": ["term"],
        "model_summaries": ["summary_text"],
        "questions": ["wording", "short_label"],
    }
    changes = {}
    for name, columns in text_columns.items():
        frame = getattr(bundle, name).copy()
        for column in columns:
            # Distinct values: labels index the charts.
            frame[column] = [
                HOSTILE[i % len(HOSTILE)] + (f" {i}" if i >= len(HOSTILE) else "")
                for i in range(len(frame))
            ]
        changes[name] = frame
    return dataclasses.replace(bundle, **changes)


def test_no_text_becomes_a_formula_a_link_or_markup(tmp_path: Path):
    bundle = _hostile_bundle()
    frames = published_frames(bundle)
    path = tmp_path / "tables.xlsx"
    write_workbook(bundle, frames, "2017-10-abcdef012345", path)
    workbook = openpyxl.load_workbook(path)
    seen = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.hyperlink is not None:
                    # Only gptables' own links between sheets, never one from a value.
                    assert cell.hyperlink.location, (sheet.title, cell.coordinate)
                seen.add(cell.value)
    assert set(HOSTILE) <= seen  # kept as text, character for character

    write_data_files(frames, tmp_path, bundle.spec)
    for csv_path in tmp_path.glob("*.csv"):
        for row in csv.reader(io.StringIO(csv_path.read_text())):
            for field in row:
                assert not field.startswith(("=", "+", "@")), (csv_path.name, field)
                assert not field.startswith("-") or NEGATIVE_NUMBER.fullmatch(field), (
                    csv_path.name,
                    field,
                )

    html = render_report(bundle, frames, "2017-10-abcdef012345")
    assert "<script>" not in html and "<b>click</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
