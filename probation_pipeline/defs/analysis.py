"""Analysis: judgement tables, the bulletin reproduction check, stepwise models, ratings."""

import dagster as dg
import pandas as pd

from probation_pipeline.defs.resources import COLUMNS_ONLY, WAREHOUSE_POOL, ProbationData
from probation_pipeline.ratings.rules import area_scope_ratings, rate_key_area_counts
from probation_pipeline.stats.findings import (
    bulletin_findings,
    compare_selections,
    effect_directions,
    selections_from_summaries,
)
from probation_pipeline.stats.models import fit_assessment_models_from_counts
from probation_pipeline.stats.reproduction import (
    bulletin_applies,
    compare_with_bulletin,
    describe_mismatches,
)
from probation_pipeline.stats.subgroups import CASES
from probation_pipeline.stats.tables import (
    area_judgement_tables_from_counts,
    judgement_tables_from_counts,
    markdown_preview,
)

BULLETIN_SCOPE_COLUMNS = ["area", "inspection_id", "fieldwork_start", CASES]
"""The columns of the subgroup counts `bulletin_applies` reads: the bulletin checks load no more."""


@dg.asset(
    pool=WAREHOUSE_POOL,
    description="The judgement tables (one per question of questions.csv; the bulletin's "
    "Tables 1-7) in tidy form: every question x subgroup level x provider (All, CRC, "
    "NPS) with n, yes, % yes (half-up from exact counts) and a 95% Wilson interval.",
)
def judgement_tables(
    context: dg.AssetExecutionContext, data: ProbationData, subgroup_counts: pd.DataFrame
) -> pd.DataFrame:
    reference = data.reference()
    tables = judgement_tables_from_counts(subgroup_counts, reference)
    context.add_output_metadata(
        {"all_cases": dg.MetadataValue.md(markdown_preview(tables, reference))}
    )
    return tables


@dg.asset_check(
    asset=judgement_tables,
    blocking=True,
    additional_ins={"subgroup_counts": dg.AssetIn(metadata={COLUMNS_ONLY: BULLETIN_SCOPE_COLUMNS})},
    description="On the bulletin's own inspections, every one of the 455 published cells of Tables "
    "1-7 (errata applied) is reproduced; on any other set of inspections it does not apply.",
)
def reproduces_bulletin_2018_01(
    data: ProbationData, judgement_tables: pd.DataFrame, subgroup_counts: pd.DataFrame
) -> dg.AssetCheckResult:
    reference = data.reference()
    applies, reason = bulletin_applies(subgroup_counts, reference)
    if not applies:
        return dg.AssetCheckResult(passed=True, metadata={"applies": False, "reason": reason})
    comparison = compare_with_bulletin(judgement_tables, reference)
    mismatches = describe_mismatches(comparison)
    return dg.AssetCheckResult(
        passed=not mismatches,
        metadata={
            "applies": True,
            "cells_compared": len(comparison),
            "cells_matched": int(comparison["matches"].sum()),
            "differing_cells": dg.MetadataValue.md(
                "\n".join(f"- {m}" for m in mismatches) or "none"
            ),
        },
    )


@dg.asset(
    pool=WAREHOUSE_POOL,
    description="The judgement tables for each area's kept cases (from the pooled records' subgroup "
    "counts, so a case quarantined at pooling is not counted), with an `area` column; computed "
    "in the national run. For area work in the warehouse: not published, since the national "
    "table minus the other areas would undo small-cell suppression.",
)
def area_judgement_tables(
    context: dg.AssetExecutionContext, data: ProbationData, subgroup_counts: pd.DataFrame
) -> pd.DataFrame:
    cases = subgroup_counts.groupby("area", sort=True)[CASES].sum()
    context.add_output_metadata({"cases_by_area": {str(a): int(n) for a, n in cases.items()}})
    return area_judgement_tables_from_counts(subgroup_counts, data.reference())


@dg.multi_asset(
    name="assessment_models",
    can_subset=False,
    pool=WAREHOUSE_POOL,
    outs={
        "model_steps": dg.AssetOut(
            description="Each step of each question's forward stepwise logistic regression: the "
            "variable entered or removed, its statistic, df, p-value and -2 log likelihood.",
            kinds={"statsmodels"},
        ),
        "model_coefficients": dg.AssetOut(
            description="Final model terms per question: estimate, standard error, odds ratio "
            "with 95% interval, Wald p-value.",
            kinds={"statsmodels"},
        ),
        "model_summaries": dg.AssetOut(
            description="Per question: cases used, Nagelkerke R², selected variables in entry "
            "order and a plain-language summary.",
            kinds={"statsmodels"},
        ),
    },
)
def assessment_models(
    context: dg.AssetExecutionContext,
    data: ProbationData,
    subgroup_counts: pd.DataFrame,
):
    reference = data.reference()
    # Significance levels are reference data (models.yaml), read also by the method text.
    models = fit_assessment_models_from_counts(subgroup_counts, reference)
    selected = {
        row.question_id: row.selected or "(none)"
        for row in models.summaries.itertuples(index=False)
    }
    yield dg.Output(
        models.steps, output_name="model_steps", metadata={"selected_in_entry_order": selected}
    )
    yield dg.Output(
        models.coefficients,
        output_name="model_coefficients",
        metadata={"terms": len(models.coefficients)},
    )
    yield dg.Output(
        models.summaries,
        output_name="model_summaries",
        metadata={
            "summaries": dg.MetadataValue.md(
                models.summaries[["question_id", "n_used", "selected", "summary_text"]].to_markdown(
                    index=False
                )
            )
        },
    )


@dg.asset_check(
    asset="model_summaries",
    description="No model met separation, a redundant block or an empty level; if one did, its "
    "odds ratios need care before they are quoted (a warning, not a blocker).",
)
def models_fit_cleanly(model_summaries: pd.DataFrame) -> dg.AssetCheckResult:
    flagged = model_summaries[model_summaries["warnings"].fillna("").str.len() > 0]
    return dg.AssetCheckResult(
        passed=flagged.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "models_with_warnings": len(flagged),
            "warnings": dg.MetadataValue.md(
                flagged[["question_id", "warnings"]].to_markdown(index=False)
                if len(flagged)
                else "none"
            ),
        },
    )


@dg.asset_check(
    asset="model_summaries",
    additional_ins={
        "subgroup_counts": dg.AssetIn(metadata={COLUMNS_ONLY: BULLETIN_SCOPE_COLUMNS}),
        "model_coefficients": dg.AssetIn(),
    },
    description="On the bulletin's own inspections, each question's stepwise model selects the "
    "variables the bulletin found significant (bulletin_findings.csv; entry order free), and each "
    "term's sign agrees with the published percentages; on other inspections it does not apply.",
)
def reproduces_bulletin_findings(
    data: ProbationData,
    model_summaries: pd.DataFrame,
    subgroup_counts: pd.DataFrame,
    model_coefficients: pd.DataFrame,
) -> dg.AssetCheckResult:
    reference = data.reference()
    applies, reason = bulletin_applies(subgroup_counts, reference)
    if not applies:
        return dg.AssetCheckResult(passed=True, metadata={"applies": False, "reason": reason})
    comparison = compare_selections(
        selections_from_summaries(model_summaries), bulletin_findings(reference)
    )
    directions = effect_directions(model_coefficients, reference)
    contrary = directions[~directions["agrees"]]
    return dg.AssetCheckResult(
        passed=bool(comparison["matches"].all()),
        metadata={
            "applies": True,
            "questions_compared": len(comparison),
            "questions_matched": int(comparison["matches"].sum()),
            "selections": dg.MetadataValue.md(comparison.to_markdown(index=False)),
            "terms_against_published_direction": dg.MetadataValue.md(
                contrary.to_markdown(index=False) if len(contrary) else "none"
            ),
        },
    )


@dg.asset(
    pool=WAREHOUSE_POOL,
    description="Key-area scores and ratings of every area and nationally, per provider, with "
    "Wilson intervals and a flag where the interval crosses a band boundary.",
)
def ratings(
    context: dg.AssetExecutionContext, data: ProbationData, subgroup_counts: pd.DataFrame
) -> pd.DataFrame:
    rated = rate_key_area_counts(subgroup_counts, data.reference().ratings)
    overall = rated[rated["key_area"] == "overall"]
    columns = ["scope", "area", "provider", "pct", "band", "driven_by"]
    context.add_output_metadata(
        {"overall": dg.MetadataValue.md(overall[columns].to_markdown(index=False))}
    )
    return rated


@dg.asset(
    pool=WAREHOUSE_POOL,
    description="Each area's key-area scores and ratings per provider, rated on that area's "
    "cases alone, with Wilson intervals and a flag where the interval crosses a band boundary: "
    "the area rows of `ratings`.",
)
def area_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    # Area rows depend only on the area's own cases: the same as rating each area alone, and
    # taken from `ratings` so the two always agree (and the ratings are computed once).
    return area_scope_ratings(ratings)
