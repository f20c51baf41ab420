"""The bundle refuses what must never be published."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.publish.bundle import (
    InputFile,
    PublicationBundleError,
    RowAccounting,
    layout_for_display,
)
from probation_pipeline_tests.publish.conftest import make_bundle


def test_a_complete_bundle_is_accepted() -> None:
    bundle = make_bundle()
    assert bundle.row_accounting.quarantined == 5


def test_missing_column_is_named() -> None:
    bundle = make_bundle()
    with pytest.raises(
        PublicationBundleError, match=r"judgement_tables: missing column\(s\) \['pct_display'\]"
    ):
        dataclasses.replace(
            bundle, judgement_tables=bundle.judgement_tables.drop(columns="pct_display")
        )


@pytest.mark.parametrize("column", ["case_id", "case_ref", "date_of_birth"])
def test_case_level_column_is_refused(column: str) -> None:
    bundle = make_bundle()
    ratings = bundle.ratings.assign(**{column: "X123456"})
    with pytest.raises(PublicationBundleError, match=f"ratings: case-level column.*{column}"):
        dataclasses.replace(bundle, ratings=ratings)


def test_row_accounting_must_close() -> None:
    bundle = make_bundle()
    broken = RowAccounting(
        raw_rows=191,
        kept=170,
        superseded=12,
        exact_duplicates=3,
        quarantined_by_reason={"conflicting duplicate": 5},
    )
    with pytest.raises(PublicationBundleError, match=r"raw_rows 191 != .* = 190"):
        dataclasses.replace(bundle, row_accounting=broken)


def test_every_question_needs_a_layout() -> None:
    bundle = make_bundle()
    layouts = {k: v for k, v in bundle.bulletin_layouts.items() if k != "harm_children"}
    with pytest.raises(PublicationBundleError, match="harm_children"):
        dataclasses.replace(bundle, bulletin_layouts=layouts)


def test_ratings_need_a_rating_column() -> None:
    bundle = make_bundle()
    with pytest.raises(PublicationBundleError, match=r"ratings: needs one of the columns \['band'"):
        dataclasses.replace(bundle, ratings=bundle.ratings.drop(columns="band"))


def test_layout_for_display_drops_the_key_column_and_capitalises() -> None:
    layout = pd.DataFrame(
        {"variable": ["gender"], "group": ["Gender"], "level": ["Male"], "All n": ["10"]}
    )
    shown = layout_for_display(layout)
    assert list(shown.columns) == ["Group", "Level", "All n"]
    assert shown.iloc[0].tolist() == ["Gender", "Male", "10"]
    # A layout without the key column keeps all its columns.
    assert list(layout_for_display(layout.drop(columns="variable")).columns) == [
        "Group",
        "Level",
        "All n",
    ]


def test_input_file_is_described_relative_to_the_data_dir(tmp_path: Path) -> None:
    extract = tmp_path / "raw" / "london" / "london-2017-10.csv"
    extract.parent.mkdir(parents=True)
    extract.write_bytes(b"abc")
    described = InputFile.from_file(extract, tmp_path, rows=0)
    # SHA-256 of b"abc" (FIPS 180-2 test vector).
    assert described == InputFile(
        "raw/london/london-2017-10.csv",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        0,
    )
