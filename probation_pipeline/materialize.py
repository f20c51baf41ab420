"""`python -m probation_pipeline.materialize`: build everything from the raw extracts.

Registers a partition for every area folder under `raw/`, runs `area_job` for each area, then
`national_job`, in the persistent instance of `DAGSTER_HOME` so the runs show in the UI.
"""

from __future__ import annotations

import argparse
import sys

import dagster as dg

from probation_pipeline.defs.jobs import AREA_JOB, AREA_OUTPUTS_JOB, NATIONAL_JOB
from probation_pipeline.defs.partitions import area_partitions
from probation_pipeline.extracts.reader import list_extract_files
from probation_pipeline.paths import DataPaths


def areas_with_extracts(paths: DataPaths) -> list[str]:
    """Area slugs that have at least one extract file."""
    return sorted({file.area for file in list_extract_files(paths.raw)})


def materialize_all(
    defs: dg.Definitions, paths: DataPaths, instance: dg.DagsterInstance
) -> dict[str, bool]:
    """Run every area's partition, then the national assets; return success per run."""
    areas = areas_with_extracts(paths)
    known = set(instance.get_dynamic_partitions(area_partitions.name))
    new = [area for area in areas if area not in known]
    if new:
        instance.add_dynamic_partitions(area_partitions.name, new)
    outcome: dict[str, bool] = {}
    area_job = defs.resolve_job_def(AREA_JOB)
    for area in areas:
        result = area_job.execute_in_process(
            instance=instance, partition_key=area, raise_on_error=False
        )
        outcome[area] = result.success
        print(f"  area {area:<24} {'ok' if result.success else 'FAILED'}", flush=True)
    result = defs.resolve_job_def(NATIONAL_JOB).execute_in_process(
        instance=instance, raise_on_error=False
    )
    outcome["national"] = result.success
    print(f"  national outputs            {'ok' if result.success else 'FAILED'}", flush=True)
    if result.success:
        outputs_job = defs.resolve_job_def(AREA_OUTPUTS_JOB)
        for area in areas:
            if outcome[area]:
                done = outputs_job.execute_in_process(
                    instance=instance, partition_key=area, raise_on_error=False
                )
                outcome[f"{area} outputs"] = done.success
        failed = [a for a in areas if outcome.get(f"{a} outputs") is False]
        print(
            f"  area tables and ratings     {'ok' if not failed else 'FAILED: ' + ', '.join(failed)}"
        )
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    from probation_pipeline.definitions import defs

    paths = DataPaths.from_env()
    print(f"Materialising every asset from {paths.raw}", flush=True)
    with dg.DagsterInstance.get() as instance:
        outcome = materialize_all(defs, paths, instance)
    print(f"Warehouse:   {paths.warehouse}")
    print(f"Publication: {paths.published / 'latest'}")
    failed = [name for name, ok in outcome.items() if not ok]
    if failed:
        print(f"Failed: {', '.join(failed)} (see `make ui` for the run logs)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
