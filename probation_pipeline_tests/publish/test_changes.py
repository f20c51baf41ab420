"""changes.md lists exactly what moved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from probation_pipeline.publish.bundle import InputFile
from probation_pipeline.publish.changes import CELL_KEY, CELL_VALUES, describe_changes


def _write(folder: Path, cells: list[tuple[str, str, str]], rating: str, selected: str) -> None:
    folder.mkdir()
    pd.DataFrame(
        [
            ("barriers", "all", "All cases", "CRC", n, yes, pct, n, pct)
            for (n, yes, pct) in cells[:1]
        ]
        + [
            ("barriers", "gender", "Female", "CRC", n, yes, pct, n, pct)
            for (n, yes, pct) in cells[1:]
        ],
        columns=[*CELL_KEY, *CELL_VALUES],
    ).to_csv(folder / "judgement_tables.csv", index=False)
    pd.DataFrame(
        [("area", "london", "CRC", "overall", rating, "61.0")],
        columns=["scope", "area", "provider", "key_area", "rating", "pct"],
    ).to_csv(folder / "ratings.csv", index=False)
    pd.DataFrame([("barriers", selected)], columns=["question_id", "selected"]).to_csv(
        folder / "model_summaries.csv", index=False
    )
    (folder / "manifest.json").write_text(
        '{"inputs": [{"path": "raw/london/london-2017-10.csv", "sha256": "' + "a" * 64 + '", '
        '"rows": 120}]}'
    )


def test_changed_cell_rating_and_selection_are_listed(tmp_path: Path) -> None:
    _write(tmp_path / "old", [("40", "22", "55.0"), ("10", "5", "50.0")], "Good", "provider")
    _write(
        tmp_path / "new",
        [("40", "22", "55.0"), ("11", "6", "54.5")],
        "Requires improvement",
        "provider, gender",
    )
    inputs = [InputFile("raw/london/london-2017-10.csv", "b" * 64, 121)]
    text, summary = describe_changes(tmp_path / "old", tmp_path / "new", "old-id", "new-id", inputs)
    assert (summary.cells_changed, summary.ratings_changed, summary.selections_changed) == (1, 1, 1)
    assert summary.inputs_changed == 1 and summary.anything
    assert (
        "| barriers | gender | Female | CRC | changed | 10 → 11 | 5 → 6 | 50.0 → 54.5 | 10 → 11 "
        "| 50.0 → 54.5 |" in text
    )
    assert (
        "| area | london | CRC | overall | changed | Good → Requires improvement | 61.0 |" in text
    )
    assert "| barriers | changed | provider → provider, gender |" in text
    assert (
        "| raw/london/london-2017-10.csv | changed | 120 → 121 | aaaaaaaaaaaa → bbbbbbbbbbbb |"
        in text
    )
    assert "All cases" not in text  # the unchanged cell is not listed


def test_identical_publications_have_no_change(tmp_path: Path) -> None:
    for name in ("old", "new"):
        _write(tmp_path / name, [("40", "22", "55.0")], "Good", "provider")
    inputs = [InputFile("raw/london/london-2017-10.csv", "a" * 64, 120)]
    text, summary = describe_changes(tmp_path / "old", tmp_path / "new", "old-id", "new-id", inputs)
    assert not summary.anything
    assert text.count("No change.") == 4


def test_added_and_removed_cells_are_listed(tmp_path: Path) -> None:
    _write(tmp_path / "old", [("40", "22", "55.0")], "Good", "provider")
    _write(tmp_path / "new", [("40", "22", "55.0"), ("11", "6", "54.5")], "Good", "provider")
    inputs = [InputFile("raw/london/london-2017-10.csv", "a" * 64, 120)]
    text, summary = describe_changes(tmp_path / "old", tmp_path / "new", "old-id", "new-id", inputs)
    assert summary.cells_changed == 1
    assert "| barriers | gender | Female | CRC | added | (none) → 11 |" in text


def test_missing_file_is_reported_not_compared(tmp_path: Path) -> None:
    _write(tmp_path / "old", [("40", "22", "55.0")], "Good", "provider")
    _write(tmp_path / "new", [("40", "22", "55.0")], "Good", "provider")
    (tmp_path / "old" / "ratings.csv").unlink()
    text, summary = describe_changes(tmp_path / "old", tmp_path / "new", "old-id", "new-id", [])
    assert "Not compared: the file is missing" in text and summary.ratings_changed == 0


def test_changed_cells_are_listed_in_published_order(tmp_path: Path) -> None:
    columns = ["question_id", "variable", "level", "provider", "n", "yes", "pct_yes"]
    cells = [("harm_children", "all", "All cases", "All"), ("barriers", "all", "All cases", "All")]
    for name, n in (("old", 10), ("new", 12)):
        _write(tmp_path / name, [("40", "22", "55.0")], "Good", "provider")
        # Published order: Table 7 row first here, so it must be listed first.
        pd.DataFrame([(*cell, n, 5, 50.0) for cell in cells], columns=columns).to_csv(
            tmp_path / name / "judgement_tables.csv", index=False
        )
    inputs = [InputFile("raw/london/london-2017-10.csv", "a" * 64, 120)]
    text, summary = describe_changes(tmp_path / "old", tmp_path / "new", "old-id", "new-id", inputs)
    assert summary.cells_changed == 2
    assert text.index("| harm_children |") < text.index("| barriers |")
