"""Jobs: one area's partition, and everything pooled downstream of the areas."""

from __future__ import annotations

import dagster as dg

from probation_pipeline.defs.partitions import area_partitions

AREA_JOB = "area_job"
NATIONAL_JOB = "national_job"

# The area-partitioned assets; every other asset is pooled over areas.
AREA_ASSETS: tuple[str, ...] = (
    "raw_extracts",
    "area_cases",
    "area_quarantine",
    "area_accounting",
)


def build_jobs(area_assets: tuple[str, ...] = AREA_ASSETS) -> list[dg.UnresolvedAssetJobDefinition]:
    """`area_job` builds the partitioned assets of one area; `national_job` everything pooled."""
    per_area = dg.AssetSelection.assets(*area_assets)
    return [
        dg.define_asset_job(
            AREA_JOB,
            selection=per_area,
            partitions_def=area_partitions,
            description="Read, validate and deduplicate one area's extracts (one partition).",
        ),
        dg.define_asset_job(
            NATIONAL_JOB,
            selection=dg.AssetSelection.all() - per_area,
            description="Pool the areas and rebuild every national output and the publication.",
        ),
    ]
