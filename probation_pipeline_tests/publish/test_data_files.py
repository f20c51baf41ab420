"""Tidy data files: withheld numbers stay withheld, bytes are stable."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.publish.data_files import (
    DATA_FILE_STEMS,
    is_shorthand,
    published_frames,
    selected_as_text,
    write_data_files,
)
from probation_pipeline.publish.spec import PublicationSpecError
from probation_pipeline_tests.publish.conftest import SPEC, make_bundle


def _with_confidential_cell() -> pd.DataFrame:
    tables = make_bundle().judgement_tables.copy()
    # Withhold the percentage of one cell and both n and percentage of another.
    pct_only = (
        (tables["question_id"] == "barriers")
        & (tables["level"] == "Female")
        & (tables["provider"] == "CRC")
    )
    both = (
        (tables["question_id"] == "barriers")
        & (tables["level"] == "Female")
        & (tables["provider"] == "NPS")
    )
    tables.loc[pct_only, "pct_display"] = "[c]"
    tables.loc[both, ["n_display", "pct_display"]] = "[c]"
    return tables


def test_numbers_behind_shorthand_are_blank() -> None:
    bundle = dataclasses.replace(make_bundle(), judgement_tables=_with_confidential_cell())
    tables = published_frames(bundle)["judgement_tables"]
    female = tables[(tables["question_id"] == "barriers") & (tables["level"] == "Female")]
    crc = female[female["provider"] == "CRC"].iloc[0]
    nps = female[female["provider"] == "NPS"].iloc[0]
    # Fixture: CRC Female n = 40 + 5 * 2 = 50.
    assert crc["n"] == 50
    assert pd.isna(crc["yes"]) and pd.isna(crc["pct_yes"]) and pd.isna(crc["ci_lower"])
    assert pd.isna(nps["n"]) and pd.isna(nps["yes"]) and pd.isna(nps["ci_upper"])
    # Cells that are not withheld keep their numbers.
    male_crc = tables[
        (tables["question_id"] == "barriers")
        & (tables["level"] == "Male")
        & (tables["provider"] == "CRC")
    ].iloc[0]
    assert male_crc["yes"] == 24 and male_crc["pct_yes"] == 53.3


def test_impossible_cells_have_no_numbers() -> None:
    tables = published_frames(make_bundle())["judgement_tables"]
    impossible = tables[(tables["level"] == "High/Very high") & (tables["provider"] == "CRC")]
    assert len(impossible) == 7
    assert (impossible["pct_display"] == "[z]").all()
    assert impossible[["n", "yes", "pct_yes"]].isna().all().all()


def test_counts_are_written_as_integers(tmp_path: Path) -> None:
    write_data_files(published_frames(make_bundle()), tmp_path, SPEC)
    lines = (tmp_path / "judgement_tables.csv").read_text().splitlines()
    # Each code column is followed by its words (DESIGN.md section 11: labels are extra columns).
    assert lines[0].startswith(
        "question_id,question,variable,variable_label,level,provider,provider_label,n,yes,pct_yes,"
    )
    assert lines[1].startswith(
        "barriers,Were barriers to effective engagement sufficiently identified?,all,All cases,"
        "All cases,All,All providers,91,56,61.5,"
    )


def test_same_frames_give_same_bytes(tmp_path: Path) -> None:
    digests = []
    for name in ("first", "second"):
        folder = tmp_path / name
        folder.mkdir()
        digests.append(write_data_files(published_frames(make_bundle()), folder, SPEC))
    assert digests[0] == digests[1]
    assert set(digests[0]) == {
        f"{stem}.{extension}" for stem in DATA_FILE_STEMS for extension in ("csv", "parquet")
    } | {"data_dictionary.csv"}


def test_the_dictionary_names_every_csv_column_and_the_parquet_codes(tmp_path: Path) -> None:
    frames = published_frames(make_bundle())
    write_data_files(frames, tmp_path, SPEC)
    dictionary = pd.read_csv(tmp_path / "data_dictionary.csv", dtype=str, keep_default_na=False)
    for stem, frame in frames.items():
        csv_columns = list(pd.read_csv(tmp_path / f"{stem}.csv", nrows=0).columns)
        listed = dictionary[dictionary["file"] == f"{stem}.csv"]
        assert list(listed["column"]) == csv_columns
        assert (listed["heading"].str.len() > 0).all() and (listed["description"] != "").all()
        # The Parquet file keeps the codes only; the dictionary says which columns it has.
        in_parquet = set(listed.loc[listed["in_parquet"] == "Yes", "column"])
        assert in_parquet == set(frame.columns)
        assert list(pd.read_parquet(tmp_path / f"{stem}.parquet").columns) == list(frame.columns)
    codes = dictionary[dictionary["kind"] == "code"]
    assert {"question_id", "area", "provider", "variable", "term"} <= set(codes["column"])
    assert codes["description"].str.contains("Its words are in column").all()


def test_a_column_the_spec_does_not_describe_is_refused(tmp_path: Path) -> None:
    frames = published_frames(make_bundle())
    frames["ratings"] = frames["ratings"].assign(internal_flag=1)
    with pytest.raises(PublicationSpecError, match=r"columns.ratings .*internal_flag"):
        write_data_files(frames, tmp_path, SPEC)


def test_selected_variables_as_text() -> None:
    assert selected_as_text(["provider", "rosh_level"]) == "provider, rosh_level"
    assert selected_as_text(()) == ""
    assert selected_as_text("provider") == "provider"
    assert selected_as_text(None) == ""


def test_shorthand_recognition() -> None:
    assert is_shorthand("[c]") and is_shorthand("[z]") and is_shorthand("[x]")
    assert not is_shorthand("12.5") and not is_shorthand("[note 1]") and not is_shorthand(None)
