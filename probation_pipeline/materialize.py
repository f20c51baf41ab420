"""`python -m probation_pipeline.materialize`: build everything from the raw extracts.

Registers a partition for every area folder under `raw/`, runs `area_job` for each area, then
`national_job`, then `area_outputs_job` for each area that succeeded, in the persistent instance
of `DAGSTER_HOME` so the runs show in the UI.
"""

from __future__ import annotations

import argparse
import os
import sys

import dagster as dg

from probation_pipeline.defs.automation import TRIGGER_TAG
from probation_pipeline.defs.jobs import AREA_JOB, NATIONAL_JOB
from probation_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, area_partitions
from probation_pipeline.extracts.reader import is_ignored_name
from probation_pipeline.locking import BUSY_EXIT_CODE, DataDirBusy, data_dir_lock
from probation_pipeline.paths import DataPaths
from probation_pipeline.publish.object_store import read_store_latest
from probation_pipeline.records.pseudonym import KEY_ENV
from probation_pipeline.reference import Reference
from probation_pipeline.storage import display, is_local, read_parquet

# Run logs stay complete in the instance (and the UI); the terminal shows errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def areas_with_extracts(paths: DataPaths) -> tuple[list[str], list[str]]:
    """Area folders holding at least one extract, and warnings for folders that are not areas.

    File names are not checked here: a badly named file fails its own area's run, with the file
    named, and no other area's.
    """
    known = Reference(paths.reference).area_slugs
    areas, warnings = [], []
    for folder in sorted(p for p in paths.raw.iterdir() if p.is_dir()):
        if not any(f.is_file() and not is_ignored_name(f.name) for f in folder.iterdir()):
            continue
        if folder.name in known:
            areas.append(folder.name)
        else:
            warnings.append(
                f"{folder.relative_to(paths.root) if is_local(folder) else display(folder)}: "
                "not a PCC area slug in the reference data; skipped"
            )
    return areas, warnings


def materialize_all(
    defs: dg.Definitions,
    paths: DataPaths,
    instance: dg.DagsterInstance,
    run_ids: list[str] | None = None,
) -> dict[str, bool]:
    """Run every area in one `area_job` run, then `national_job` once.

    When the all-areas run fails (an unreadable file, say), each area is rerun on its own, so
    that one area's bad file fails only that area and the others are pooled. Returns success per
    area (by slug) and `national`. The national run's id, whose check results `summarise_checks`
    reports, is appended to `run_ids` when it is given.
    """
    areas, warnings = areas_with_extracts(paths)
    for warning in warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    known = set(instance.get_dynamic_partitions(area_partitions.name))
    new = [area for area in areas if area not in known]
    if new:
        instance.add_dynamic_partitions(area_partitions.name, new)
    outcome: dict[str, bool] = {}
    area_job = defs.resolve_job_def(AREA_JOB)

    messages: dict[str, list[str]] = {}

    def run_areas(selected: list[str]) -> bool:
        tags = {RANGE_START_TAG: selected[0], RANGE_END_TAG: selected[-1]}
        if len(selected) == 1:
            tags = {"dagster/partition": selected[0]}
        result = area_job.execute_in_process(
            instance=instance,
            tags={**tags, TRIGGER_TAG: "make run"},
            raise_on_error=False,
            run_config=QUIET,
        )
        if len(selected) == 1:
            messages[selected[0]] = failure_messages(instance, result.run_id)
        return result.success

    if areas and _contiguous(instance, areas) and run_areas(areas):
        outcome.update(dict.fromkeys(areas, True))
    else:
        for area in areas:
            outcome[area] = run_areas([area])
    for area in areas:
        print(f"  area {area:<24} {'ok' if outcome[area] else 'FAILED'}", flush=True)
        for message in messages.get(area, []):
            print(f"    {message}", flush=True)
    result = defs.resolve_job_def(NATIONAL_JOB).execute_in_process(
        instance=instance, raise_on_error=False, run_config=QUIET, tags={TRIGGER_TAG: "make run"}
    )
    outcome["national"] = result.success
    if run_ids is not None:
        run_ids.append(result.run_id)
    print(f"  national outputs            {'ok' if result.success else 'FAILED'}", flush=True)
    return outcome


def failure_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """What each failed step of the run said (a Failure's description, else the error)."""
    messages = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        event = entry.dagster_event
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            text = data.user_failure_data.description
        else:
            text = data.error.message.strip() if data.error else "step failed"
        messages.extend(f"{event.step_key}: {line}" for line in text.splitlines() if line)
    return messages


def _contiguous(instance: dg.DagsterInstance, areas: list[str]) -> bool:
    """Whether `areas` are exactly the partitions from the first to the last (one range)."""
    keys = list(instance.get_dynamic_partitions(area_partitions.name))
    start = keys.index(areas[0])
    return keys[start : start + len(areas)] == areas


def summarise_checks(instance: dg.DagsterInstance, run_id: str) -> str:
    """One line per asset check evaluated in the run: name, outcome and its key figure."""
    lines = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.asset_check_evaluation_data
        metadata = {key: value.value for key, value in evaluation.metadata.items()}
        if "cells_matched" in metadata:
            detail = f"{metadata['cells_matched']}/{metadata['cells_compared']} published cells"
        elif "questions_matched" in metadata:
            detail = f"{metadata['questions_matched']}/{metadata['questions_compared']} selections"
            detail += " as published"
        elif metadata.get("applies") is False:
            reason = str(metadata.get("reason", "does not apply"))
            detail = reason if len(reason) <= 90 else reason[:89] + "…"
        elif metadata.get("missing", "none") != "none":
            detail = f"no inspection in force for {metadata['missing']}"
        elif "unaccounted rows" in metadata:
            detail = f"{metadata['unaccounted rows']} rows unaccounted for"
        else:
            detail = ""
        status = "passed" if evaluation.passed else "FAILED"
        lines.append(f"  {evaluation.check_name:<30} {status}{'  ' + detail if detail else ''}")
    return "Checks:\n" + "\n".join(lines) if lines else "Checks: none ran"


def summarise_outputs(paths: DataPaths) -> str:
    """Where the outputs are, with the row accounting and the publication id."""
    warehouse = paths.warehouse
    lines = [f"Warehouse:   {display(warehouse)}"]
    accounting = warehouse / "row_accounting.parquet"
    if accounting.exists():
        total = read_parquet(accounting).set_index("area").loc["All areas"]
        lines.append(
            f"Rows:        {total['raw_rows']} raw = {total['kept']} kept + {total['superseded']} "
            f"superseded + {total['exact_duplicates']} exact duplicates + "
            f"{total['quarantined']} quarantined ({display(warehouse / 'quarantine.parquet')})"
        )
    published = paths.published
    if not is_local(published):
        pub_id = read_store_latest(published)
        if pub_id:
            lines.append(f"Publication: {display(published / pub_id)} (LATEST)")
        return "\n".join(lines)
    latest = published / "latest"
    if latest.exists():
        lines.append(f"Publication: {latest} -> {latest.resolve().name}")
        lines.append(f"Report:      {latest / 'report.html'}")
        lines.append(f"Spreadsheet: {latest / 'tables.xlsx'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args(argv)
    from probation_pipeline.definitions import defs

    paths = DataPaths.from_env()
    if KEY_ENV not in os.environ:
        print(
            f"WARNING: {KEY_ENV} is not set: pseudonyms use the built-in development key. "
            "Set it before processing real case data.",
            file=sys.stderr,
        )
    try:
        with data_dir_lock(paths.root):
            print(f"Materialising every asset from {display(paths.raw)}", flush=True)
            run_ids: list[str] = []
            with dg.DagsterInstance.get() as instance:
                outcome = materialize_all(defs, paths, instance, run_ids)
                if run_ids:
                    print(summarise_checks(instance, run_ids[-1]))
            print(summarise_outputs(paths))
    except DataDirBusy as busy:
        print(f"REFUSED: {busy}", file=sys.stderr)
        return BUSY_EXIT_CODE
    failed = [name for name, ok in outcome.items() if not ok]
    if failed:
        print(f"Failed: {', '.join(failed)} (see `make ui` for the run logs)", file=sys.stderr)
        unfit = [name for name in failed if name != "national" and " " not in name]
        if unfit:
            # docs/decisions.md: an area not fit to publish leaves what was in force in force.
            print(
                f"Not fit to publish: {', '.join(unfit)}: new extracts not used; each area keeps "
                "its previous inspection, and without one the publication is not rebuilt",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
