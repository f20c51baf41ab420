"""The pooled records' blocking checks, evaluated inside `pooled_records` on what it just built."""

from collections.abc import Mapping

import dagster as dg
import pandas as pd
import pandera.errors
import pyarrow as pa
import pyarrow.compute as pc

from probation_pipeline.defs.resources import ProbationData
from probation_pipeline.extracts.reader import areas_with_extract_files
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.accounting import ALL_AREAS, pooled_total, unaccounted_rows
from probation_pipeline.records.schema import case_record_schema, record_domains, schema_digest

VALIDATED_UNDER = "validated_under"
"""Metadata of an `area_cases` partition: the `schema_digest` its cases were validated under."""

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
