"""What a publication is made of: the typed bundle the `publication` asset fills.

The bundle holds aggregates only (tables, ratings, model results, counts of rows and files). It is
checked on construction so that a publication can never carry case-level columns or unclosed row
accounting, whatever produced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from probation_pipeline.digests import sha256_file
from probation_pipeline.publish.spec import PublicationSpec
from probation_pipeline.records.columns import PERSONAL_COLUMNS
from probation_pipeline.stats.models import COEFFICIENT_STATISTICS


class PublicationBundleError(ValueError):
    """The bundle breaks its contract (missing column, case-level column, accounts not closing)."""


# Columns a published frame must never hold: identifiers of a person or a case.
CASE_LEVEL_COLUMNS: frozenset[str] = frozenset({*PERSONAL_COLUMNS, "case_id", "source_line"})

JUDGEMENT_COLUMNS: tuple[str, ...] = (
    "question_id",
    "variable",
    "level",
    "provider",
    "n",
    "yes",
    "pct_yes",
    "ci_lower",
    "ci_upper",
    "n_display",
    "pct_display",
)
MODEL_STEP_COLUMNS: tuple[str, ...] = (
    "question_id",
    "step",
    "action",
    "variable",
    "statistic",
    "df",
    "p_value",
)
MODEL_COEFFICIENT_COLUMNS: tuple[str, ...] = ("question_id", "term", *COEFFICIENT_STATISTICS)
MODEL_SUMMARY_COLUMNS: tuple[str, ...] = (
    "question_id",
    "n_used",
    "nagelkerke_r2",
    "selected",
    "summary_text",
)
QUESTION_COLUMNS: tuple[str, ...] = ("question_id", "table", "key_area", "short_label", "wording")
RATING_COLUMNS: tuple[str, ...] = ("area", "provider", "key_area")
RATING_LABEL_COLUMNS: tuple[str, ...] = ("band", "rating")
"""The rating itself is in the first of these columns the ratings frame has."""


@dataclass(frozen=True)
class InputFile:
    """One extract file the publication was computed from.

    `path` is relative to the data directory (e.g. `raw/london/london-2017-10.csv`), `sha256` the hex
    digest of its bytes, `rows` its data rows (header excluded).
    """

    path: str
    sha256: str
    rows: int

    @classmethod
    def from_file(cls, path: Path, data_dir: Path, rows: int) -> InputFile:
        """Describe `path` (inside `data_dir`): its path relative to `data_dir` and its SHA-256."""
        return cls(
            path.resolve().relative_to(data_dir.resolve()).as_posix(), sha256_file(path), rows
        )


@dataclass(frozen=True)
class Headline:
    """Headline counts of the analysis dataset (cases kept), as in the bulletin's summary."""

    total_cases: int
    crc_cases: int
    nps_cases: int
    female_cases: int
    post_custody_cases: int
    rosh_high_or_very_high_cases: int
    mappa_eligible_cases: int
    # The bulletin's 26% MAPPA-eligible is of the cases whose status is known (CONSISTENCY.md D2).
    mappa_known_cases: int | None = None


@dataclass(frozen=True)
class RowAccounting:
    """Where every raw row went; `raw_rows` must equal the sum of the other four."""

    raw_rows: int
    kept: int
    superseded: int
    exact_duplicates: int
    quarantined_by_reason: Mapping[str, int] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return sum(self.quarantined_by_reason.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "raw_rows": self.raw_rows,
            "kept": self.kept,
            "superseded": self.superseded,
            "exact_duplicates": self.exact_duplicates,
            "quarantined": self.quarantined,
            # Sorted so the manifest does not depend on the order reasons were met.
            "quarantined_by_reason": dict(sorted(self.quarantined_by_reason.items())),
        }


@dataclass(frozen=True)
class PublicationBundle:
    """Everything one publication shows, as aggregates. Checked on construction.

    - `judgement_tables`: tidy, JUDGEMENT_COLUMNS (display columns are strings: a number or a
      shorthand `[c]`, `[z]`, `[x]`).
    - `bulletin_layouts`: question_id -> wide frame of display strings (rows by subgroup), one per
      question in `questions`; written as Tables 1 to N (the questions' `table`).
    - `ratings`: tidy ratings (as `ratings.rules.rate_providers`); at least RATING_COLUMNS and
      one of RATING_LABEL_COLUMNS; other columns are published as given. Rows with
      `key_area == "overall"` (if any) are the ratings the report shows; `pct`, `ci_lower`,
      `ci_upper` are read as percentages; `area` <NA> marks a national row.
    - `model_steps`, `model_coefficients`, `model_summaries`: stepwise regression results
      (MODEL_*_COLUMNS; `selected` is a list of variables or a comma-separated string).
    - `questions`: QUESTION_COLUMNS, as `Reference.questions`.
    - `headline`, `row_accounting`, `inputs`: counts for the report and manifest.
    - `latest_fieldwork`: start of the latest inspection's fieldwork; names the publication and
      dates the workbook.
    - `disclosure_notes`: shorthand (e.g. `[c]`) -> meaning, as `disclosure.yaml`'s `shorthand`.
    - `spec`: the publication spec (`publication.yaml` with its templates filled): release
      metadata, labels, headings, rounding, notes and method text.
    - `synthetic`: True when every input is one of the shipped synthetic sample files; the
      report and the cover then say so.
    - `rating_bands`: optional `bands` list of ratings.yaml (`{rating, min_share}`), drawn as
      band boundaries on the ratings chart.
    - `code_revision`: optional version control revision of the code, recorded in the manifest.

    Raises PublicationBundleError on a missing column, a case-level column, a question without a
    layout, or row accounting that does not close.
    """

    judgement_tables: pd.DataFrame
    bulletin_layouts: Mapping[str, pd.DataFrame]
    ratings: pd.DataFrame
    model_steps: pd.DataFrame
    model_coefficients: pd.DataFrame
    model_summaries: pd.DataFrame
    questions: pd.DataFrame
    headline: Headline
    inputs: Sequence[InputFile]
    row_accounting: RowAccounting
    latest_fieldwork: date
    disclosure_notes: Mapping[str, str]
    spec: PublicationSpec
    synthetic: bool = False
    code_revision: str | None = None
    rating_bands: Sequence[Mapping[str, Any]] = ()

    def __post_init__(self) -> None:
        frames: dict[str, tuple[pd.DataFrame, Sequence[str]]] = {
            "judgement_tables": (self.judgement_tables, JUDGEMENT_COLUMNS),
            "ratings": (self.ratings, RATING_COLUMNS),
            "model_steps": (self.model_steps, MODEL_STEP_COLUMNS),
            "model_coefficients": (self.model_coefficients, MODEL_COEFFICIENT_COLUMNS),
            "model_summaries": (self.model_summaries, MODEL_SUMMARY_COLUMNS),
            "questions": (self.questions, QUESTION_COLUMNS),
        }
        for question_id, layout in self.bulletin_layouts.items():
            frames[f"bulletin_layouts[{question_id}]"] = (layout, ())
        for name, (frame, required) in frames.items():
            _check_frame(name, frame, required)

        if not any(column in self.ratings.columns for column in RATING_LABEL_COLUMNS):
            raise PublicationBundleError(
                f"ratings: needs one of the columns {list(RATING_LABEL_COLUMNS)}"
            )
        missing_layouts = set(self.questions["question_id"]) - set(self.bulletin_layouts)
        if missing_layouts:
            raise PublicationBundleError(
                f"bulletin_layouts: no layout for question(s) {sorted(missing_layouts)}"
            )

        accounts = self.row_accounting
        accounted = (
            accounts.kept + accounts.superseded + accounts.exact_duplicates + accounts.quarantined
        )
        if accounted != accounts.raw_rows:
            raise PublicationBundleError(
                f"row_accounting does not close: raw_rows {accounts.raw_rows} != kept "
                f"{accounts.kept} + superseded {accounts.superseded} + exact_duplicates "
                f"{accounts.exact_duplicates} + quarantined {accounts.quarantined} = {accounted}"
            )
        paths = [item.path for item in self.inputs]
        if len(set(paths)) != len(paths):
            raise PublicationBundleError("inputs: the same path is listed twice")


def _check_frame(name: str, frame: pd.DataFrame, required: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise PublicationBundleError(f"{name}: expected a DataFrame, got {type(frame).__name__}")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise PublicationBundleError(f"{name}: missing column(s) {missing}")
    case_level = sorted(CASE_LEVEL_COLUMNS & {str(column) for column in frame.columns})
    if case_level:
        raise PublicationBundleError(
            f"{name}: case-level column(s) {case_level} must never be published"
        )


def rating_label_column(ratings: pd.DataFrame) -> str:
    """Name of the column holding the rating (`band` in rate_providers' output)."""
    return next(column for column in RATING_LABEL_COLUMNS if column in ratings.columns)


def layout_for_display(layout: pd.DataFrame) -> pd.DataFrame:
    """A bulletin layout as readers see it.

    The machine key column `variable`, if the renderer put one first, is dropped (the group
    heading beside it says the same in words); headings are capitalised.
    """
    columns = [str(column) for column in layout.columns]
    if len(columns) > 2 and columns[0] == "variable":
        layout = layout.drop(columns=layout.columns[0])
    # Headings start with a capital letter, as every other heading of the publication.
    return layout.rename(
        columns=lambda column: str(column)[:1].upper() + str(column)[1:]
    ).reset_index(drop=True)
