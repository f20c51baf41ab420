"""`python -m probation_pipeline.materialize`: build everything from the raw extracts.

Registers a partition for every area folder under `raw/`, runs `area_job` once over all areas,
then `national_job` once, in the persistent instance of `DAGSTER_HOME`. The runs are created
against the code location of `workspace.yaml`, as the UI and the daemon create theirs, so they
show on the job pages and the Overview; they execute in this process, not through the run
queue, so `make run` completes whether or not a daemon is dequeuing. Before each run it waits
for runs already in progress (the daemon's, say), as the warehouse pool would.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import dagster as dg

from probation_pipeline.defs.automation import TRIGGER_TAG
from probation_pipeline.defs.jobs import AREA_JOB, NATIONAL_JOB
from probation_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, area_partitions
from probation_pipeline.extracts.reader import is_ignored_name
from probation_pipeline.local_instance import ensure_dagster_home
from probation_pipeline.locking import BUSY_EXIT_CODE, DataDirBusy, data_dir_lock
from probation_pipeline.paths import DataPaths
from probation_pipeline.publish.object_store import read_store_latest
from probation_pipeline.records.accounting import pooled_total
from probation_pipeline.records.pseudonym import KEY_ENV
from probation_pipeline.reference import Reference
from probation_pipeline.storage import display, is_local, read_parquet

# Run logs stay complete in the instance (and the UI); the terminal shows errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
MAKE_RUN = {TRIGGER_TAG: "make run"}
IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]

CODE_LOCATION = "probation_pipeline.definitions"
Launch = Callable[[str, Mapping[str, str]], str]
"""Run a job with tags to its end and return the run id."""


def in_process_launcher(defs: dg.Definitions, instance: dg.DagsterInstance) -> Launch:
    """Execute each run in this process (tests, on an ephemeral instance)."""

    def launch(job_name: str, tags: Mapping[str, str]) -> str:
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(
            instance=instance, tags=dict(tags), raise_on_error=False, run_config=QUIET
        )
        return result.run_id

    return launch


@contextmanager
def code_location_launcher(
    instance: dg.DagsterInstance, poll_seconds: float = 0.5
) -> Iterator[Launch]:
    """Create each run against the code location of workspace.yaml and execute it here.

    The run is recorded as the UI and the daemon record theirs (job snapshot, execution plan,
    code location origin, repository label), so it shows on the job pages and the Overview and
    can be re-executed from the UI. It is then executed in this process, as Dagster's run
    worker would execute it, which saves a code server and a process per run, and needs no
    daemon even when the instance queues runs (QueuedRunCoordinator).
    """
    from dagster._core.execution.api import execute_run
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._utils.hosted_user_process import recon_job_from_origin

    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=CODE_LOCATION,
            working_directory=os.getcwd(),
        ),
        location_name=CODE_LOCATION,  # the name workspace.yaml gives the same module
    )
    with origin.create_location(instance) as location:
        (repository,) = location.get_repositories().values()

        def launch(job_name: str, tags: Mapping[str, str]) -> str:
            _wait_until_no_run_in_progress(instance, poll_seconds)
            job = repository.get_full_job(job_name)
            plan = location.get_execution_plan(
                job, QUIET, step_keys_to_execute=None, known_state=None, instance=instance
            ).execution_plan_snapshot
            run = instance.create_run(
                job_name=job_name,
                run_id=None,
                run_config=QUIET,
                resolved_op_selection=None,
                step_keys_to_execute=plan.step_keys_to_execute,
                op_selection=None,
                status=None,
                root_run_id=None,
                parent_run_id=None,
                tags={**job.tags, **tags},
                job_snapshot=job.job_snapshot,
                execution_plan_snapshot=plan,
                parent_job_snapshot=job.parent_job_snapshot,
                remote_job_origin=job.get_remote_origin(),
                job_code_origin=job.get_python_origin(),
                asset_selection=None,
                asset_check_selection=None,
                asset_graph=repository.asset_graph,
            )
            execute_run(recon_job_from_origin(run.job_code_origin), run, instance)
            return run.run_id

        yield launch


def _wait_until_no_run_in_progress(instance: dg.DagsterInstance, poll_seconds: float) -> None:
    """Wait for the daemon's runs in progress; close those a killed `make run` left open.

    `make run` holds the data dir lock, so a run of an earlier `make run` still marked in
    progress lost its process: it is marked failed, as the UI should show it.
    """
    announced = False
    while runs := instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS)):
        others = []
        for run in runs:
            if run.tags.get(TRIGGER_TAG) == MAKE_RUN[TRIGGER_TAG]:
                instance.report_run_failed(run, "its make run process ended before the run did")
            else:
                others.append(run)
        if others and not announced:
            names = ", ".join(f"{run.job_name} {run.run_id[:8]}" for run in others)
            print(f"  waiting for runs in progress: {names}", flush=True)
            announced = True
        if others:
            time.sleep(poll_seconds)


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
    launch: Launch | None = None,
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
    launch = launch or in_process_launcher(defs, instance)
    messages: dict[str, list[str]] = {}

    def succeeded(run_id: str) -> bool:
        return instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS

    def run_areas(selected: list[str]) -> bool:
        tags = {RANGE_START_TAG: selected[0], RANGE_END_TAG: selected[-1]}
        if len(selected) == 1:
            tags = {"dagster/partition": selected[0]}
        run_id = launch(AREA_JOB, {**tags, **MAKE_RUN})
        if len(selected) == 1:
            messages[selected[0]] = failure_messages(instance, run_id)
        return succeeded(run_id)

    if areas and _contiguous(instance, areas) and run_areas(areas):
        outcome.update(dict.fromkeys(areas, True))
    else:
        for area in areas:
            outcome[area] = run_areas([area])
    for area in areas:
        print(f"  area {area:<24} {'ok' if outcome[area] else 'FAILED'}", flush=True)
        for message in messages.get(area, []):
            print(f"    {message}", flush=True)
    national = launch(NATIONAL_JOB, MAKE_RUN)
    outcome["national"] = succeeded(national)
    if run_ids is not None:
        run_ids.append(national)
    print(f"  national outputs            {'ok' if outcome['national'] else 'FAILED'}", flush=True)
    if outcome["national"]:
        # Built in the national run since issue 10; the line stays for readers of this summary.
        print("  area tables and ratings     ok", flush=True)
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
        total = pooled_total(read_parquet(accounting))
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
    if note := ensure_dagster_home(paths.root):
        print(note, file=sys.stderr)
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
            with (
                dg.DagsterInstance.get() as instance,
                code_location_launcher(instance) as launch,
            ):
                outcome = materialize_all(defs, paths, instance, run_ids, launch)
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


def _exit_without_teardown(code: int) -> None:
    """Exit once every output is written, the lock released and the instance closed.

    Interpreter teardown sometimes aborts ("terminate called without an active exception") in
    a native library's background thread, turning a green run into exit code 134; nothing is
    left to clean up by then, so skip it (docs/decisions.md).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_without_teardown(main())
