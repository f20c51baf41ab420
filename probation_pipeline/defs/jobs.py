"""Jobs: the area partitions, and everything pooled downstream of the areas."""

from __future__ import annotations

import dagster as dg

from probation_pipeline.defs.records import AREA_OUTPUTS

AREA_JOB = "area_job"
NATIONAL_JOB = "national_job"

# The area-partitioned assets; every other asset is pooled over areas and built by national_job.
AREA_ASSETS: tuple[str, ...] = ("raw_extracts", *AREA_OUTPUTS)


def build_jobs() -> list[dg.UnresolvedAssetJobDefinition]:
    """The two jobs of a refresh: the areas (one or several in one run), then national."""
    return [
        dg.define_asset_job(
            AREA_JOB,
            selection=dg.AssetSelection.assets(*AREA_ASSETS),
            description="Read, validate and deduplicate areas' extracts: one partition, or a "
            "range of partitions in one run (single-run backfill policy).",
        ),
        dg.define_asset_job(
            NATIONAL_JOB,
            selection=dg.AssetSelection.all() - dg.AssetSelection.assets(*AREA_ASSETS),
            description="Pool the areas and rebuild every pooled output, the per-area tables "
            "and ratings, and the publication, in one run.",
        ),
    ]
