"""Subgroup counts, and tables, ratings and models computed from them equal those from the cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from probation_pipeline.contracts import FrameContractError
from probation_pipeline.ratings.rules import NATIONAL_SCOPE, rate_key_area_counts, rate_providers
from probation_pipeline.sample.scale import scale_case_records
from probation_pipeline.stats import subgroups
from probation_pipeline.stats.models import (
    fit_assessment_models,
    fit_assessment_models_from_counts,
)
from probation_pipeline.stats.subgroups import (
    CASES,
    SUBGROUP_KEYS,
    answered_column,
    count_columns,
    subgroup_counts,
    subgroup_counts_by_area,
    yes_column,
)
from probation_pipeline.stats.tables import (
    ImpossibleCellError,
    area_judgement_tables,
    area_judgement_tables_from_counts,
    judgement_tables,
    judgement_tables_from_counts,
)
from probation_pipeline_tests.stats.records_factory import make_records, reference

REFERENCE = reference()


def test_cases_are_counted_per_combination_of_subgroup_levels() -> None:
    records = make_records(
        [
            {"barriers": True, "diversity": False},
            {"barriers": False},
            {"barriers": True, "gender": "Female", "mappa_eligible": None},
            {"area": "avon-and-somerset", "inspection_id": "avon-and-somerset-2017-01"},
        ]
    )
    counts = subgroup_counts(records, REFERENCE)
    assert list(counts.columns) == [*SUBGROUP_KEYS, *count_columns(REFERENCE)]
    # Sorted by the keys: avon-and-somerset before kent, Female before Male.
    assert list(counts["area"]) == ["avon-and-somerset", "kent", "kent"]
    assert list(counts["gender"]) == ["Male", "Female", "Male"]
    assert list(counts[CASES]) == [1, 1, 2]
    assert list(counts[answered_column("barriers")]) == [0, 1, 2]
    assert list(counts[yes_column("barriers")]) == [0, 1, 1]
    assert list(counts[answered_column("diversity")]) == [0, 0, 1]
    assert list(counts[yes_column("diversity")]) == [0, 0, 0]
    assert list(counts["mappa_known"]) == [1, 0, 2]
    assert list(counts["mappa_eligible"]) == [0, 0, 0]
    # Engagement (barriers, diversity): counted when either is answered, sufficient when no No.
    assert list(counts["engagement_counted"]) == [0, 1, 2]
    assert list(counts["engagement_sufficient"]) == [0, 1, 0]


def test_missing_levels_are_a_group_of_their_own_after_the_others() -> None:
    records = make_records([{"ethnic_group": None}, {"ethnic_group": "Asian"}, {}])
    counts = subgroup_counts(records, REFERENCE)
    assert counts["ethnic_group"].tolist()[:2] == ["Asian", "White"]
    assert pd.isna(counts["ethnic_group"].iloc[2])
    assert counts[CASES].sum() == 3


def test_missing_column_is_named() -> None:
    with pytest.raises(KeyError, match="provider"):
        subgroup_counts(make_records([{}]).drop(columns="provider"), REFERENCE)


def _same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=True)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n_cases=st.integers(50, 3000),
    n_areas=st.integers(1, 6),
)
@example(seed=239, n_cases=1861, n_areas=1)  # draws a CRC case with High RoSH
@example(seed=63271539, n_cases=50, n_areas=1)  # a separated fit (step halving)
def test_outputs_from_counts_equal_outputs_from_cases(seed, n_cases, n_areas) -> None:
    records = scale_case_records(n_cases, n_areas, seed, REFERENCE)
    # The generator can draw cases validation would quarantine: both paths refuse them alike.
    impossible = records["provider"].eq("CRC") & records["rosh_level"].isin(["High", "Very high"])
    if impossible.any():
        with pytest.raises(ImpossibleCellError) as from_cases:
            judgement_tables(records, REFERENCE)
        with pytest.raises(ImpossibleCellError) as from_counts:
            judgement_tables_from_counts(subgroup_counts(records, REFERENCE), REFERENCE)
        assert str(from_counts.value) == str(from_cases.value)
    # Drop some cases at random, as pooling drops cases found in several areas.
    keep = ~impossible & (np.random.default_rng(seed).random(len(records)) > 0.1)
    records = records[keep.to_numpy()].reset_index(drop=True)
    counts = subgroup_counts(records, REFERENCE)
    assert counts[CASES].sum() == len(records)

    _same(judgement_tables_from_counts(counts, REFERENCE), judgement_tables(records, REFERENCE))
    _same(
        area_judgement_tables_from_counts(counts, REFERENCE),
        area_judgement_tables(records, REFERENCE),
    )
    config = REFERENCE.ratings
    _same(rate_key_area_counts(counts, config), rate_providers(records, config))
    # Area rows rate each area on its own cases.
    by_area = [rate_providers(cases, config) for _, cases in records.groupby("area", sort=True)]
    alone = pd.concat(by_area, ignore_index=True)
    rated = rate_key_area_counts(counts, config)
    _same(
        rated[rated["scope"] != NATIONAL_SCOPE].reset_index(drop=True),
        alone[alone["scope"] != NATIONAL_SCOPE].reset_index(drop=True),
    )
    from_cases = fit_assessment_models(records, REFERENCE)
    from_counts = fit_assessment_models_from_counts(counts, REFERENCE)
    _same(from_counts.steps, from_cases.steps)
    _same(from_counts.coefficients, from_cases.coefficients)
    _same(from_counts.summaries, from_cases.summaries)
    for question, result in from_cases.results.items():
        assert from_counts.results[question].n_excluded == result.n_excluded


def test_area_tables_without_cases_are_the_grid_with_a_missing_area() -> None:
    counts = subgroup_counts(make_records([{}]).iloc[0:0], REFERENCE)
    tables = area_judgement_tables_from_counts(counts, REFERENCE)
    _same(tables, area_judgement_tables(make_records([{}]).iloc[0:0], REFERENCE))
    assert tables["area"].isna().all()


def test_counts_by_area_are_each_areas_counts_and_together_the_pooled_counts() -> None:
    records = scale_case_records(3000, 4, 17, REFERENCE)
    records = records.sort_values(["area", "source_file", "source_line"], ignore_index=True)
    by_area = {str(a): rows.reset_index(drop=True) for a, rows in records.groupby("area")}
    counts = subgroup_counts_by_area(by_area, REFERENCE)
    assert list(counts) == list(by_area)
    for area, cases in by_area.items():
        assert counts[area].equals(subgroup_counts(cases, REFERENCE))
    pooled = pd.concat(counts.values(), ignore_index=True)
    assert pooled.equals(subgroup_counts(records, REFERENCE))


def test_counts_by_area_are_checked(monkeypatch) -> None:
    records = scale_case_records(500, 2, 3, REFERENCE)
    by_area = {str(a): rows.reset_index(drop=True) for a, rows in records.groupby("area")}
    counted = subgroups._counted
    broken = next(iter(by_area))

    def counted_with_an_empty_group(cases: pd.DataFrame, reference) -> pd.DataFrame:
        counts = counted(cases, reference)
        if cases["area"].iloc[0] == broken:
            counts.loc[0, CASES] = 0  # a group without cases: SubgroupCountSchema says >= 1
        return counts

    monkeypatch.setattr(subgroups, "_counted", counted_with_an_empty_group)
    with pytest.raises(FrameContractError, match="cases"):
        subgroup_counts_by_area(by_area, REFERENCE)
