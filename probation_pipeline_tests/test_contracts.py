"""Typed frames: each stored frame's model pins its columns, their order and dtypes, and its rules."""

from __future__ import annotations

import pandas as pd
import pytest

from probation_pipeline.contracts import (
    FrameContractError,
    StoredFrame,
    check_frame,
    columns,
    frame_name,
)
from probation_pipeline.ratings.rules import RatingSchema, rate_providers
from probation_pipeline.records.accounting import (
    ALL_AREAS,
    AccountingSchema,
    QuarantineSchema,
    account_rows,
    pooled_total,
    with_total,
)
from probation_pipeline.stats.models import (
    ModelCoefficientSchema,
    ModelStepSchema,
    ModelSummarySchema,
)
from probation_pipeline.stats.tables import (
    AreaJudgementTableSchema,
    JudgementTableSchema,
    area_judgement_tables,
    judgement_tables,
)
from probation_pipeline_tests.stats.records_factory import answers, make_records, reference

REF = reference()

# The stored order of every frame, as the warehouse's Parquet files have it: written out here
# once so that a model reordering a column fails.
STORED_COLUMNS = {
    JudgementTableSchema: "question_id variable level provider n yes pct_yes ci_lower ci_upper "
    "applicable",
    AreaJudgementTableSchema: "question_id variable level provider n yes pct_yes ci_lower "
    "ci_upper applicable area",
    RatingSchema: "scope area provider key_area n sufficient share pct ci_lower ci_upper band "
    "crosses_boundary driven_by",
    ModelStepSchema: "question_id step action variable statistic df p_value minus2_log_likelihood",
    ModelCoefficientSchema: "question_id term estimate std_error odds_ratio ci_lower ci_upper "
    "p_value note",
    ModelSummarySchema: "question_id n_used nagelkerke_r2 minus2_log_likelihood selected "
    "summary_text warnings",
    QuarantineSchema: "area inspection_id source_file source_line case_id rule",
    AccountingSchema: "area raw_rows superseded exact_duplicates quarantined kept",
}


@pytest.mark.parametrize("model", list(STORED_COLUMNS), ids=lambda model: model.__name__)
def test_models_keep_the_stored_column_order(model) -> None:
    assert columns(model) == tuple(STORED_COLUMNS[model].split())


@pytest.mark.parametrize("model", list(STORED_COLUMNS), ids=lambda model: model.__name__)
def test_stored_frames_are_strict_and_ordered_under_their_own_name(model) -> None:
    schema = model.to_schema()
    assert issubclass(model, StoredFrame)
    assert (schema.strict, schema.ordered) == (True, True)
    assert schema.name == frame_name(model) != model.__name__


def _tables() -> pd.DataFrame:
    return judgement_tables(make_records(answers("barriers", 3, 2)), REF)


def test_producers_output_validates() -> None:
    records = make_records(answers("barriers", 3, 2) + answers("diversity", 2, 1, area="gwent"))
    check_frame(judgement_tables(records, REF), JudgementTableSchema)
    check_frame(area_judgement_tables(records, REF), AreaJudgementTableSchema)
    check_frame(rate_providers(records, REF.ratings), RatingSchema)
    accounting = with_total(
        account_rows("kent", 5, superseded=1, exact_duplicates=0, quarantined=1, kept=3)
    )
    assert list(accounting["area"]) == ["kent", ALL_AREAS]


def test_the_pooled_accounting_row_is_labelled_all_areas() -> None:
    # The label readers see in row_accounting.parquet; every module takes it from ALL_AREAS.
    assert ALL_AREAS == "All areas"
    accounting = with_total(
        pd.concat(
            [
                account_rows("kent", 5, superseded=1, exact_duplicates=0, quarantined=1, kept=3),
                account_rows("gwent", 2, superseded=0, exact_duplicates=1, quarantined=0, kept=1),
            ]
        )
    )
    assert list(accounting["area"]) == ["gwent", "kent", "All areas"]
    assert pooled_total(accounting)[["raw_rows", "kept"]].tolist() == [7, 4]


def test_a_missing_column_is_named_with_its_frame() -> None:
    with pytest.raises(FrameContractError, match=r"^judgement_tables: missing column 'pct_yes'"):
        check_frame(_tables().drop(columns="pct_yes"), JudgementTableSchema)


def test_a_wrong_dtype_is_named_with_its_frame_and_column() -> None:
    tables = _tables().astype({"n": "float64"})
    with pytest.raises(
        FrameContractError, match=r"^judgement_tables: column 'n': dtype\('Int64'\)"
    ):
        check_frame(tables, JudgementTableSchema)


def test_a_reordered_or_extra_column_is_refused() -> None:
    tables = _tables()
    with pytest.raises(FrameContractError, match="judgement_tables"):
        check_frame(tables[[*tables.columns[::-1]]], JudgementTableSchema)
    with pytest.raises(FrameContractError, match="case_id"):
        check_frame(tables.assign(case_id="x"), JudgementTableSchema)


def test_yes_above_n_breaks_a_named_rule() -> None:
    tables = _tables()
    tables.loc[0, "yes"] = tables.loc[0, "n"] + 1
    with pytest.raises(FrameContractError, match="yes_at_most_n"):
        check_frame(tables, JudgementTableSchema)


def test_a_share_outside_zero_one_and_an_unknown_scope_are_refused() -> None:
    ratings = rate_providers(make_records(answers("barriers", 3, 2)), REF.ratings)
    with pytest.raises(FrameContractError, match=r"ratings: column 'share'"):
        check_frame(
            ratings.assign(share=pd.array([1.5] * len(ratings), dtype="Float64")), RatingSchema
        )
    with pytest.raises(FrameContractError, match=r"^ratings: .*column 'scope': isin"):
        check_frame(
            ratings.assign(scope=pd.array(["region"] * len(ratings), dtype="string")), RatingSchema
        )


def test_accounts_that_do_not_close_are_refused() -> None:
    accounting = account_rows("kent", 5, superseded=1, exact_duplicates=0, quarantined=1, kept=3)
    accounting.loc[0, "kept"] = 4
    with pytest.raises(FrameContractError, match="row_accounting: raw_rows_equal_the_outcomes"):
        check_frame(accounting, AccountingSchema)


def test_shape_only_check_skips_the_rules() -> None:
    tables = _tables()
    tables.loc[0, "yes"] = tables.loc[0, "n"] + 1
    check_frame(tables, JudgementTableSchema, data=False)
    with pytest.raises(FrameContractError, match="missing column 'yes'"):
        check_frame(tables.drop(columns="yes"), JudgementTableSchema, data=False)
