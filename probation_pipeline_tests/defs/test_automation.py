"""The raw-folder sensor with build_sensor_context, and declarative automation downstream."""

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from probation_pipeline.defs.automation import build_raw_extract_sensor
from probation_pipeline.defs.partitions import area_partitions
from probation_pipeline.defs.resources import ProbationData
from probation_pipeline.extracts.arrivals import decode_state, plan_arrivals
from probation_pipeline_tests.extract_fixtures import new_data_dir, v2_row, write_v2

SETTLE = 10.0


def _age(path: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _land(raw: Path, inspection: str, refs: list[str], **changes: str) -> Path:
    path = write_v2(raw, inspection, [v2_row(inspection, ref, **changes) for ref in refs])
    _age(path)
    return path


class Daemon:
    """Plays the sensor daemon: evaluates ticks, applies partition requests, keeps the cursor."""

    def __init__(self, root: Path) -> None:
        self.instance = dg.DagsterInstance.ephemeral()
        self.sensor = build_raw_extract_sensor(interval_seconds=30, settle_seconds=SETTLE)
        self.data = ProbationData(root=str(root))
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, resources={"data": self.data}
        )
        result = self.sensor(context)
        for request in result.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        self.cursor = result.cursor
        return result

    @property
    def partitions(self) -> set[str]:
        return set(self.instance.get_dynamic_partitions(area_partitions.name))


@pytest.fixture
def root(tmp_path) -> Path:
    root = new_data_dir(tmp_path / "data")
    _land(root / "raw", "gwent-2017-01", ["K000001", "K000002"])
    # A valid case: the gate fails an area that keeps none (sentenced before fieldwork).
    _land(
        root / "raw", "durham-2016-04", ["D000001"], pcc_area="Durham", sentence_date="2016-01-04"
    )
    return root


def _runs(result: dg.SensorResult) -> dict[str, str]:
    return {r.partition_key: r.run_key for r in result.run_requests}


def test_first_tick_requests_a_run_and_a_partition_per_area(root):
    daemon = Daemon(root)
    result = daemon.tick()
    assert set(_runs(result)) == {"gwent", "durham"}
    assert daemon.partitions == {"gwent", "durham"}
    assert len(daemon.cursor) < 200  # small: two digests per area


def test_unchanged_folder_requests_nothing(root):
    daemon = Daemon(root)
    daemon.tick()
    assert daemon.tick().run_requests == []


def test_same_bytes_rewritten_request_nothing(root):
    daemon = Daemon(root)
    daemon.tick()
    path = root / "raw" / "gwent" / "gwent-2017-01.csv"
    path.write_bytes(path.read_bytes())
    _age(path, 30)
    result = daemon.tick()
    assert result.run_requests == []
    assert decode_state(daemon.cursor)["gwent"].stat_digest  # the new stat was remembered


def test_new_area_adds_its_partition(root):
    daemon = Daemon(root)
    daemon.tick()
    _land(root / "raw", "kent-2016-10", ["K900001"], pcc_area="Kent", sentence_date="2016-01-04")
    result = daemon.tick()
    assert set(_runs(result)) == {"kent"}
    assert "kent" in daemon.partitions


def test_reinspection_of_an_existing_area_reruns_it(root):
    daemon = Daemon(root)
    first = _runs(daemon.tick())
    _land(root / "raw", "gwent-2018-03", ["K000009"], sentence_date="2017-06-01")
    second = _runs(daemon.tick())
    assert set(second) == {"gwent"} and second["gwent"] != first["gwent"]


def test_half_written_files_wait_for_a_later_tick(root):
    daemon = Daemon(root)
    daemon.tick()
    raw = root / "raw"
    (raw / "gwent" / "gwent-2018-03.csv.part").write_text("partial")
    (raw / "gwent" / ".gwent-2018-03.csv").write_text("partial")
    assert daemon.tick().run_requests == []
    fresh = write_v2(
        raw, "gwent-2018-03", [v2_row("gwent-2018-03", "K000009", sentence_date="2017-06-01")]
    )
    assert daemon.tick().run_requests == []  # modified just now: still settling
    _age(fresh)
    assert set(_runs(daemon.tick())) == {"gwent"}


def test_unknown_area_is_skipped_with_a_warning_naming_the_file(root):
    daemon = Daemon(root)
    (root / "raw" / "atlantis").mkdir()
    path = root / "raw" / "atlantis" / "atlantis-2017-01.csv"
    path.write_text("anything")
    _age(path)
    result = daemon.tick()
    assert set(_runs(result)) == {"gwent", "durham"}
    assert "atlantis" not in daemon.partitions
    plan = plan_arrivals(
        root / "raw",
        known_areas=daemon.data.reference().area_slugs,
        partitions=frozenset(daemon.partitions),
        previous={},
        now=time.time(),
        settle_seconds=SETTLE,
    )
    assert plan.warnings == [
        "atlantis/atlantis-2017-01.csv: 'atlantis' is not a PCC area slug in the reference data; skipped"
    ]


def test_unreadable_file_still_requests_its_area_run(root):
    # The sensor does not parse extracts: the area's run fails with the reader's precise message
    # (see test_pipeline), and no other area's run is affected.
    daemon = Daemon(root)
    daemon.tick()
    path = root / "raw" / "gwent" / "gwent-2018-03.csv"
    path.write_bytes(b"\xff\xfe not text")
    _age(path)
    assert set(_runs(daemon.tick())) == {"gwent"}


def test_areas_already_built_from_their_current_files_are_not_rerun(root, monkeypatch):
    # `make run` built everything, then the daemon starts with an empty cursor.
    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.materialize import materialize_all
    from probation_pipeline.paths import DataPaths

    monkeypatch.setenv("PROBATION_PSEUDONYM_KEY", "sensor-test-key")
    daemon = Daemon(root)
    paths = DataPaths(root)
    assert all(materialize_all(build_definitions(paths), paths, daemon.instance).values())
    assert daemon.tick().run_requests == []
    _land(root / "raw", "gwent-2018-03", ["K000009"], sentence_date="2017-06-01")
    assert set(_runs(daemon.tick())) == {"gwent"}


def test_cursor_survives_a_restart(root):
    daemon = Daemon(root)
    daemon.tick()
    restarted = Daemon(root)
    restarted.instance = daemon.instance
    restarted.cursor = daemon.cursor
    assert restarted.tick().run_requests == []


def test_pooled_assets_are_requested_after_an_area_materialises(root, monkeypatch):
    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.materialize import materialize_all
    from probation_pipeline.paths import DataPaths

    monkeypatch.setenv("PROBATION_PSEUDONYM_KEY", "automation-test-key")
    paths = DataPaths(root)
    defs = build_definitions(paths)
    instance = dg.DagsterInstance.ephemeral()
    assert all(materialize_all(defs, paths, instance).values())
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert quiet.total_requested == 0  # everything is up to date

    _land(root / "raw", "gwent-2018-03", ["K000009"], sentence_date="2017-06-01")
    defs.resolve_job_def("area_job").execute_in_process(instance=instance, partition_key="gwent")
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    requested = {
        name
        for name in ("case_records", "quarantine", "row_accounting", "area_cases")
        if result.get_num_requested(dg.AssetKey(name)) > 0
    }
    assert requested == {"case_records", "quarantine", "row_accounting"}


def test_the_full_refresh_is_one_run_over_every_area():
    from probation_pipeline.defs.automation import full_refresh_request

    request = full_refresh_request(["gwent", "durham", "kent"], "tick", "full refresh")
    assert request.partition_key_range == dg.PartitionKeyRange("gwent", "kent")
    assert request.tags["probation/trigger"] == "full refresh"


def test_an_area_with_a_run_in_progress_is_looked_at_again_next_tick(root):
    daemon = Daemon(root)
    daemon.tick()
    _land(root / "raw", "gwent-2018-03", ["K000009"], sentence_date="2017-06-01")
    hand_rerun = dg.DagsterRun(
        job_name="__ASSET_JOB",
        tags={"dagster/partition": "gwent"},
        status=dg.DagsterRunStatus.STARTED,
    )
    daemon.instance.add_run(hand_rerun)
    assert daemon.tick().run_requests == []  # deferred while the rerun is under way
    daemon.instance.report_run_failed(hand_rerun)  # it did not build the new files
    assert set(_runs(daemon.tick())) == {"gwent"}
