"""Jobs: one area's partition, and everything pooled downstream of the areas."""

from __future__ import annotations

import dagster as dg

AREA_JOB = "area_job"
NATIONAL_JOB = "national_job"
AREA_OUTPUTS_JOB = "area_outputs_job"

# The area-partitioned assets; every other asset is pooled over areas.
AREA_ASSETS: tuple[str, ...] = (
    "raw_extracts",
    "area_cases",
    "area_quarantine",
    "area_accounting",
)
# Partitioned too, but computed from the pooled records: the national job builds them.
AREA_OUTPUTS: tuple[str, ...] = ("area_judgement_tables", "area_ratings")


def build_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    """The three jobs `make run` runs in order: areas, national, then the per-area outputs."""
    partitioned = dg.AssetSelection.assets(*AREA_ASSETS, *AREA_OUTPUTS)
    return [
        dg.define_asset_job(
            AREA_JOB,
            selection=dg.AssetSelection.assets(*AREA_ASSETS),
            description="Read, validate and deduplicate one area's extracts (one partition).",
        ),
        dg.define_asset_job(
            NATIONAL_JOB,
            selection=dg.AssetSelection.all() - partitioned,
            description="Pool the areas and rebuild every national output and the publication.",
        ),
        dg.define_asset_job(
            AREA_OUTPUTS_JOB,
            selection=dg.AssetSelection.assets(*AREA_OUTPUTS),
            description="One area's tables and ratings, from the pooled records.",
        ),
    ]
