"""publish_publication: folder layout, reproducibility, atomic latest, changes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.publish import report
from probation_pipeline.publish.bundle import CASE_LEVEL_COLUMNS
from probation_pipeline.publish.writer import (
    PublicationConflictError,
    publish_publication,
    read_latest,
)
from probation_pipeline_tests.publish.conftest import make_bundle

EXPECTED_FILES = {
    "tables.xlsx",
    "tables.ods",
    "data_dictionary.csv",
    "report.html",
    "manifest.json",
    *(
        f"{stem}.{extension}"
        for stem in (
            "judgement_tables",
            "ratings",
            "model_steps",
            "model_coefficients",
            "model_summaries",
        )
        for extension in ("csv", "parquet")
    ),
}
# A changed input: 3 more CRC men answered yes on barriers, so the Male CRC and All cells move.
CHANGED = {"shift": {("barriers", "gender", "Male", "CRC"): 3}, "input_digest": "c" * 64}


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _without_generation_time(manifest: bytes) -> dict[str, object]:
    content = json.loads(manifest)
    assert content.pop("generated_at").endswith("Z")
    return content


def test_first_publication_layout_and_latest(tmp_path: Path) -> None:
    result = publish_publication(make_bundle(), tmp_path)
    assert result.created and result.previous_publication_id is None and result.changes is None
    assert result.publication_id.startswith("2017-10-")
    assert {path.name for path in result.folder.iterdir()} == EXPECTED_FILES
    assert os.readlink(tmp_path / "latest") == result.publication_id
    assert (tmp_path / "LATEST").read_text() == f"{result.publication_id}\n"
    assert read_latest(tmp_path) == result.publication_id
    # Nothing left behind: no staging folder or temporary link.
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["LATEST", "latest", result.publication_id]
    )
    manifest = json.loads((result.folder / "manifest.json").read_text())
    listed = {
        entry["path"]: entry["sha256"] for group in manifest["outputs"].values() for entry in group
    }
    assert listed == dict(result.files)
    assert set(listed) == EXPECTED_FILES - {"manifest.json"}


def test_same_inputs_give_same_id_and_identical_bytes(tmp_path: Path) -> None:
    first = publish_publication(make_bundle(), tmp_path / "one")
    second = publish_publication(make_bundle(), tmp_path / "two")
    assert first.publication_id == second.publication_id
    # Data files, dictionary, workbooks and report alike; the manifest differs only by its
    # generation time, which is kept out of the publication id.
    one, two = _files(first.folder), _files(second.folder)
    assert _without_generation_time(one.pop("manifest.json")) == _without_generation_time(
        two.pop("manifest.json")
    )
    assert one == two


def test_republishing_keeps_the_existing_folder(tmp_path: Path) -> None:
    first = publish_publication(make_bundle(), tmp_path)
    before = {path.name: path.stat().st_mtime_ns for path in first.folder.iterdir()}
    again = publish_publication(make_bundle(), tmp_path)
    assert not again.created and again.publication_id == first.publication_id
    assert {path.name: path.stat().st_mtime_ns for path in first.folder.iterdir()} == before
    assert again.files == first.files


def test_changed_input_gives_new_publication_with_changes(tmp_path: Path) -> None:
    first = publish_publication(make_bundle(), tmp_path)
    second = publish_publication(make_bundle(**CHANGED), tmp_path)
    assert second.publication_id != first.publication_id
    assert second.previous_publication_id == first.publication_id
    assert read_latest(tmp_path) == second.publication_id
    assert first.folder.is_dir()  # the previous publication stays as published
    changes = (second.folder / "changes.md").read_text()
    assert second.changes is not None and second.changes.cells_changed == 2
    # Fixture: Male CRC n 45, yes 24 -> 27 (53.3% -> 60.0%); Male All yes 61 -> 64 (60.4 -> 63.4).
    assert "| barriers | gender | Male | CRC | changed | 45 | 24 → 27 | 53.3 → 60.0 |" in changes
    assert "| barriers | gender | Male | All | changed | 101 | 61 → 64 | 60.4 → 63.4 |" in changes
    assert "raw/cumbria/cumbria-2016-03.csv | changed" in changes
    manifest = json.loads((second.folder / "manifest.json").read_text())
    assert manifest["previous_publication_id"] == first.publication_id
    assert "changes.md" in {entry["path"] for entry in manifest["outputs"]["documents"]}


def test_failure_leaves_no_folder_and_latest_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = publish_publication(make_bundle(), tmp_path)

    def broken_report(*args: object, **kwargs: object) -> str:
        raise RuntimeError("report failed")

    monkeypatch.setattr(report, "render_report", broken_report)  # imported when writing
    with pytest.raises(RuntimeError, match="report failed"):
        publish_publication(make_bundle(**CHANGED), tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["LATEST", "latest", first.publication_id]
    )
    assert read_latest(tmp_path) == first.publication_id


def test_hand_edited_publication_is_a_conflict(tmp_path: Path) -> None:
    first = publish_publication(make_bundle(), tmp_path)
    edited = first.folder / "ratings.csv"
    edited.write_text(edited.read_text().replace("Good", "Outstanding"))
    with pytest.raises(PublicationConflictError, match=r"ratings\.csv"):
        publish_publication(make_bundle(), tmp_path)


def test_published_files_hold_no_case_level_columns(tmp_path: Path) -> None:
    result = publish_publication(make_bundle(), tmp_path)
    for path in result.folder.glob("*.csv"):
        columns = set(pd.read_csv(path, nrows=0).columns)
        assert not columns & CASE_LEVEL_COLUMNS, path.name


def test_abandoned_staging_is_removed_recent_staging_kept(tmp_path: Path) -> None:
    old = tmp_path / ".staging-old"
    recent = tmp_path / ".staging-recent"
    for folder in (old, recent):
        folder.mkdir()
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(old, (two_days_ago, two_days_ago))
    publish_publication(make_bundle(), tmp_path)
    assert not old.exists() and recent.exists()
