"""The production instance (`deploy/dagster.yaml`) against a real PostgreSQL server.

A cluster is created with initdb and started with pg_ctl on a free 127.0.0.1 port; `python -m
probation_pipeline.materialize` runs with DAGSTER_HOME holding deploy/dagster.yaml, twice, and then
the real `dagster-daemon` ticks the sensors against the same database and launches a queued run.
Run only these with `pytest -m deploy`; they take about two minutes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from probation_pipeline_tests.deploy.servers import (
    die_with_parent,
    postgres_cluster,
    stop_process_group,
    wait_for,
)
from probation_pipeline_tests.shipped import REPO

pytestmark = pytest.mark.deploy

MATERIALIZE_TIMEOUT_SECONDS = 600
DAEMON_TIMEOUT_SECONDS = 240


@pytest.fixture(scope="module")
def postgres():
    with postgres_cluster() as server:
        yield server


@pytest.fixture(scope="module")
def deployment(postgres, tmp_path_factory):
    """A data dir copied from the sample and a DAGSTER_HOME holding deploy/dagster.yaml."""
    root = tmp_path_factory.mktemp("pg-deploy")
    data = root / "data"
    shutil.copytree(REPO / "data" / "raw", data / "raw")
    shutil.copytree(REPO / "data" / "reference", data / "reference")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        **postgres.env(),
        "DAGSTER_HOME": str(home),
        "PROBATION_DATA_DIR": str(data),
        "PROBATION_PSEUDONYM_KEY": "postgres-test-key",
    }
    for name in ("PROBATION_WAREHOUSE_URL", "PROBATION_PUBLISHED_URL", "PROBATION_RAW_URL"):
        env.pop(name, None)
    return data, env


def run_in_repo(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=MATERIALIZE_TIMEOUT_SECONDS,
    )


def materialize(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_in_repo([sys.executable, "-m", "probation_pipeline.materialize"], env)


def make_run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_in_repo(["make", "-s", "run"], env)


def query(postgres, sql: str) -> list[tuple]:
    with contextlib.closing(postgres.connect()) as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


@pytest.fixture(scope="module")
def first_run(deployment):
    _, env = deployment
    return materialize(env)


def test_materialize_stores_runs_events_and_checks_in_postgres(first_run, postgres):
    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    assert "455/455 published cells" in first_run.stdout
    runs = query(postgres, "SELECT status, count(*) FROM runs GROUP BY status")
    assert dict(runs).get("SUCCESS", 0) >= 2 and set(dict(runs)) == {"SUCCESS"}
    events = dict(query(postgres, "SELECT dagster_event_type, count(*) FROM event_logs GROUP BY 1"))
    assert events["ASSET_MATERIALIZATION"] >= 15  # 14 area partitions of raw_extracts alone
    assert events["ASSET_CHECK_EVALUATION"] >= 3
    checks = dict(
        query(
            postgres,
            "SELECT check_name, execution_status FROM asset_check_executions "
            "WHERE check_name = 'reproduces_bulletin_2018_01'",
        )
    )
    assert checks == {"reproduces_bulletin_2018_01": "SUCCEEDED"}
    partitions = query(
        postgres, "SELECT count(*) FROM dynamic_partitions WHERE partitions_def_name = 'area'"
    )
    assert partitions == [(14,)]


def test_a_rerun_reads_its_state_back(first_run, deployment, postgres):
    """The rerun is `make run`, which must keep DAGSTER_HOME's deploy/dagster.yaml."""
    _, env = deployment
    runs_before = query(postgres, "SELECT count(*) FROM runs")[0][0]
    second = make_run(env)
    assert second.returncode == 0, second.stdout + second.stderr
    runs_after = query(postgres, "SELECT count(*) FROM runs")[0][0]
    assert runs_after == 2 * runs_before  # the same runs again, recorded beside the first ones
    home = env["DAGSTER_HOME"]
    with open(f"{home}/dagster.yaml") as used, open(REPO / "deploy" / "dagster.yaml") as shipped:
        assert used.read() == shipped.read()
    # The partitions registered by the first run were read back, not added again.
    assert query(postgres, "SELECT count(*) FROM dynamic_partitions") == [(14,)]
    # Same inputs, same publication: the rerun found the first one's and kept it.
    latest = [line for line in second.stdout.splitlines() if line.startswith("Publication:")]
    assert latest and latest == [
        line for line in first_run.stdout.splitlines() if line.startswith("Publication:")
    ]


def _flip_one_answer(data) -> None:
    path = data / "raw" / "gwent" / "gwent-2017-01.csv"
    rows = list(csv.reader(io.StringIO(path.read_text())))
    column = rows[0].index("q_diversity")
    rows[1][column] = "No" if rows[1][column] == "Yes" else "Yes"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())
    old = time.time() - 3600  # settled: the sensor takes files older than its settle time
    os.utime(path, (old, old))


def test_the_daemon_ticks_and_runs_the_queue_against_postgres(first_run, deployment, postgres):
    data, env = deployment
    assert first_run.returncode == 0
    daemon = subprocess.Popen(
        [str(REPO / ".venv" / "bin" / "dagster-daemon"), "run", "-w", str(REPO / "workspace.yaml")]
        if (REPO / ".venv" / "bin" / "dagster-daemon").exists()
        else [sys.executable, "-m", "dagster._daemon", "run", "-w", str(REPO / "workspace.yaml")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    deadline = time.monotonic() + DAEMON_TIMEOUT_SECONDS
    try:

        def ticks() -> dict[str, set[str]]:
            """Tick statuses by sensor name, from Postgres's tick table."""
            found: dict[str, set[str]] = {}
            for status, body in query(postgres, "SELECT status, tick_body FROM job_ticks"):
                tick = json.loads(body)  # TickData, serialised by dagster
                name = tick.get("instigator_name") or tick.get("job_name", "?")
                found.setdefault(name, set()).add(status)
            return found

        # Everything was built by materialize: the sensor reads the digests back and skips.
        def finished(name: str) -> set[str]:
            return ticks().get(name, set()) - {"STARTED"}

        assert wait_for(
            lambda: finished("raw_extract_sensor"), timeout=deadline - time.monotonic()
        ), ticks()
        assert finished("raw_extract_sensor") == {"SKIPPED"}
        runs_before = query(postgres, "SELECT count(*) FROM runs")[0][0]

        _flip_one_answer(data)

        def sensor_run_status() -> list[str]:
            return [
                status
                for (status,) in query(
                    postgres,
                    "SELECT r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
                    "WHERE t.key = 'probation/trigger' AND t.value = 'new extract'",
                )
            ]

        # The sensor's run goes through the queue (QUEUED), is launched by the daemon and ends.
        assert wait_for(
            lambda: (
                set(sensor_run_status()) & {"SUCCESS", "FAILURE", "CANCELED"}
                and "probation_automation" in ticks()
            ),
            timeout=deadline - time.monotonic(),
        ), (sensor_run_status(), ticks())
        assert sensor_run_status() == ["SUCCESS"]
        assert query(postgres, "SELECT count(*) FROM runs")[0][0] > runs_before
        partition = query(
            postgres,
            "SELECT t.value FROM run_tags t JOIN run_tags s ON s.run_id = t.run_id "
            "WHERE t.key = 'dagster/partition' AND s.key = 'probation/trigger' "
            "AND s.value = 'new extract'",
        )
        assert partition == [("gwent",)]
    finally:
        stop_process_group(daemon)


def test_make_run_with_postgres_and_everything_in_a_bucket(postgres, tmp_path):
    """The issue's acceptance: own Postgres database and S3 server, the variables, `make run`."""
    from probation_pipeline_tests.deploy.servers import PostgresServer, make_bucket, moto_s3

    with contextlib.closing(postgres.connect()) as connection:
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE acceptance")
    database = PostgresServer(
        postgres.host, postgres.port, postgres.user, postgres.password, "acceptance"
    )
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "reference", data / "reference")
    with moto_s3() as s3:
        make_bucket(s3, "acceptance")
        import s3fs

        fs = s3fs.S3FileSystem(
            key=s3.access_key,
            secret=s3.secret_key,
            endpoint_url=s3.endpoint,
            skip_instance_cache=True,
        )
        fs.put(f"{REPO / 'data' / 'raw'}/", "acceptance/raw/", recursive=True)
        env = {
            **os.environ,
            **database.env(),
            **s3.env(),
            "DAGSTER_HOME": str(home),
            "PROBATION_DATA_DIR": str(data),
            "PROBATION_RAW_URL": "s3://acceptance/raw",
            "PROBATION_WAREHOUSE_URL": "s3://acceptance/warehouse",
            "PROBATION_PUBLISHED_URL": "s3://acceptance/published",
            "PROBATION_PSEUDONYM_KEY": "postgres-test-key",
        }
        done = make_run(env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "455/455 published cells" in done.stdout
        fs.invalidate_cache()
        warehouse = fs.find("acceptance/warehouse")
        published = fs.find("acceptance/published")
    assert "acceptance/warehouse/case_records.parquet" in warehouse
    assert "acceptance/warehouse/raw_extracts/gwent.parquet" in warehouse
    assert "acceptance/published/LATEST" in published
    assert any(key.endswith("/manifest.json") for key in published)
    assert not (data / "raw").exists() and not (data / "warehouse").exists()
    assert not (data / "published").exists()
    runs = dict(query(database, "SELECT status, count(*) FROM runs GROUP BY status"))
    assert runs.get("SUCCESS", 0) >= 2 and set(runs) == {"SUCCESS"}
    for secret in (s3.secret_key, s3.access_key, database.password):
        assert secret not in done.stdout + done.stderr
        # Nothing stored by the instance (run config, tags, events, metadata) holds a credential.
        for table, column in (("runs", "run_body"), ("event_logs", "event")):
            leaked = query(
                database, f"SELECT count(*) FROM {table} WHERE {column} LIKE '%{secret}%'"
            )
            assert leaked == [(0,)], (table, secret)
