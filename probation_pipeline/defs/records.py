"""Records: per-area validated cases, then the pooled analysis dataset, with blocking checks."""

import dagster as dg
import pandas as pd
import pyarrow as pa

from probation_pipeline.defs.ingest import SOURCE_SHA256
from probation_pipeline.defs.partitions import AREA_BACKFILL, area_partitions
from probation_pipeline.defs.pooled_checks import (
    CHECKS,
    VALIDATED_UNDER,
    case_records_match_schema,
    every_area_in_force,
    recorded_schema_digests,
    row_accounting_closes,
)
from probation_pipeline.defs.resources import AS_ARROW, WAREHOUSE_POOL, ProbationData
from probation_pipeline.defs.warm import importing_in_background
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.area import AreaCases, prepare_areas
from probation_pipeline.records.fitness import FitnessGate, assess_area
from probation_pipeline.records.pooling import pool_areas
from probation_pipeline.records.schema import record_domains, schema_digest
from probation_pipeline.stats.subgroups import CASES, subgroup_counts_by_area

ALLOW_MISSING_AREAS = {"allow_missing_partitions": True}
INPUT_FILE_COLUMNS = ("area", "path", "sha256", "rows")
AREA_OUTPUTS = ("area_cases", "area_quarantine", "area_accounting", "area_files", "area_counts")


def _rule_counts(quarantine: pd.DataFrame) -> str:
    if quarantine.empty:
        return "Nothing quarantined."
    counts = quarantine.groupby("rule").size().rename("rows").reset_index()
    return counts.to_markdown(index=False)


def area_files(area: str, raw: pd.DataFrame) -> pd.DataFrame:
    """The files behind an area's raw rows: path below the data dir, SHA-256 as read, rows."""
    counts = raw.groupby(["source_file", SOURCE_SHA256], sort=True).size()
    return pd.DataFrame(
        {
            "area": area,
            "path": ["raw/" + str(source) for source, _ in counts.index],
            "sha256": [str(digest) for _, digest in counts.index],
            "rows": counts.to_numpy(dtype="int64"),
        },
        columns=list(INPUT_FILE_COLUMNS),
    )


def _fail_unless_fit(area: str, raw: pd.DataFrame, result: AreaCases, gate: FitnessGate) -> None:
    unfit = assess_area(area, raw.drop(columns=[SOURCE_SHA256]), result, gate)
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


def _area_outputs(
    context: dg.AssetExecutionContext,
    area: str,
    raw: pd.DataFrame,
    result: AreaCases,
    digest: str,
    counts: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    # Not validated again: the kept cases are the rows that passed the ingestion schema, which
    # holds every rule of the case record schema (docs/decisions.md); the pooled records are
    # checked against it by `case_records_match_schema`.
    accounting = result.accounting.iloc[0]
    files = area_files(area, raw)
    for name, metadata in {
        "area_cases": {
            "kept": int(accounting["kept"]),
            "inspection": ", ".join(sorted(result.cases["inspection_id"].unique())),
            VALIDATED_UNDER: digest,
        },
        "area_quarantine": {
            "quarantined": len(result.quarantine),
            "rules": dg.MetadataValue.md(_rule_counts(result.quarantine)),
        },
        "area_accounting": {
            k: int(accounting[k]) for k in result.accounting.columns if k != "area"
        },
        "area_files": {"files": len(files), "raw_rows": int(files["rows"].sum())},
        "area_counts": {"groups": len(counts), "cases": int(counts[CASES].sum())},
    }.items():
        context.add_asset_metadata(metadata, asset_key=name, partition_key=area)
    return {
        "area_cases": result.cases,
        "area_quarantine": result.quarantine,
        "area_accounting": result.accounting,
        "area_files": files,
        "area_counts": counts,
    }


@dg.multi_asset(
    partitions_def=area_partitions,
    backfill_policy=AREA_BACKFILL,
    can_subset=False,
    pool=WAREHOUSE_POOL,
    outs={
        "area_cases": dg.AssetOut(
            description="One area's kept cases: latest inspection only, deduplicated, "
            "pseudonymised and validated against the case record schema.",
        ),
        "area_quarantine": dg.AssetOut(
            description="One area's rejected rows, each with its file, line and the rules broken.",
        ),
        "area_accounting": dg.AssetOut(
            description="Where each raw row of the area went: kept, superseded, exact duplicate "
            "or quarantined.",
        ),
        "area_files": dg.AssetOut(
            description="The extract files these records were built from: path, SHA-256 of the "
            "bytes read and rows. The publication's input manifest is built from them.",
        ),
        "area_counts": dg.AssetOut(
            description="One area's kept cases counted per inspection, provider and subgroup "
            "levels (as `subgroup_counts`): pooled by putting the areas' counts together.",
        ),
    },
)
def area_records(
    context: dg.AssetExecutionContext,
    data: ProbationData,
    raw_extracts: dict[str, pd.DataFrame],
):
    # Every area of the run typed and validated in one pass, then each checked fit to publish.
    reference = data.reference()
    prepared = prepare_areas(
        {area: raw_extracts[area].drop(columns=[SOURCE_SHA256]) for area in context.partition_keys},
        reference,
        registered_versions(),
    )
    gate = FitnessGate.load(data.paths.reference)
    for area in context.partition_keys:
        _fail_unless_fit(area, raw_extracts[area], prepared[area], gate)
    digest = schema_digest(record_domains(reference, registered_versions()))
    counts = subgroup_counts_by_area(
        {area: result.cases for area, result in prepared.items()}, reference
    )
    results = {
        area: _area_outputs(context, area, raw_extracts[area], prepared[area], digest, counts[area])
        for area in context.partition_keys
    }
    for name in AREA_OUTPUTS:
        yield dg.Output({area: result[name] for area, result in results.items()}, output_name=name)


@dg.multi_asset(
    can_subset=False,
    pool=WAREHOUSE_POOL,
    # An area whose extract cannot be read has no partition yet; pool the others and say so.
    # The cases are pooled as Arrow tables: a million rows are never converted to pandas here.
    ins={
        name: dg.AssetIn(
            metadata={**ALLOW_MISSING_AREAS, AS_ARROW: True}
            if name == "area_cases"
            else ALLOW_MISSING_AREAS
        )
        for name in AREA_OUTPUTS
    },
    # Checked here, on the frames in memory, rather than by steps reading a million rows back;
    # a failing blocking check fails this step, so nothing pooled downstream is rebuilt.
    check_specs=CHECKS,
    outs={
        "case_records": dg.AssetOut(
            description="The analysis dataset: every kept case of the latest inspection of every "
            "area, one row per case (`data/warehouse/case_records.parquet`).",
        ),
        "quarantine": dg.AssetOut(
            description="Every rejected raw row with its area, inspection, source file, line and "
            "the rule it broke.",
        ),
        "row_accounting": dg.AssetOut(
            description="Per area and in all: raw rows = kept + superseded + exact duplicates + "
            "quarantined.",
        ),
        "input_files": dg.AssetOut(
            description="Every extract file behind the pooled records (superseded inspections "
            "too), with the SHA-256 of the bytes read and its rows: the same refresh's lineage, "
            "which the publication's manifest lists.",
        ),
        "subgroup_counts": dg.AssetOut(
            description="The pooled records counted per area, inspection, provider and subgroup "
            "levels: cases, answers and Yes per question, cases counted and sufficient per key "
            "area. Tables, ratings and models are computed from it, not from a row per case.",
        ),
    },
)
def pooled_records(
    context: dg.AssetExecutionContext,
    data: ProbationData,
    area_cases: dict[str, pa.Table],
    area_quarantine: dict[str, pd.DataFrame],
    area_accounting: dict[str, pd.DataFrame],
    area_files: dict[str, pd.DataFrame],
    area_counts: dict[str, pd.DataFrame],
):
    # The later steps' libraries load on another thread while Arrow pools and writes (warm.py).
    with importing_in_background():
        reference = data.reference()
        pooled = pool_areas(area_cases, area_quarantine, area_accounting, area_counts, reference)
        counts = pooled.counts
        by_provider = counts.groupby("provider")[CASES].sum().rename("cases").to_frame()
        yield dg.Output(
            pooled.records,
            output_name="case_records",
            metadata={
                "cases": pooled.records.num_rows,
                "areas": ", ".join(sorted(area_cases)),
                "by_provider": dg.MetadataValue.md(by_provider.to_markdown()),
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
            metadata={
                "accounting": dg.MetadataValue.md(pooled.accounting.to_markdown(index=False))
            },
        )
        files = pd.concat(
            [area_files[area] for area in sorted(area_files)], ignore_index=True
        ).sort_values("path", ignore_index=True)
        yield dg.Output(
            files,
            output_name="input_files",
            metadata={"files": len(files), "raw_rows": int(files["rows"].sum())},
        )
        yield dg.Output(
            counts,
            output_name="subgroup_counts",
            metadata={
                "groups": len(counts),
                "cases": int(counts[CASES].sum()),
                "recounted_areas": ", ".join(pooled.recounted) or "none",
            },
        )
        validated = recorded_schema_digests(context, sorted(area_cases))
        yield case_records_match_schema(data, pooled.records, validated)
        yield every_area_in_force(data, area_accounting)
        yield row_accounting_closes(pooled.accounting, files, pooled.records, pooled.quarantine)
