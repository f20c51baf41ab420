"""Kept cases counted by subgroup: what every pooled analysis output is computed from.

Tables 1-7, the ratings, the stepwise models and the publication's headline counts need counts
per combination of area, provider and subgroup levels, never a row per case. `subgroup_counts`
collapses the case records once to those combinations (a few thousand rows at a million cases);
the tables, ratings and models computed from them are identical to those computed from the cases,
since every statistic they publish is a function of integer counts (the models' likelihoods are
sums over covariate patterns, DESIGN.md section 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.contracts import check_frame
from probation_pipeline.ratings.rules import counted_column, key_area_counts, sufficient_column
from probation_pipeline.reference import TABLE_VARIABLES, Reference

SUBGROUP_KEYS: tuple[str, ...] = (
    "area",
    "inspection_id",
    "fieldwork_start",
    "provider",
    *TABLE_VARIABLES,
)
"""The columns cases are counted by; `ogrs_band` and `rosh_level` unmerged, as in the records."""
CASES = "cases"
MAPPA_ELIGIBLE = "mappa_eligible"
MAPPA_KNOWN = "mappa_known"
# Beyond this many combinations the mixed-radix key is renumbered before the next column.
_KEY_LIMIT = 1 << 40


def answered_column(question_id: str) -> str:
    """Column of `subgroup_counts` counting the cases that answered `question_id`."""
    return f"{question_id}_answered"


def yes_column(question_id: str) -> str:
    """Column of `subgroup_counts` counting the cases that answered `question_id` Yes."""
    return f"{question_id}_yes"


class SubgroupCountSchema(pa.DataFrameModel):
    """A combination of subgroup levels with its cases (`subgroup_counts`); the count columns
    per question and key area follow `cases` (see `subgroup_counts`)."""

    area: Series[pd.StringDtype] = pa.Field(nullable=True)
    inspection_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    fieldwork_start: Series[pa.DateTime] = pa.Field(nullable=True)
    provider: Series[pd.StringDtype] = pa.Field(nullable=True)
    gender: Series[pd.StringDtype] = pa.Field(nullable=True)
    age_group: Series[pd.StringDtype] = pa.Field(nullable=True)
    ethnic_group: Series[pd.StringDtype] = pa.Field(nullable=True)
    supervision_type: Series[pd.StringDtype] = pa.Field(nullable=True)
    ogrs_band: Series[pd.StringDtype] = pa.Field(nullable=True)
    rosh_level: Series[pd.StringDtype] = pa.Field(nullable=True)
    cases: Series[np.int64] = pa.Field(ge=1)
    mappa_eligible: Series[np.int64] = pa.Field(ge=0)
    mappa_known: Series[np.int64] = pa.Field(ge=0)

    class Config:
        name = "subgroup_counts"
        ordered = True

    @pa.dataframe_check(name="counts_at_most_cases")
    @classmethod
    def counts_at_most_cases(cls, frame: pd.DataFrame) -> pd.Series:
        counts = frame.iloc[:, frame.columns.get_loc(CASES) + 1 :]
        return counts.le(frame[CASES], axis=0).all(axis=1) & counts.ge(0).all(axis=1)


def answer_flags(records: pd.DataFrame, question_ids: Iterable[str]) -> dict[str, np.ndarray]:
    """Per case, as 0/1 columns: `<question>_answered` and `<question>_yes` of each question.

    <NA> is not applicable / not asked: outside the question's base.
    """
    flags: dict[str, np.ndarray] = {}
    for question_id in question_ids:
        answers = records[question_id].astype("boolean")
        flags[answered_column(question_id)] = answers.notna().to_numpy(dtype=np.int64)
        flags[yes_column(question_id)] = answers.fillna(False).to_numpy(dtype=np.int64)
    return flags


def count_columns(reference: Reference) -> tuple[str, ...]:
    """The count columns of `subgroup_counts`, in order, for this reference data."""
    per_question = [
        column
        for question_id in reference.question_ids
        for column in (answered_column(question_id), yes_column(question_id))
    ]
    per_key_area = [
        column
        for area in reference.ratings.key_areas
        for column in (counted_column(area.name), sufficient_column(area.name))
    ]
    return (CASES, MAPPA_ELIGIBLE, MAPPA_KNOWN, *per_question, *per_key_area)


def subgroup_counts(records: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Count `records` per combination of SUBGROUP_KEYS present in them (see `_counted`).

    Raises KeyError when a column is missing.
    """
    return check_frame(_counted(records, reference), SubgroupCountSchema)


def subgroup_counts_by_area(
    cases: Mapping[str, pd.DataFrame], reference: Reference
) -> dict[str, pd.DataFrame]:
    """`subgroup_counts` of each area's cases ({area: its kept cases}), checked once for all.

    An area run counts its areas separately (pooling puts the counts together), but checks them
    together: the check costs about as much for 2,000 rows as for 80,000.
    """
    counts = {area: _counted(frame, reference) for area, frame in cases.items()}
    if counts:
        check_frame(pd.concat(counts.values(), ignore_index=True), SubgroupCountSchema)
    return counts


def _counted(records: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Count `records` per combination of SUBGROUP_KEYS present in them, unchecked.

    Input: case records (records/columns.py contract). Output: one row per combination that has
    cases, sorted by the keys (a missing value is a level of its own, after the others); columns
    SUBGROUP_KEYS (their record dtypes), then `count_columns(reference)` (int64):

    - cases: kept cases; mappa_eligible / mappa_known: of which MAPPA-eligible / MAPPA known;
    - `<question>_answered`, `<question>_yes`: cases that answered the question, and Yes;
    - `<key area>_counted`, `<key area>_sufficient`: cases counted in the key area of ratings.yaml
      (answered any of its questions), and sufficient in it (`ratings.rules.key_area_counts`).
    """
    missing = [c for c in (*SUBGROUP_KEYS, MAPPA_ELIGIBLE) if c not in records.columns]
    if missing:
        raise KeyError(f"case records lack the columns subgroup counts need: {missing}")
    flags: dict[str, np.ndarray] = {
        CASES: np.ones(len(records), dtype=np.int64),
        MAPPA_ELIGIBLE: records[MAPPA_ELIGIBLE].eq(True).fillna(False).to_numpy(dtype=np.int64),
        MAPPA_KNOWN: records[MAPPA_ELIGIBLE].notna().to_numpy(dtype=np.int64),
    }
    flags.update(answer_flags(records, reference.question_ids))
    per_key_area = key_area_counts(records, reference.ratings)
    for area in reference.ratings.key_areas:
        for column in (counted_column(area.name), sufficient_column(area.name)):
            flags[column] = per_key_area[column].to_numpy(dtype=np.int64)

    # One integer per combination (mixed radix over sorted level codes), so the groups come out
    # in key order; cheaper than a ten-column groupby on a million rows.
    key = np.zeros(len(records), dtype=np.int64)
    size = 1
    levels = []
    for column in SUBGROUP_KEYS:
        codes, uniques = pd.factorize(records[column], sort=True, use_na_sentinel=False)
        levels.append((codes, uniques))
        if size * max(len(uniques), 1) > _KEY_LIMIT:
            key = np.unique(key, return_inverse=True)[1].astype(np.int64)
            size = int(key.max()) + 1 if len(key) else 1
        key = key * max(len(uniques), 1) + codes
        size *= max(len(uniques), 1)
    combinations, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    counts = pd.DataFrame(
        {
            column: pd.Series(uniques.take(codes[first]))
            .astype(records[column].dtype)
            .reset_index(drop=True)
            for column, (codes, uniques) in zip(SUBGROUP_KEYS, levels, strict=True)
        }
    )
    for name, values in flags.items():
        counts[name] = np.bincount(inverse, weights=values, minlength=len(combinations)).astype(
            np.int64
        )
    return counts.loc[:, [*SUBGROUP_KEYS, *count_columns(reference)]]
