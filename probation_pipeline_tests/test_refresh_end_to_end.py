"""Issue 7 end to end: a new area's inspection lands; the sensor and automation refresh everything."""

import hashlib
import os
import time

import dagster as dg
import pandas as pd
import pytest

from probation_pipeline.defs.automation import RAW_SENSOR
from probation_pipeline.defs.jobs import AREA_JOB
from probation_pipeline.sample.scale import write_scale_sample
from probation_pipeline_tests.sample_pipeline import run_shipped_sample

NEW_AREA = "northumbria"  # first area of pcc_areas.csv, not in the bulletin


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _tick(run, cursor):
    sensor = run.defs.resolve_sensor_def(RAW_SENSOR)
    context = dg.build_sensor_context(
        instance=run.instance, cursor=cursor, resources={"data": run.defs.resources["data"]}
    )
    result = sensor(context)
    for request in result.dynamic_partitions_requests or []:
        run.instance.add_dynamic_partitions(
            request.partitions_def_name, list(request.partition_keys)
        )
    return result


def _execute_requested(run, evaluation) -> set[str]:
    """Do what the automation daemon does with the requested asset partitions."""
    graph = run.defs.resolve_asset_graph()
    unpartitioned, by_partition = [], {}
    for key in graph.get_all_asset_keys():
        subset = evaluation.get_requested_partitions(key)
        if not subset:
            continue
        if graph.get(key).partitions_def is None:
            unpartitioned.append(key)
        else:
            for partition in subset:
                by_partition.setdefault(partition, []).append(key)
    jobs = [dg.define_asset_job("refresh_pooled", selection=unpartitioned)]
    jobs += [
        dg.define_asset_job(f"refresh_{p.replace('-', '_')}", selection=keys)
        for p, keys in by_partition.items()
    ]
    defs = dg.Definitions.merge(run.defs, dg.Definitions(jobs=jobs))
    assert defs.resolve_job_def("refresh_pooled").execute_in_process(instance=run.instance).success
    for partition in by_partition:
        job = defs.resolve_job_def(f"refresh_{partition.replace('-', '_')}")
        assert job.execute_in_process(instance=run.instance, partition_key=partition).success
    return {key.to_user_string() for key in unpartitioned}


@pytest.fixture
def sample_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PROBATION_PSEUDONYM_KEY", "refresh-test-key")
    return run_shipped_sample(tmp_path / "data")


def test_new_area_lands_and_a_new_publication_includes_it(sample_run):
    run = sample_run
    assert all(run.outcome.values())
    published = run.paths.published
    first_id = (published / "LATEST").read_text().strip()
    first_files = _digests(published / first_id)

    # The daemons have seen the sample already: sensor cursor and automation cursor are current.
    cursor = _tick(run, None).cursor
    baseline = dg.evaluate_automation_conditions(defs=run.defs, instance=run.instance)
    assert baseline.total_requested == 0

    written = write_scale_sample(run.paths.raw, n_cases=60, n_areas=1, seed=11)
    assert [p.parent.name for p in written] == [NEW_AREA]
    past = time.time() - 120
    for path in written:
        os.utime(path, (past, past))

    result = _tick(run, cursor)
    assert [r.partition_key for r in result.run_requests] == [NEW_AREA]
    assert NEW_AREA in run.instance.get_dynamic_partitions("area")
    area_run = run.defs.resolve_job_def(AREA_JOB).execute_in_process(
        instance=run.instance, partition_key=NEW_AREA, tags=result.run_requests[0].tags
    )
    assert area_run.success

    evaluation = dg.evaluate_automation_conditions(
        defs=run.defs, instance=run.instance, cursor=baseline.cursor
    )
    refreshed = _execute_requested(run, evaluation)
    assert {"case_records", "judgement_tables", "ratings", "publication"} <= refreshed

    second_id = (published / "LATEST").read_text().strip()
    assert second_id != first_id
    ratings = pd.read_csv(published / second_id / "ratings.csv")
    assert NEW_AREA in set(ratings["area"].dropna())
    assert (published / second_id / "changes.md").exists()
    records = pd.read_parquet(run.paths.warehouse / "case_records.parquet")
    assert NEW_AREA in set(records["area"])
    # The earlier publication is untouched, byte for byte.
    assert _digests(published / first_id) == first_files
