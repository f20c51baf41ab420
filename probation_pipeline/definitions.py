"""The Dagster code location: composes the stage definitions with their resources."""

from __future__ import annotations

import dagster as dg

from probation_pipeline.defs import analysis, ingest, publication, records
from probation_pipeline.defs.automation import build_automation
from probation_pipeline.defs.jobs import build_jobs
from probation_pipeline.defs.resources import ParquetIOManagerResource, ProbationData, PseudonymKey
from probation_pipeline.paths import DataPaths

STAGES = (ingest, records, analysis, publication)


def build_definitions(paths: DataPaths | None = None) -> dg.Definitions:
    """All assets, checks, jobs, sensors and schedules, reading and writing below `paths`."""
    paths = paths or DataPaths.from_env()
    stage_defs = dg.Definitions.merge(
        *(
            dg.Definitions(
                assets=dg.load_assets_from_modules([stage]),
                asset_checks=dg.load_asset_checks_from_modules([stage]),
            )
            for stage in STAGES
        )
    )
    return dg.Definitions.merge(
        stage_defs,
        build_automation(paths),
        dg.Definitions(
            jobs=build_jobs(),
            resources={
                "data": ProbationData(root=str(paths.root)),
                "pseudonym_key": PseudonymKey(),
                "io_manager": ParquetIOManagerResource(base_dir=str(paths.warehouse)),
            },
        ),
    )


defs = build_definitions()
