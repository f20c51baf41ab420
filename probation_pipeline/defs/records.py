"""Records: per-area validated cases, then the pooled analysis dataset, with blocking checks."""

from collections.abc import Mapping

import dagster as dg
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from probation_pipeline.defs.ingest import SOURCE_SHA256
from probation_pipeline.defs.partitions import AREA_BACKFILL, area_partitions
from probation_pipeline.defs.resources import AS_ARROW, WAREHOUSE_POOL, ProbationData
from probation_pipeline.extracts.reader import areas_with_extract_files
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.accounting import ALL_AREAS, pooled_total, unaccounted_rows
from probation_pipeline.records.area import AreaCases, prepare_areas
from probation_pipeline.records.fitness import FitnessGate, assess_area
from probation_pipeline.records.pooling import pool_areas
from probation_pipeline.records.schema import case_record_schema, record_domains, schema_digest
from probation_pipeline.stats.subgroups import CASES, subgroup_counts_by_area

ALLOW_MISSING_AREAS = {"allow_missing_partitions": True}
INPUT_FILE_COLUMNS = ("area", "path", "sha256", "rows")
AREA_OUTPUTS = ("area_cases", "area_quarantine", "area_accounting", "area_files", "area_counts")
VALIDATED_UNDER = "validated_under"
"""Metadata of an `area_cases` partition: the `schema_digest` its cases were validated under."""


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


CHECKS = [
    dg.AssetCheckSpec(
        "case_records_match_schema",
        asset="case_records",
        blocking=True,
        description="The pooled records satisfy the pandera case record schema, every rule of "
        "`case_record_schema` (`probation_pipeline/records/schema.py`) with the domains of the "
        "reference data.",
    ),
    dg.AssetCheckSpec(
        "every_area_in_force",
        asset="case_records",
        blocking=True,
        description="Every area with extracts under raw/ is in the pooled records: an area whose "
        "extracts have never passed (unreadable, contradictory or not fit to publish) blocks the "
        "publication instead of going silently missing.",
    ),
    dg.AssetCheckSpec(
        "row_accounting_closes",
        asset="row_accounting",
        blocking=True,
        description="Row accounting closes: the rows of the files read (`input_files`) = kept + "
        "superseded + exact duplicates + quarantined, per area and in all.",
    ),
]


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
        metadata={"accounting": dg.MetadataValue.md(pooled.accounting.to_markdown(index=False))},
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


def recorded_schema_digests(context: dg.AssetExecutionContext, areas: list[str]) -> dict[str, str]:
    """{area: the schema digest its `area_cases` partition was validated under}, where recorded.

    From the latest materialization of each partition: newest first, a page at a time, until
    every area is found (usually in the first page).
    """
    records_filter = dg.AssetRecordsFilter(
        asset_key=dg.AssetKey("area_cases"), asset_partitions=areas
    )
    digests: dict[str, str] = {}
    seen: set[str] = set()
    cursor = None
    while len(seen) < len(areas):
        page = context.instance.fetch_materializations(
            records_filter, limit=max(len(areas), 100), cursor=cursor
        )
        for record in page.records:
            area = record.partition_key
            if area in seen or area is None:
                continue
            seen.add(area)
            materialization = record.asset_materialization
            value = materialization.metadata.get(VALIDATED_UNDER) if materialization else None
            if value is not None:
                digests[area] = str(value.value)
        if not page.has_more:
            break
        cursor = page.cursor
    return digests


def case_records_match_schema(
    data: ProbationData, case_records: pa.Table, validated: Mapping[str, str]
) -> dg.AssetCheckResult:
    """The pooled records against the case record schema.

    An area's cases were validated in the run that wrote them (the ingestion schema holds every
    rule of the record schema); they are not validated again when that run recorded the same
    `schema_digest` as now (same reference domains, same schema code). The other areas' rows are
    validated here; so are the columns and types of the whole (an empty selection still is).
    """
    domains = record_domains(data.reference(), registered_versions())
    digest = schema_digest(domains)
    areas = pc.unique(case_records.column("area")).to_pylist()
    to_check = sorted(area for area in areas if validated.get(area) != digest)
    rows = case_records.filter(
        pc.is_in(case_records.column("area"), pa.array(to_check, pa.string()))
    )
    try:
        case_record_schema(domains).validate(rows.to_pandas(), lazy=True)
    except pandera.errors.SchemaErrors as errors:
        failures = errors.failure_cases
        summary = failures.groupby(["column", "check"], dropna=False).size().rename("failures")
        return dg.AssetCheckResult(
            check_name="case_records_match_schema",
            asset_key="case_records",
            passed=False,
            metadata={
                "failures": len(failures),
                "by_rule": dg.MetadataValue.md(summary.reset_index().to_markdown(index=False)),
            },
        )
    return dg.AssetCheckResult(
        check_name="case_records_match_schema",
        asset_key="case_records",
        passed=True,
        metadata={
            "rows_checked": rows.num_rows,
            "areas_checked": ", ".join(to_check) or "none",
            "rows_validated_in_their_area_run": case_records.num_rows - rows.num_rows,
        },
    )


def row_accounting_closes(
    row_accounting: pd.DataFrame,
    input_files: pd.DataFrame,
    case_records: pd.DataFrame | pa.Table,
    quarantine: pd.DataFrame,
) -> dg.AssetCheckResult:
    total = pooled_total(row_accounting)
    raw_rows = int(input_files["rows"].sum())
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
    not_closing = set(row_accounting.loc[unaccounted_rows(row_accounting) != 0, "area"])
    # Each area's raw rows are those of the files read for it, no more, no less.
    accounted = row_accounting.set_index("area")["raw_rows"].drop(ALL_AREAS)
    read = input_files.groupby("area")["rows"].sum()
    differing = accounted.sub(read, fill_value=0)
    per_area_open = sorted(not_closing | set(differing.index[differing != 0]))
    return dg.AssetCheckResult(
        check_name="row_accounting_closes",
        asset_key="row_accounting",
        passed=gap == 0 and not per_area_open,
        metadata={
            **observed,
            "unaccounted rows": gap,
            "areas not closing": ", ".join(per_area_open) or "none",
        },
    )


def every_area_in_force(
    data: ProbationData, area_accounting: dict[str, pd.DataFrame]
) -> dg.AssetCheckResult:
    expected = areas_with_extract_files(data.paths.raw, data.reference().area_slugs)
    missing = sorted(set(expected) - set(area_accounting))
    return dg.AssetCheckResult(
        check_name="every_area_in_force",
        asset_key="case_records",
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
