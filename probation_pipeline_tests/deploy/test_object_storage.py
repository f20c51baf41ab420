"""The warehouse and the publication in an S3 bucket (moto's S3 API on 127.0.0.1).

The whole pipeline runs twice on the shipped sample, once on local folders and once with
`PROBATION_WAREHOUSE_URL` and `PROBATION_PUBLISHED_URL` in a bucket; every output is compared
byte for byte (a manifest's generation time apart).
"""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from probation_pipeline import frames
from probation_pipeline.defs.resources import PARTITION_FILTER, ParquetIOManager
from probation_pipeline.storage import StorageURLError, location, read_parquet, write_parquet
from probation_pipeline_tests.deploy.servers import make_bucket, moto_s3

pytestmark = pytest.mark.deploy

BUCKET = "probation-test"


@pytest.fixture(scope="module")
def s3():
    with moto_s3() as server, pytest.MonkeyPatch.context() as patch:
        for name, value in server.env().items():
            patch.setenv(name, value)
        make_bucket(server, BUCKET)
        yield server
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()


def store_files(url: str) -> dict[str, bytes]:
    """Every object below `url`, by key relative to it."""
    root = location(url)
    prefix = root.path.rstrip("/") + "/"
    return {
        key[len(prefix) :]: root.fs.cat_file(key)
        for key in root.fs.find(root.path)
        if key.startswith(prefix)
    }


def local_files(folder) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_a_url_with_credentials_is_refused():
    with pytest.raises(StorageURLError) as caught:
        location("s3://AKIAEXAMPLE:wJalrXUtnFEMI@bucket/prefix")
    assert "wJalrXUtnFEMI" not in str(caught.value)
    assert "AKIAEXAMPLE" not in str(caught.value)


def test_local_paths_stay_plain_paths(tmp_path):
    from pathlib import Path

    assert type(location(tmp_path)) is type(Path(tmp_path))
    assert location(f"file://{tmp_path}") == tmp_path


def test_parquet_round_trip_and_partition_filter_in_a_bucket(s3):
    path = location(f"s3://{BUCKET}/unit/case_records.parquet")
    frame = pd.DataFrame({"area": ["gwent", "kent", "gwent"], "n": [1, 2, 3]})
    write_parquet(frame, path)
    write_parquet(frame.assign(n=[4, 5, 6]), path)
    assert [p.name for p in path.parent.iterdir()] == ["case_records.parquet"]  # no leftovers
    assert read_parquet(path)["n"].tolist() == [4, 5, 6]
    manager = ParquetIOManager(base_path=UPath(location(f"s3://{BUCKET}/unit")))
    context = dg.build_input_context(
        partition_key="gwent", definition_metadata={PARTITION_FILTER: "area"}
    )
    assert manager.load_from_path(context, path)["n"].tolist() == [4, 6]


def test_a_failed_write_leaves_the_previous_object(s3, monkeypatch):
    path = location(f"s3://{BUCKET}/unit/ratings.parquet")
    write_parquet(pd.DataFrame({"n": [1]}), path)
    writer = frames.write_parquet

    def write_then_fail(frame, where):
        writer(frame, where)
        raise OSError("disk full halfway")

    # The store's writer calls `frames.write_parquet`; fail it after the bytes are staged.
    monkeypatch.setattr(frames, "write_parquet", write_then_fail)
    with pytest.raises(OSError, match="halfway"):
        write_parquet(pd.DataFrame({"n": [2, 3]}), path)
    assert read_parquet(path)["n"].tolist() == [1]


@pytest.fixture(scope="module")
def local_and_bucket_runs(s3, tmp_path_factory):
    from probation_pipeline_tests.sample_pipeline import run_shipped_sample

    local = run_shipped_sample(tmp_path_factory.mktemp("local"))
    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.materialize import materialize_all
    from probation_pipeline.paths import DataPaths
    from probation_pipeline_tests.shipped import REPO

    root = tmp_path_factory.mktemp("bucket")
    shutil.copytree(REPO / "data" / "raw", root / "raw")
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    paths = DataPaths(
        root,
        warehouse_url=f"s3://{BUCKET}/run/warehouse",
        published_url=f"s3://{BUCKET}/run/published",
    )
    instance = dg.DagsterInstance.ephemeral()
    outcome = materialize_all(build_definitions(paths), paths, instance)
    return local, paths, instance, outcome


def test_the_pipeline_writes_the_same_bytes_to_a_bucket(local_and_bucket_runs):
    local, paths, _, outcome = local_and_bucket_runs
    assert all(outcome.values()) and all(local.outcome.values())
    assert not (paths.root / "warehouse").exists() and not (paths.root / "published").exists()
    warehouse = store_files(paths.warehouse_url)
    expected = local_files(local.paths.warehouse)
    assert sorted(warehouse) == sorted(expected)
    assert "case_records.parquet" in warehouse and "raw_extracts/gwent.parquet" in warehouse
    assert warehouse == expected
    published = store_files(paths.published_url)
    pub_id = published.pop("LATEST").decode().strip()
    assert pub_id == local.paths.published.joinpath("latest").resolve().name
    expected_publication = {
        f"{pub_id}/{name}": data
        for name, data in local_files(local.paths.published / pub_id).items()
    }
    assert sorted(published) == sorted(expected_publication)
    assert _timeless(published) == _timeless(expected_publication)


def _timeless(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with each manifest's `generated_at` (the clock, differing by design) taken out."""
    result = dict(files)
    for name, data in files.items():
        if name.endswith("manifest.json"):
            manifest = json.loads(data)
            assert manifest.pop("generated_at").endswith("Z")
            result[name] = json.dumps(manifest, sort_keys=True).encode()
    return result


def test_the_publication_metadata_names_the_bucket_not_the_credentials(local_and_bucket_runs, s3):
    _, _, instance, _ = local_and_bucket_runs
    record = instance.fetch_materializations(dg.AssetKey("publication"), limit=1).records[0]
    metadata = {k: str(v.value) for k, v in record.asset_materialization.metadata.items()}
    assert metadata["folder"].startswith(f"s3://{BUCKET}/run/published/")
    logged = " ".join(
        str(entry.message) + str(entry.dagster_event)
        for run in instance.get_runs()
        for entry in instance.all_logs(run.run_id)
    )
    assert s3.secret_key not in logged and s3.access_key not in logged
    assert s3.secret_key not in " ".join(metadata.values())


def test_the_sensor_lists_raw_extracts_in_a_bucket_and_the_area_run_reads_them(s3, tmp_path):
    from probation_pipeline.definitions import build_definitions
    from probation_pipeline.defs.automation import build_raw_extract_sensor
    from probation_pipeline.defs.jobs import AREA_JOB
    from probation_pipeline.defs.partitions import area_partitions
    from probation_pipeline.defs.resources import ProbationData
    from probation_pipeline.paths import DataPaths
    from probation_pipeline_tests.shipped import REPO

    root = tmp_path / "data"
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    raw_url = f"s3://{BUCKET}/sensor/raw"
    raw = location(raw_url)
    for area in ("gwent", "durham"):
        for path in sorted((REPO / "data" / "raw" / area).iterdir()):
            (raw / area / path.name).write_bytes(path.read_bytes())
    (raw / "atlantis" / "atlantis-2017-01.csv").write_bytes(b"not an area\n")
    assert not (root / "raw").exists()

    instance = dg.DagsterInstance.ephemeral()
    sensor = build_raw_extract_sensor(interval_seconds=30, settle_seconds=0)
    data = ProbationData(root=str(root), raw_url=raw_url)
    context = dg.build_sensor_context(instance=instance, resources={"data": data})
    result = sensor(context)
    assert sorted(r.partition_key for r in result.run_requests) == ["durham", "gwent"]
    (added,) = result.dynamic_partitions_requests
    assert sorted(added.partition_keys) == ["durham", "gwent"]
    instance.add_dynamic_partitions(area_partitions.name, list(added.partition_keys))

    # Nothing changed in the bucket: the next tick (with the cursor) requests nothing.
    again = sensor(
        dg.build_sensor_context(instance=instance, cursor=result.cursor, resources={"data": data})
    )
    assert again.run_requests == []
    # A new object is seen (listings are not cached between ticks).
    second = REPO / "data" / "raw" / "gwent" / "gwent-2017-01.csv"
    (raw / "gwent" / "gwent-2018-03.csv").write_bytes(
        second.read_bytes().replace(b"gwent-2017-01", b"gwent-2018-03")
    )
    changed = sensor(
        dg.build_sensor_context(instance=instance, cursor=result.cursor, resources={"data": data})
    )
    assert [r.partition_key for r in changed.run_requests] == ["gwent"]

    paths = DataPaths(root, raw_url=raw_url, warehouse_url=f"s3://{BUCKET}/sensor/warehouse")
    request = next(r for r in result.run_requests if r.partition_key == "durham")
    run = (
        build_definitions(paths)
        .resolve_job_def(AREA_JOB)
        .execute_in_process(instance=instance, tags=request.tags | {"dagster/partition": "durham"})
    )
    assert run.success
    materialization = (
        instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("raw_extracts"), asset_partitions=["durham"]
            ),
            limit=1,
        )
        .records[0]
        .asset_materialization
    )
    assert materialization.metadata["content_digest"].value == request.run_key.split(":", 1)[1]
    assert "durham/durham-2016-04.csv" in str(materialization.metadata["file_sha256"].value)
