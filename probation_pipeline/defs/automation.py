"""Automation: a sensor on the raw folder, declarative refresh downstream, a full-refresh schedule."""

import time

import dagster as dg

from probation_pipeline.defs.jobs import AREA_JOB
from probation_pipeline.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, area_partitions
from probation_pipeline.defs.resources import ProbationData
from probation_pipeline.extracts.arrivals import decode_state, encode_state, plan_arrivals
from probation_pipeline.paths import DataPaths
from probation_pipeline.reference import Reference

RAW_SENSOR = "raw_extract_sensor"
AUTOMATION_SENSOR = "probation_automation"
FULL_REFRESH = "full_refresh_schedule"
TRIGGER_TAG = "probation/trigger"
"""Run tag saying what started a run: new extract, automation, full refresh, make run."""
AUTOMATION_INTERVAL_SECONDS = 5


def _materialised_digest(instance: dg.DagsterInstance, area: str) -> str | None:
    """The content digest of the files behind the area's latest `raw_extracts` materialisation.

    An area already built from exactly its current files (by `make run`, say) needs no run.
    """
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("raw_extracts"), asset_partitions=[area]),
        limit=1,
    ).records
    if not records:
        return None
    materialization = records[0].asset_materialization
    digest = materialization.metadata.get("content_digest") if materialization else None
    return digest.value if digest is not None else None


def _areas_being_rebuilt(instance: dg.DagsterInstance) -> set[str]:
    """Areas with a single-area run queued or in progress."""
    runs = instance.get_runs(
        dg.RunsFilter(
            statuses=[
                dg.DagsterRunStatus.QUEUED,
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ]
        )
    )
    return {run.tags["dagster/partition"] for run in runs if "dagster/partition" in run.tags}


def build_raw_extract_sensor(interval_seconds: int, settle_seconds: float) -> dg.SensorDefinition:
    @dg.sensor(
        name=RAW_SENSOR,
        job_name=AREA_JOB,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts an area's run when a new or changed extract lands in raw/<area>/; "
        "adds the area's partition the first time.",
    )
    def raw_extract_sensor(context: dg.SensorEvaluationContext, data: ProbationData):
        reference = data.reference()
        partitions = frozenset(context.instance.get_dynamic_partitions(area_partitions.name))
        plan = plan_arrivals(
            data.paths.raw,
            known_areas=reference.area_slugs,
            partitions=partitions,
            previous=decode_state(context.cursor),
            now=time.time(),
            settle_seconds=settle_seconds,
        )
        for warning in plan.warnings:
            context.log.warning(warning)
        previous = decode_state(context.cursor)
        busy = _areas_being_rebuilt(context.instance)
        state = dict(plan.state)
        stale = {}
        for area, key in sorted(plan.changed_areas.items()):
            if area in busy and area not in plan.new_areas:
                # A run of the area (a hand rerun, say) is under way: look again next tick,
                # when its materialisation tells whether these files are already built.
                if area in previous:
                    state[area] = previous[area]
                else:
                    state.pop(area, None)
            elif (
                area in plan.new_areas
                or _materialised_digest(context.instance, area) != key.split(":", 1)[1]
            ):
                stale[area] = key
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(run_key=key, partition_key=area, tags={TRIGGER_TAG: "new extract"})
                for area, key in stale.items()
            ],
            dynamic_partitions_requests=(
                [area_partitions.build_add_request(plan.new_areas)] if plan.new_areas else []
            ),
            cursor=encode_state(state),
        )

    return raw_extract_sensor


def full_refresh_request(areas: list[str], run_key: str | None, trigger: str) -> dg.RunRequest:
    """One `area_job` run over every area (a partition range; single-run backfill policy)."""
    return dg.RunRequest(
        run_key=run_key,
        tags={
            RANGE_START_TAG: areas[0],
            RANGE_END_TAG: areas[-1],
            TRIGGER_TAG: trigger,
        },
    )


def build_full_refresh_schedule(cron: str, timezone: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=FULL_REFRESH,
        cron_schedule=cron,
        execution_timezone=timezone,
        job_name=AREA_JOB,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Periodic full refresh: rereads every area in one run; the automation "
        "sensor then rebuilds the pooled outputs and the publication in a second.",
    )
    def full_refresh_schedule(context: dg.ScheduleEvaluationContext):
        areas = list(context.instance.get_dynamic_partitions(area_partitions.name))
        if not areas:
            return dg.SkipReason("no area partitions yet")
        tick = (
            context.scheduled_execution_time.isoformat()
            if context.scheduled_execution_time
            else "manual"
        )
        return full_refresh_request(areas, tick, "full refresh")

    return full_refresh_schedule


def build_automation(paths: DataPaths) -> dg.Definitions:
    """Sensors and schedules, with their settings from `reference/operations.yaml`."""
    settings = Reference(paths.reference).operations
    return dg.Definitions(
        sensors=[
            build_raw_extract_sensor(
                settings.sensor_interval_seconds, settings.sensor_settle_seconds
            ),
            # Open-source Dagster's built-in automation sensor starts stopped; this one runs.
            dg.AutomationConditionSensorDefinition(
                AUTOMATION_SENSOR,
                target=dg.AssetSelection.all(),
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=AUTOMATION_INTERVAL_SECONDS,
                run_tags={TRIGGER_TAG: "automation"},
                description="Refreshes the pooled assets and the publication in one run after "
                "area partitions change (and an area's records after a hand rerun of its "
                "raw_extracts).",
            ),
        ],
        schedules=[build_full_refresh_schedule(settings.refresh_cron, settings.refresh_timezone)],
    )
