"""Header diagnosis and file-level checks: one message per file, naming what is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from probation_pipeline.extracts.contents import check_text_bytes, read_area_extracts
from probation_pipeline.extracts.errors import (
    ExtractContentError,
    UnknownFormVersionError,
    UnreadableExtractError,
)
from probation_pipeline.extracts.reader import list_extract_files, read_extract
from probation_pipeline.extracts.versions import V1, V2, V3, diagnose_header
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.shipped import ANSWERS, REFERENCE, REPO

PSEUDO = Pseudonymiser("test-key")


def test_extra_column_names_the_nearest_version_and_the_column():
    diagnosis = diagnose_header((*V2.header, "extra_col"))
    assert diagnosis.nearest is V2
    assert diagnosis.unexpected == ("extra_col",)
    assert diagnosis.missing == ()
    text = diagnosis.describe()
    assert "nearest is v2" in text and "unexpected column(s) 'extra_col'" in text


def test_missing_and_misspelt_columns_are_named():
    header = tuple("Q_Barriers" if name == "q_barriers" else name for name in V3.header[:-1])
    diagnosis = diagnose_header(header)
    assert diagnosis.nearest is V3
    assert diagnosis.missing == ("q_barriers", V3.header[-1])
    assert diagnosis.unexpected == ("Q_Barriers",)
    assert "'Q_Barriers' looks like 'q_barriers'" in diagnosis.describe()


def test_reordered_and_repeated_columns():
    reordered = diagnose_header((V1.header[1], V1.header[0], *V1.header[2:]))
    assert reordered.nearest is V1 and reordered.out_of_order
    assert "another order" in reordered.describe()
    repeated = diagnose_header((*V2.header, "sex"))
    assert repeated.duplicated == ("sex",)
    assert "repeated column(s) 'sex'" in repeated.describe()


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"PK\x03\x04rest-of-an-xlsx", "zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1xls", "OLE2"),
        ("inspection_id\n".encode("utf-16"), "UTF-16"),
        (b"inspection_id,pcc_area\ngwent\x00-2017-01,Gwent\n", "NUL byte"),
    ],
)
def test_binary_bytes_are_named(data, says):
    with pytest.raises(UnreadableExtractError, match=says):
        check_text_bytes("gwent/gwent-2017-01.csv", data)


def _shipped(tmp_path: Path, area: str) -> Path:
    shutil.copytree(REPO / "data" / "raw" / area, tmp_path / area)
    return next((tmp_path / area).glob("*.csv"))


def _errors(tmp_path: Path, area: str):
    files = list_extract_files(tmp_path, area)
    return read_area_extracts(files, PSEUDO, REFERENCE)


def test_header_only_file_is_an_error_naming_it(tmp_path):
    path = _shipped(tmp_path, "gwent")
    path.write_text(path.read_text().splitlines()[0] + "\n")
    reads, errors = _errors(tmp_path, "gwent")
    assert not reads and len(errors) == 1
    assert isinstance(errors[0], ExtractContentError)
    assert "gwent-2017-01.csv" in str(errors[0]) and "header only" in str(errors[0])


def test_repeated_header_row_is_one_error(tmp_path):
    path = _shipped(tmp_path, "gwent")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:10], lines[0], *lines[10:]]) + "\n")
    _, errors = _errors(tmp_path, "gwent")
    assert len(errors) == 1 and "header row is repeated at line(s) 11" in str(errors[0])


@pytest.mark.parametrize("share", [1.0, 0.5, 0.02])
def test_rows_naming_another_inspection_fail_the_file_once(tmp_path, share):
    path = _shipped(tmp_path, "gwent")
    lines = path.read_text().splitlines()
    changed = max(1, int(share * (len(lines) - 1)))
    body = [
        line.replace("gwent-2017-01", "gwent-2016-01", 1) if i < changed else line
        for i, line in enumerate(lines[1:])
    ]
    path.write_text("\n".join([lines[0], *body]) + "\n")
    _, errors = _errors(tmp_path, "gwent")
    assert len(errors) == 1
    message = str(errors[0])
    assert "gwent-2017-01.csv" in message and "'inspection_id'" in message
    assert f"on {changed} of {len(lines) - 1} rows" in message and "'gwent-2016-01'" in message


def test_rows_naming_another_area_fail_the_file(tmp_path):
    path = _shipped(tmp_path, "kent")  # a v1 file: the column is called "PCC Area"
    text = path.read_bytes().decode("utf-8-sig").replace(",Kent,", ",Durham,")
    path.write_bytes(text.encode("utf-8-sig"))
    _, errors = _errors(tmp_path, "kent")
    assert len(errors) == 1
    assert "'PCC Area' is not the folder 'kent''s area 'Kent'" in str(errors[0])
    assert "'Durham'" in str(errors[0])


def test_every_bad_file_of_an_area_is_named(tmp_path):
    shutil.copytree(REPO / "data" / "raw" / "london", tmp_path / "london")
    for path in (tmp_path / "london").glob("*.csv"):
        path.write_text(path.read_text().splitlines()[0] + ",extra\n")
    _, errors = _errors(tmp_path, "london")
    assert sorted(Path(e.path).name for e in errors) == ["london-2016-09.csv", "london-2017-10.csv"]
    assert all(isinstance(e, UnknownFormVersionError) for e in errors)


def test_reader_error_names_the_unexpected_column(tmp_path):
    path = _shipped(tmp_path, "gwent")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",notes", *(line + ",x" for line in lines[1:])]) + "\n")
    with pytest.raises(UnknownFormVersionError, match="unexpected column\\(s\\) 'notes'"):
        read_extract(path, PSEUDO, ANSWERS)
