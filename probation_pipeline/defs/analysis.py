"""Analysis: judgement tables, the bulletin reproduction check, stepwise models, ratings."""

import dagster as dg
import pandas as pd

from probation_pipeline.defs.ingest import OWNERS
from probation_pipeline.defs.partitions import area_partitions
from probation_pipeline.defs.resources import PARTITION_FILTER, ProbationData
from probation_pipeline.ratings.rules import NATIONAL_SCOPE, rate_providers
from probation_pipeline.stats.models import fit_assessment_models
from probation_pipeline.stats.reproduction import (
    bulletin_applies,
    compare_with_bulletin,
    describe_mismatches,
)
from probation_pipeline.stats.tables import judgement_tables as tabulate_judgements
from probation_pipeline.stats.tables import markdown_preview

EAGER = dg.AutomationCondition.eager()
AREA_ROWS_ONLY = {"case_records": dg.AssetIn(metadata={PARTITION_FILTER: "area"})}


def _area_cases(case_records: pd.DataFrame, area: str) -> pd.DataFrame:
    return case_records[case_records["area"] == area].reset_index(drop=True)


@dg.asset(
    group_name="analysis",
    kinds={"pandas", "parquet"},
    owners=OWNERS,
    code_version="1",
    automation_condition=EAGER,
    description="Tables 1-7 in tidy form: every question x subgroup level x provider (All, CRC, "
    "NPS) with n, yes, % yes (half-up from exact counts) and a 95% Wilson interval.",
)
def judgement_tables(
    context: dg.AssetExecutionContext, data: ProbationData, case_records: pd.DataFrame
) -> pd.DataFrame:
    reference = data.reference()
    tables = tabulate_judgements(case_records, reference)
    context.add_output_metadata(
        {"all_cases": dg.MetadataValue.md(markdown_preview(tables, reference))}
    )
    return tables


@dg.asset_check(
    asset=judgement_tables,
    blocking=True,
    additional_ins={"case_records": dg.AssetIn()},
    description="On the bulletin's own inspections, every one of the 455 published cells of Tables "
    "1-7 (errata applied) is reproduced; on any other set of inspections it does not apply.",
)
def reproduces_bulletin_2018_01(
    data: ProbationData, judgement_tables: pd.DataFrame, case_records: pd.DataFrame
) -> dg.AssetCheckResult:
    reference = data.reference()
    applies, reason = bulletin_applies(case_records, reference)
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
    partitions_def=area_partitions,
    group_name="analysis",
    kinds={"pandas", "parquet"},
    owners=OWNERS,
    code_version="1",
    automation_condition=EAGER,
    ins=AREA_ROWS_ONLY,
    description="Tables 1-7 for one area's kept cases (from the pooled records, so a case "
    "quarantined at pooling is not counted). For area work in the warehouse: not published, "
    "since the national table minus the other areas would undo small-cell suppression.",
)
def area_judgement_tables(
    context: dg.AssetExecutionContext, data: ProbationData, case_records: pd.DataFrame
) -> pd.DataFrame:
    reference = data.reference()
    cases = _area_cases(case_records, context.partition_key)
    tables = tabulate_judgements(cases, reference)
    context.add_output_metadata(
        {"cases": len(cases), "all_cases": dg.MetadataValue.md(markdown_preview(tables, reference))}
    )
    return tables.assign(area=context.partition_key)


class ModelSettings(dg.Config):
    """Significance levels of SPSS 'Forward: LR' (entry by score test, removal by LR test)."""

    entry: float = 0.05
    removal: float = 0.10


@dg.multi_asset(
    name="assessment_models",
    group_name="analysis",
    can_subset=False,
    code_version="1",
    outs={
        "model_steps": dg.AssetOut(
            description="Each step of each question's forward stepwise logistic regression: the "
            "variable entered or removed, its statistic, df, p-value and -2 log likelihood.",
            kinds={"statsmodels", "parquet"},
            owners=OWNERS,
            automation_condition=EAGER,
        ),
        "model_coefficients": dg.AssetOut(
            description="Final model terms per question: estimate, standard error, odds ratio "
            "with 95% interval, Wald p-value.",
            kinds={"statsmodels", "parquet"},
            owners=OWNERS,
            automation_condition=EAGER,
        ),
        "model_summaries": dg.AssetOut(
            description="Per question: cases used, Nagelkerke R², selected variables in entry "
            "order and a plain-language summary.",
            kinds={"statsmodels", "parquet"},
            owners=OWNERS,
            automation_condition=EAGER,
        ),
    },
)
def assessment_models(
    context: dg.AssetExecutionContext,
    config: ModelSettings,
    data: ProbationData,
    case_records: pd.DataFrame,
):
    models = fit_assessment_models(
        case_records, data.reference(), entry=config.entry, removal=config.removal
    )
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


@dg.asset(
    partitions_def=area_partitions,
    group_name="analysis",
    kinds={"pandas", "parquet"},
    owners=OWNERS,
    code_version="1",
    automation_condition=EAGER,
    ins=AREA_ROWS_ONLY,
    description="One area's key-area scores and ratings per provider, with Wilson intervals and "
    "a flag where the interval crosses a band boundary.",
)
def area_ratings(
    context: dg.AssetExecutionContext, data: ProbationData, case_records: pd.DataFrame
) -> pd.DataFrame:
    cases = _area_cases(case_records, context.partition_key)
    ratings = rate_providers(cases, data.reference().ratings_config)
    return ratings[ratings["scope"] != NATIONAL_SCOPE].reset_index(drop=True)


@dg.asset(
    group_name="analysis",
    kinds={"pandas", "parquet"},
    owners=OWNERS,
    code_version="1",
    automation_condition=EAGER,
    description="Key-area scores and ratings of every area and nationally, per provider, with "
    "Wilson intervals and a flag where the interval crosses a band boundary.",
)
def ratings(
    context: dg.AssetExecutionContext, data: ProbationData, case_records: pd.DataFrame
) -> pd.DataFrame:
    # The same function as area_ratings on all areas at once, so the two always agree.
    rated = rate_providers(case_records, data.reference().ratings_config)
    overall = rated[rated["key_area"] == "overall"]
    columns = ["scope", "area", "provider", "pct", "band", "driven_by"]
    context.add_output_metadata(
        {"overall": dg.MetadataValue.md(overall[columns].to_markdown(index=False))}
    )
    return rated
