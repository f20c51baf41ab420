from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.extracts.errors import (
    ExtractNameError,
    UnknownFormVersionError,
    UnreadableExtractError,
)
from probation_pipeline.extracts.reader import list_extract_files, read_extract
from probation_pipeline.extracts.versions import FORM_VERSIONS, detect_form_version
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.extract_fixtures import (
    v2_row,
    write_csv,
    write_v1,
    write_v2,
    write_v3,
)
from probation_pipeline_tests.shipped import ANSWERS

PSEUDO = Pseudonymiser("test-key")
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"


def _copy_example(tmp_path: Path, example: str) -> Path:
    name = example.split("_", 1)[1]
    area = name.rsplit("-", 2)[0]
    target = tmp_path / area / name
    target.parent.mkdir(parents=True)
    target.write_bytes((EXAMPLES / example).read_bytes())
    return target


def test_v1_bom_crlf_uk_dates_and_numeric_answers(tmp_path):
    path = write_v1(
        tmp_path,
        "durham-2016-04",
        [
            [
                "durham-2016-04",
                "Durham",
                "11/04/2016",
                "D550123",
                "CRC",
                "Durham Tees Valley CRC",
                "Community Order",
                "14/07/2015",
                "Male",
                "24",
                "White: Irish",
                "77",
                "Medium",
                "No",
                "",
                "1",
                "0",
                "1",
                "1",
                "",
                "1",
            ]
        ],
    )
    read = read_extract(path, PSEUDO, ANSWERS)
    row = read.rows.iloc[0]
    assert read.form_version == "v1"
    assert row["fieldwork_start"] == "2016-04-11" and row["sentence_date"] == "2015-07-14"
    assert row["age"] == "24"
    assert (row["diversity"], row["desistance_pre"]) == ("Yes", "No")
    assert pd.isna(row["harm_known_adults"])  # blank = not applicable
    assert pd.isna(row["barriers"])  # v1 never asked it
    assert row["source_line"] == 2


def test_v2_age_from_date_of_birth_and_na_answers(tmp_path):
    path = write_v2(
        tmp_path,
        "gwent-2017-01",
        [
            v2_row(
                "gwent-2017-01", "K204519", date_of_birth="1996-04-13", sentence_date="2016-04-12"
            )
        ],
    )
    row = read_extract(path, PSEUDO, ANSWERS).rows.iloc[0]
    assert row["age"] == "19"  # birthday is the day after sentence
    assert pd.isna(row["harm_known_adults"]) and pd.isna(row["harm_children"])
    assert row["barriers"] == "Yes"


def test_v3_pre_stage_is_canonical_and_post_kept(tmp_path):
    row = v2_row("london-2017-10", "L730011", pcc_area="London", q_harm_public="No")
    row["q_harm_public_post"] = "Yes"
    path = write_v3(tmp_path, "london-2017-10", [row])
    read = read_extract(path, PSEUDO, ANSWERS)
    assert read.form_version == "v3"
    assert read.rows.iloc[0]["harm_public"] == "No"
    assert read.rows.iloc[0]["harm_public_post"] == "Yes"


@pytest.mark.parametrize(
    "example", ["v1_durham-2016-04.csv", "v2_gwent-2017-01.csv", "v3_london-2017-10.csv"]
)
def test_shared_examples_read(tmp_path, example):
    if not (EXAMPLES / example).exists():
        pytest.skip("../shared/examples not beside the checkout")
    read = read_extract(_copy_example(tmp_path, example), PSEUDO, ANSWERS)
    assert read.form_version == example[:2]
    assert read.rows["read_problem"].isna().all()


def test_no_personal_data_leaves_the_reader(tmp_path):
    path = write_v2(tmp_path, "gwent-2017-01", [v2_row("gwent-2017-01", "K204519")])
    rows = read_extract(path, PSEUDO, ANSWERS).rows
    assert "case_ref" not in rows and "date_of_birth" not in rows
    text = rows.astype(str).to_csv()
    assert "K204519" not in text and "1989-07-30" not in text
    assert rows.iloc[0]["case_id"] == PSEUDO.case_id("K204519")


def test_malformed_case_ref_and_ragged_row_are_kept_with_a_problem(tmp_path):
    good = v2_row("gwent-2017-01", "K204519")
    bad = v2_row("gwent-2017-01", "k20451")
    path = write_v2(tmp_path, "gwent-2017-01", [good, bad])
    with path.open("a") as handle:
        handle.write("gwent-2017-01,Gwent,2017-01-09,K999999,CRC\n")
    rows = read_extract(path, PSEUDO, ANSWERS).rows
    assert len(rows) == 3
    assert rows["read_problem"].isna().tolist() == [True, False, False]
    assert "capital letter" in rows.iloc[1]["read_problem"]
    assert "expected 22 fields, found 5" in rows.iloc[2]["read_problem"]
    assert rows.iloc[2]["source_line"] == 4


def test_unknown_header_names_file_and_line(tmp_path):
    path = write_csv(tmp_path / "gwent" / "gwent-2017-01.csv", ("case", "answer"), [["K1", "Yes"]])
    with pytest.raises(UnknownFormVersionError) as error:
        read_extract(path, PSEUDO, ANSWERS)
    assert "gwent-2017-01.csv, line 1: header matches no known form version" in str(error.value)


def test_undecodable_bytes_name_the_line(tmp_path):
    path = write_v2(tmp_path, "gwent-2017-01", [v2_row("gwent-2017-01", "K204519")] * 2)
    path.write_bytes(path.read_bytes() + b"gwent-2017-01,Gw\xffent\n")
    with pytest.raises(UnreadableExtractError) as error:
        read_extract(path, PSEUDO, ANSWERS)
    assert error.value.line == 4 and "not UTF-8" in error.value.problem


def test_empty_file_is_unreadable(tmp_path):
    path = tmp_path / "gwent" / "gwent-2017-01.csv"
    path.parent.mkdir()
    path.write_bytes(b"")
    with pytest.raises(UnreadableExtractError, match="empty file"):
        read_extract(path, PSEUDO, ANSWERS)


def test_listing_skips_files_being_written_and_checks_names(tmp_path):
    write_v2(tmp_path, "gwent-2017-01", [v2_row("gwent-2017-01", "K204519")])
    for name in (
        ".gwent-2017-05.csv",
        "gwent-2017-05.csv.part",
        "gwent-2017-05.csv.tmp",
        "notes.txt",
    ):
        (tmp_path / "gwent" / name).write_text("x")
    assert [f.inspection_id for f in list_extract_files(tmp_path)] == ["gwent-2017-01"]
    (tmp_path / "gwent" / "durham-2017-05.csv").write_text("x")
    with pytest.raises(ExtractNameError):
        list_extract_files(tmp_path)


def test_each_version_is_detected_from_its_header_only():
    for version in FORM_VERSIONS:
        assert detect_form_version(version.header) is version
    assert detect_form_version(FORM_VERSIONS[1].header[:-1]) is None
