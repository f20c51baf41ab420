"""`changes.md`: what moved between the previous publication and this one.

Both sides are read from their published files (CSV and manifest), as strings, so the comparison sees
exactly what a reader downloads and does not depend on the dtypes of the frames in memory.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from probation_pipeline.publish.bundle import InputFile
from probation_pipeline.publish.manifest import MANIFEST_NAME

CHANGES_NAME = "changes.md"

CELL_KEY = ("question_id", "variable", "level", "provider")
CELL_VALUES = ("n", "yes", "pct_yes", "n_display", "pct_display")
"""A table cell of `judgement_tables.csv` is keyed by CELL_KEY; a change of CELL_VALUES is listed."""
_RATING_KEY_CANDIDATES = ("scope", "area", "provider", "key_area")
_RATING_VALUES = ("band", "rating", "pct", "ci_lower", "ci_upper")


@dataclass(frozen=True)
class ChangeSummary:
    """Counts of what moved; the markdown lists each item."""

    inputs_changed: int
    cells_changed: int
    ratings_changed: int
    selections_changed: int

    @property
    def anything(self) -> bool:
        return any(
            (self.inputs_changed, self.cells_changed, self.ratings_changed, self.selections_changed)
        )


def describe_changes(
    previous_dir: Path,
    current_dir: Path,
    previous_id: str,
    current_id: str,
    current_inputs: Sequence[InputFile],
) -> tuple[str, ChangeSummary]:
    """Markdown listing changed inputs, table cells, ratings and selected model variables.

    Reads `judgement_tables.csv`, `ratings.csv` and `model_summaries.csv` from both folders, and
    the previous inputs from its `manifest.json` (the current manifest is written after this file,
    so the current inputs are passed in). A file missing on either side is reported as not
    compared, not as an error.
    """
    lines = [
        f"# Changes since publication {previous_id}",
        "",
        f"This publication: {current_id}. Previous publication: {previous_id}.",
        "",
    ]
    inputs = _input_changes(previous_dir, current_inputs)
    cells = _keyed_changes(previous_dir, current_dir, "judgement_tables.csv", CELL_KEY, CELL_VALUES)
    ratings = _keyed_changes(
        previous_dir, current_dir, "ratings.csv", _RATING_KEY_CANDIDATES, _RATING_VALUES
    )
    selections = _keyed_changes(
        previous_dir, current_dir, "model_summaries.csv", ("question_id",), ("selected",)
    )
    sections = (
        ("Input files", inputs),
        ("Table cells (judgement_tables.csv)", cells),
        ("Ratings (ratings.csv)", ratings),
        ("Variables selected by the models (model_summaries.csv)", selections),
    )
    for heading, table in sections:
        lines.append(f"## {heading}")
        lines.append("")
        if table is None:
            lines.append("Not compared: the file is missing from one of the publications.")
        elif table.empty:
            lines.append("No change.")
        else:
            lines.append(f"{len(table)} changed.")
            lines.append("")
            lines.extend(_markdown_table(table))
        lines.append("")
    summary = ChangeSummary(
        inputs_changed=0 if inputs is None else len(inputs),
        cells_changed=0 if cells is None else len(cells),
        ratings_changed=0 if ratings is None else len(ratings),
        selections_changed=0 if selections is None else len(selections),
    )
    return "\n".join(lines).rstrip("\n") + "\n", summary


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _keyed_changes(
    previous_dir: Path,
    current_dir: Path,
    name: str,
    key_candidates: tuple[str, ...],
    value_candidates: tuple[str, ...],
) -> pd.DataFrame | None:
    """One row per key whose values differ, or that exists on one side only."""
    before, after = _read(previous_dir, name), _read(current_dir, name)
    if before is None or after is None:
        return None
    shared = set(before.columns) & set(after.columns)
    key = [column for column in key_candidates if column in shared]
    values = [column for column in value_candidates if column in shared]
    if not key or not values:
        return None
    merged = (
        before[key + values]
        .assign(_row_before=range(len(before)))
        .merge(
            after[key + values].assign(_row_after=range(len(after))),
            on=key,
            how="outer",
            suffixes=("_before", "_after"),
            indicator=True,
        )
    )
    # An outer merge sorts its keys; list changes in the published order instead (Table 1 first),
    # removed rows last.
    order = merged["_row_after"].fillna(merged["_row_before"] + len(after))
    merged = merged.iloc[order.argsort(kind="stable")].reset_index(drop=True)
    differs = pd.Series(False, index=merged.index)
    for column in values:
        differs |= merged[f"{column}_before"].fillna("") != merged[f"{column}_after"].fillna("")
    changed = merged[differs | (merged["_merge"] != "both")].copy()
    rows = {column: changed[column] for column in key}
    status = changed["_merge"].map(
        {"left_only": "removed", "right_only": "added", "both": "changed"}
    )
    rows["change"] = status.astype(str)
    for column in values:
        before_values = changed[f"{column}_before"].fillna("")
        after_values = changed[f"{column}_after"].fillna("")
        rows[column] = [
            b if b == a else f"{b or '(none)'} → {a or '(none)'}"
            for b, a in zip(before_values, after_values, strict=True)
        ]
    return pd.DataFrame(rows).reset_index(drop=True)


def _input_changes(previous_dir: Path, current_inputs: Sequence[InputFile]) -> pd.DataFrame | None:
    before_manifest = _read_manifest(previous_dir)
    if before_manifest is None:
        return None
    columns = ["path", "sha256", "rows"]
    before = pd.DataFrame(before_manifest.get("inputs", []), columns=columns).astype(str)
    after = pd.DataFrame(
        [(item.path, item.sha256, item.rows) for item in current_inputs], columns=columns
    ).astype(str)
    merged = before.merge(after, on="path", how="outer", suffixes=("_before", "_after"))
    merged = merged.fillna("")
    changed = merged[
        (merged["sha256_before"] != merged["sha256_after"])
        | (merged["rows_before"] != merged["rows_after"])
    ]
    change = [
        "added" if not before else "removed" if not after else "changed"
        for before, after in zip(changed["sha256_before"], changed["sha256_after"], strict=True)
    ]
    return pd.DataFrame(
        {
            "path": changed["path"],
            "change": change,
            "rows": [
                b if b == a else f"{b or '(none)'} → {a or '(none)'}"
                for b, a in zip(changed["rows_before"], changed["rows_after"], strict=True)
            ],
            "sha256": [
                f"{b[:12] or '(none)'} → {a[:12] or '(none)'}"
                for b, a in zip(changed["sha256_before"], changed["sha256_after"], strict=True)
            ],
        }
    ).reset_index(drop=True)


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown_table(table: pd.DataFrame) -> list[str]:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(column) for column in table.columns) + " |"
    rule = "|" + "|".join(" --- " for _ in table.columns) + "|"
    body = [
        "| " + " | ".join(cell(value) for value in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return [header, rule, *body]
