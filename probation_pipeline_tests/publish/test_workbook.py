"""tables.xlsx: accessible layout (gptables), numbers as numbers, byte-reproducible."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from probation_pipeline.publish.data_files import published_frames, write_data_files
from probation_pipeline.publish.workbook import write_workbook
from probation_pipeline_tests.publish.conftest import make_bundle

EXPECTED_SHEETS = [
    "Cover",
    "Contents",
    "Notes",
    *(f"Table_{number}" for number in range(1, 8)),
    "Ratings",
    "Model_Summaries",
    "Model_Steps",
    "Model_Coefficients",
]


@pytest.fixture(scope="module")
def workbook_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = make_bundle()
    path = tmp_path_factory.mktemp("workbook") / "tables.xlsx"
    write_workbook(bundle, published_frames(bundle), "2017-10-abcdef012345", path)
    return path


def _rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(path)
    return list(workbook[sheet].iter_rows(values_only=True))


def test_sheets_are_cover_contents_notes_then_one_table_each(workbook_path: Path) -> None:
    assert openpyxl.load_workbook(workbook_path).sheetnames == EXPECTED_SHEETS


def test_cover_has_title_source_method_and_contact(workbook_path: Path) -> None:
    text = " ".join(str(cell) for row in _rows(workbook_path, "Cover") for cell in row if cell)
    assert "The quality of service user assessment" in text
    assert "HM Inspectorate of Probation, case inspection records" in text
    assert "Method" in text and "Wilson score intervals" in text
    assert "Research and Analysis team" in text
    assert "2017-10-abcdef012345" in text


def test_notes_explain_the_shorthand(workbook_path: Path) -> None:
    text = " ".join(str(cell) for row in _rows(workbook_path, "Notes") for cell in row if cell)
    for code in ("[c]", "[z]", "[x]"):
        assert code in text


def test_bulletin_table_holds_numbers_and_shorthand_text(workbook_path: Path) -> None:
    rows = _rows(workbook_path, "Table_1")
    assert rows[0][0] == "Table 1: Were barriers to effective engagement sufficiently identified?"
    header_index = next(i for i, row in enumerate(rows) if row[:2] == ("Group", "Level"))
    assert rows[header_index][2:] == (
        "All n",
        "All % yes",
        "CRC n",
        "CRC % yes",
        "NPS n",
        "NPS % yes",
    )
    # Fixture, barriers, all cases: All 91 (61.5%), CRC 40 (55.0%), NPS 51 (66.7%).
    assert rows[header_index + 1] == ("All cases", "All cases", 91, 61.5, 40, 55, 51, 66.7)
    high = rows[header_index + 6]
    assert high[:2] == ("RoSH level", "High/Very high")
    assert high[4:6] == ("[z]", "[z]")


def test_percentages_show_one_decimal(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Table_1"]
    percent_cells = [
        cell
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, float | int) and cell.column in (4, 6, 8)
    ]
    assert percent_cells and all(cell.number_format == "0.0" for cell in percent_cells)


def test_missing_model_values_are_marked_not_applicable(workbook_path: Path) -> None:
    rows = _rows(workbook_path, "Model_Steps")
    header = next(row for row in rows if row[0] == "Question")
    assert header[:7] == (
        "Question",
        "Step",
        "Action",
        "Variable",
        "Test statistic",
        "Degrees of freedom",
        "p-value",
    )
    wording = "Were barriers to effective engagement sufficiently identified?"
    start = next(row for row in rows if row[:3] == (wording, 0, "Start"))
    assert start[3:7] == ("[z]", "[z]", "[z]", "[z]")
    entered = next(row for row in rows if row[:3] == (wording, 1, "Entered"))
    # Fixture p = 0.0001: below 0.001, shown as words, not as a long float.
    assert entered[3] == "Provider" and entered[4] == 20.25 and entered[6] == "<0.001"


def test_workbook_is_byte_reproducible_and_dated_by_fieldwork(tmp_path: Path) -> None:
    bundle = make_bundle()
    frames = published_frames(bundle)
    paths = [tmp_path / "first.xlsx", tmp_path / "second.xlsx"]
    for path in paths:
        write_workbook(bundle, frames, "2017-10-abcdef012345", path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    created = openpyxl.load_workbook(paths[0]).properties.created
    assert created == datetime(2017, 10, 2)


def test_ratings_sheet_labels_percentages_and_national_rows(workbook_path: Path) -> None:
    sheet = openpyxl.load_workbook(workbook_path)["Ratings"]
    rows = [[cell for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if row[0].value == "Scope")
    headings = [cell.value for cell in header]
    assert "Rating" in headings and "95% interval lower (%)" in headings
    for internal in ("Withheld", "Why withheld", "Sufficient (%) as shown", "Area code"):
        assert internal not in headings
    pct = headings.index("Sufficient (%)")
    national = [row for row in rows if row[0].value == "National"]
    assert national and national[0][1].value == "All areas (national)"
    assert all(row[pct].number_format == "0.0" for row in national)
    crosses = headings.index("Interval crosses a band boundary")
    assert {row[crosses].value for row in national} == {"Yes"}


def test_coefficient_intervals_are_not_rounded(workbook_path: Path) -> None:
    rows = _rows(workbook_path, "Model_Coefficients")
    header = next(row for row in rows if row[0] == "Question")
    assert "Odds ratio 95% interval lower" in header


def test_inestimable_and_infinite_model_values_become_shorthand(tmp_path: Path) -> None:
    bundle = make_bundle()
    coefficients = bundle.model_coefficients.copy()
    coefficients["note"] = ""
    # An inestimable term as the models mark it, and an infinity that slipped through.
    separated = coefficients.index[1]
    coefficients.loc[separated, ["estimate", "std_error", "odds_ratio", "ci_lower"]] = math.nan
    coefficients.loc[separated, ["ci_upper", "p_value"]] = math.nan
    coefficients.loc[separated, "note"] = "not estimable: (quasi-)complete separation"
    coefficients.loc[coefficients.index[2], "ci_upper"] = math.inf
    bundle = dataclasses.replace(bundle, model_coefficients=coefficients)
    frames = published_frames(bundle)
    path = tmp_path / "tables.xlsx"
    write_workbook(bundle, frames, "2017-10-abcdef012345", path)
    rows = _rows(path, "Model_Coefficients")
    header = next(row for row in rows if row[0] == "Question")
    body = rows[rows.index(header) + 1 :]
    assert body[1][2:8] == ("[x]",) * 6
    assert body[1][header.index("Why no estimate")].startswith("not estimable")
    assert body[2][header.index("Odds ratio 95% interval upper")] == "[z]"
    numbers = [value for row in body for value in row if isinstance(value, float)]
    assert numbers and all(math.isfinite(value) for value in numbers)
    write_data_files(frames, tmp_path, bundle.spec)
    assert "inf" not in (tmp_path / "model_coefficients.csv").read_text()
