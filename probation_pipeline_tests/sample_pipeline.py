"""Running the whole pipeline in-process on a copy of the shipped sample (end-to-end fixtures)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from probation_pipeline.definitions import build_definitions
from probation_pipeline.materialize import materialize_all
from probation_pipeline.paths import DataPaths
from probation_pipeline_tests.shipped import REPO


@dataclass
class SampleRun:
    paths: DataPaths
    defs: dg.Definitions
    instance: dg.DagsterInstance
    outcome: dict[str, bool]


def run_shipped_sample(root: Path) -> SampleRun:
    """Copy data/raw and data/reference below `root` and materialise every asset there."""
    shutil.copytree(REPO / "data" / "raw", root / "raw")
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    paths = DataPaths(root)
    defs = build_definitions(paths)
    instance = dg.DagsterInstance.ephemeral()
    outcome = materialize_all(defs, paths, instance)
    return SampleRun(paths, defs, instance, outcome)


def check_evaluations(instance: dg.DagsterInstance) -> dict[str, dg.AssetCheckEvaluation]:
    """The latest evaluation of each asset check, by check name (runs oldest first)."""
    evaluations = {}
    for run in reversed(instance.get_runs()):
        for entry in instance.all_logs(
            run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ):
            evaluation = entry.dagster_event.asset_check_evaluation_data
            evaluations[evaluation.check_name] = evaluation
    return evaluations
