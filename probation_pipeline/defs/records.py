"""Records: per-area validated cases, then the pooled analysis dataset, with blocking checks."""

import warnings

import dagster as dg
import pandas as pd
import pandera.errors
from dagster_pandera import pandera_schema_to_dagster_type

from probation_pipeline.defs.ingest import OWNERS
from probation_pipeline.defs.partitions import area_partitions
from probation_pipeline.defs.resources import COLUMNS_ONLY, ProbationData
from probation_pipeline.extracts.reader import areas_with_extract_files
from probation_pipeline.records.accounting import unaccounted_rows
from probation_pipeline.records.area import prepare_area_cases
from probation_pipeline.records.fitness import FitnessGate, assess_area
from probation_pipeline.records.pooling import pool_area_cases
from probation_pipeline.records.schema import CaseRecordSchema

ALLOW_MISSING_AREAS = {"allow_missing_partitions": True}
with warnings.catch_warnings():
    # dagster-pandera is marked beta; the type it builds is what shows the schema in the UI.
    warnings.simplefilter("ignore", dg.BetaWarning)
    CaseRecordsType = pandera_schema_to_dagster_type(CaseRecordSchema)


def _rule_counts(quarantine: pd.DataFrame) -> str:
    if quarantine.empty:
        return "Nothing quarantined."
    counts = quarantine.groupby("rule").size().rename("rows").reset_index()
    return counts.to_markdown(index=False)


@dg.multi_asset(
    partitions_def=area_partitions,
    group_name="records",
    can_subset=False,
    code_version="1",
    outs={
        "area_cases": dg.AssetOut(
            description="One area's kept cases: latest inspection only, deduplicated, "
            "pseudonymised and validated against the case record schema.",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            dagster_type=CaseRecordsType,
            automation_condition=dg.AutomationCondition.eager(),
        ),
        "area_quarantine": dg.AssetOut(
            description="One area's rejected rows, each with its file, line and the rules broken.",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            automation_condition=dg.AutomationCondition.eager(),
        ),
        "area_accounting": dg.AssetOut(
            description="Where each raw row of the area went: kept, superseded, exact duplicate "
            "or quarantined.",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            automation_condition=dg.AutomationCondition.eager(),
        ),
    },
)
def area_records(
    context: dg.AssetExecutionContext, data: ProbationData, raw_extracts: pd.DataFrame
):
    area = context.partition_key
    result = prepare_area_cases(area, raw_extracts, data.reference())
    gate = FitnessGate.load(data.paths.reference)
    unfit = assess_area(area, raw_extracts, result, gate)
    if unfit is not None:
        # Nothing is written: the area's previous inspection stays in force.
        raise dg.Failure(
            description=unfit.describe(gate),
            metadata={
                "file": ", ".join(unfit.files),
                "share_quarantined": round(unfit.share, 4),
                "rules": dg.MetadataValue.md(_rule_counts(result.quarantine)),
            },
        )
    accounting = result.accounting.iloc[0]
    yield dg.Output(
        result.cases,
        output_name="area_cases",
        metadata={
            "kept": int(accounting["kept"]),
            "inspection": ", ".join(sorted(result.cases["inspection_id"].unique())),
        },
    )
    yield dg.Output(
        result.quarantine,
        output_name="area_quarantine",
        metadata={
            "quarantined": len(result.quarantine),
            "rules": dg.MetadataValue.md(_rule_counts(result.quarantine)),
        },
    )
    yield dg.Output(
        result.accounting,
        output_name="area_accounting",
        metadata={k: int(accounting[k]) for k in result.accounting.columns if k != "area"},
    )


@dg.multi_asset(
    group_name="records",
    can_subset=False,
    code_version="1",
    # An area whose extract cannot be read has no partition yet; pool the others and say so.
    ins={
        "area_cases": dg.AssetIn(metadata=ALLOW_MISSING_AREAS),
        "area_quarantine": dg.AssetIn(metadata=ALLOW_MISSING_AREAS),
        "area_accounting": dg.AssetIn(metadata=ALLOW_MISSING_AREAS),
    },
    outs={
        "case_records": dg.AssetOut(
            description="The analysis dataset: every kept case of the latest inspection of every "
            "area, one row per case (`data/warehouse/case_records.parquet`).",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            dagster_type=CaseRecordsType,
            automation_condition=dg.AutomationCondition.eager(),
        ),
        "quarantine": dg.AssetOut(
            description="Every rejected raw row with its area, inspection, source file, line and "
            "the rule it broke.",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            automation_condition=dg.AutomationCondition.eager(),
        ),
        "row_accounting": dg.AssetOut(
            description="Per area and in all: raw rows = kept + superseded + exact duplicates + "
            "quarantined.",
            kinds={"pandas", "parquet"},
            owners=OWNERS,
            automation_condition=dg.AutomationCondition.eager(),
        ),
    },
)
def pooled_records(
    area_cases: dict[str, pd.DataFrame],
    area_quarantine: dict[str, pd.DataFrame],
    area_accounting: dict[str, pd.DataFrame],
):
    pooled = pool_area_cases(
        pd.concat(area_cases.values(), ignore_index=True),
        pd.concat(area_quarantine.values(), ignore_index=True),
        pd.concat(area_accounting.values(), ignore_index=True),
    )
    records = pooled.records
    yield dg.Output(
        records,
        output_name="case_records",
        metadata={
            "cases": len(records),
            "areas": ", ".join(sorted(area_cases)),
            "by_provider": dg.MetadataValue.md(
                records.groupby("provider").size().rename("cases").to_frame().to_markdown()
            ),
        },
    )
    yield dg.Output(
        pooled.quarantine,
        output_name="quarantine",
        metadata={
            "quarantined": len(pooled.quarantine),
            "rules": dg.MetadataValue.md(_rule_counts(pooled.quarantine)),
        },
    )
    yield dg.Output(
        pooled.accounting,
        output_name="row_accounting",
        metadata={"accounting": dg.MetadataValue.md(pooled.accounting.to_markdown(index=False))},
    )


@dg.asset_check(
    asset="case_records",
    blocking=True,
    description="The pooled records satisfy the pandera case record schema, every rule of DESIGN.md section 5.",
)
def case_records_match_schema(case_records: pd.DataFrame) -> dg.AssetCheckResult:
    try:
        CaseRecordSchema.validate(case_records, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        failures = errors.failure_cases
        summary = failures.groupby(["column", "check"], dropna=False).size().rename("failures")
        return dg.AssetCheckResult(
            passed=False,
            metadata={
                "failures": len(failures),
                "by_rule": dg.MetadataValue.md(summary.reset_index().to_markdown(index=False)),
            },
        )
    return dg.AssetCheckResult(passed=True, metadata={"rows_checked": len(case_records)})


@dg.asset_check(
    asset="case_records",
    blocking=True,
    description="Row accounting closes: raw rows = kept + superseded + exact duplicates + quarantined, per area and in all.",
    additional_ins={
        "raw_extracts": dg.AssetIn(metadata={**ALLOW_MISSING_AREAS, COLUMNS_ONLY: ["source_file"]}),
        "row_accounting": dg.AssetIn(),
        "quarantine": dg.AssetIn(),
    },
)
def row_accounting_closes(
    case_records: pd.DataFrame,
    raw_extracts: dict[str, pd.DataFrame],
    row_accounting: pd.DataFrame,
    quarantine: pd.DataFrame,
) -> dg.AssetCheckResult:
    total = row_accounting[row_accounting["area"] == "All areas"].iloc[0]
    raw_rows = sum(len(frame) for frame in raw_extracts.values())
    observed = {
        "raw rows read": raw_rows,
        "kept (case_records)": len(case_records),
        "quarantined (quarantine)": len(quarantine),
        "superseded": int(total["superseded"]),
        "exact duplicates": int(total["exact_duplicates"]),
    }
    gap = (
        raw_rows
        - len(case_records)
        - len(quarantine)
        - int(total["superseded"])
        - int(total["exact_duplicates"])
    )
    per_area_open = row_accounting.loc[unaccounted_rows(row_accounting) != 0, "area"].tolist()
    return dg.AssetCheckResult(
        passed=gap == 0 and not per_area_open,
        metadata={
            **observed,
            "unaccounted rows": gap,
            "areas not closing": ", ".join(per_area_open) or "none",
        },
    )


@dg.asset_check(
    asset="case_records",
    blocking=True,
    description="Every area with extracts under raw/ is in the pooled records: an area whose "
    "extracts have never passed (unreadable, contradictory or not fit to publish) blocks the "
    "publication instead of going silently missing.",
    additional_ins={"area_accounting": dg.AssetIn(metadata=ALLOW_MISSING_AREAS)},
)
def every_area_in_force(
    data: ProbationData, area_accounting: dict[str, pd.DataFrame]
) -> dg.AssetCheckResult:
    expected = areas_with_extract_files(data.paths.raw, data.reference().area_slugs)
    missing = sorted(set(expected) - set(area_accounting))
    return dg.AssetCheckResult(
        passed=not missing,
        metadata={
            "areas_expected": len(expected),
            "areas_in_force": len(set(expected) & set(area_accounting)),
            "missing": ", ".join(missing) or "none",
        },
        description=(
            f"no inspection in force for {', '.join(missing)}: their extracts failed (see the "
            "area runs); the publication is not rebuilt without them"
            if missing
            else None
        ),
    )
