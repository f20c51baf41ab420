"""The Dagster code location: composes the stage definitions with their resources.

What every asset shares is applied here, once: the owner, the storage kind, the automation
condition (eager for everything downstream of `raw_extracts`, which the sensor and hand reruns
drive) and the group, which is the stage whose module defines the asset. Runs execute in
process: a refresh is a few runs of small steps, and a process per step would cost more than
the steps.
"""

from __future__ import annotations

import gc

import dagster as dg

from probation_pipeline.defs import analysis, ingest, publication, records
from probation_pipeline.defs.automation import build_automation
from probation_pipeline.defs.jobs import build_jobs
from probation_pipeline.defs.resources import ParquetIOManagerResource, ProbationData, PseudonymKey
from probation_pipeline.paths import DataPaths

STAGES = {"ingest": ingest, "records": records, "analysis": analysis, "publication": publication}
"""Each stage's module, by the asset group of what it defines (the groups of the UI's lineage)."""
OWNERS = ("team:research-and-analysis",)
KINDS = {"pandas", "parquet"}
"""Every asset's value is a pandas frame stored as Parquet in the warehouse (ParquetIOManager);
assets add what else they use (csv, statsmodels, html, excel) where they are declared."""
SENSOR_DRIVEN = dg.AssetKey("raw_extracts")


def _shared_attributes(spec: dg.AssetSpec) -> dg.AssetSpec:
    spec = spec.merge_attributes(owners=list(OWNERS), kinds=KINDS)
    if spec.key == SENSOR_DRIVEN:
        return spec
    return spec.replace_attributes(automation_condition=dg.AutomationCondition.eager())


def build_definitions(paths: DataPaths | None = None) -> dg.Definitions:
    """All assets, checks, jobs, sensors and schedules, reading and writing below `paths`."""
    paths = paths or DataPaths.from_env()
    assets = [
        asset
        for group, module in STAGES.items()
        for asset in dg.load_assets_from_modules([module], group_name=group)
    ]
    stage_defs = dg.Definitions(
        assets=dg.map_asset_specs(_shared_attributes, assets),
        asset_checks=dg.load_asset_checks_from_modules(list(STAGES.values())),
    )
    return dg.Definitions.merge(
        stage_defs,
        build_automation(paths),
        dg.Definitions(
            jobs=build_jobs(),
            executor=dg.in_process_executor,
            resources={
                "data": ProbationData.from_paths(paths),
                "pseudonym_key": PseudonymKey(),
                "io_manager": ParquetIOManagerResource(base_dir=str(paths.warehouse)),
            },
        ),
    )


defs = build_definitions()

# What is loaded by now (Dagster, pandas, these definitions: some 180,000 objects the collector
# tracks) lives as long as the process. Frozen, it is no longer traversed by each full garbage
# collection, of which the interpreter runs several at exit (~0.6 s for a one-area refresh).
gc.freeze()
