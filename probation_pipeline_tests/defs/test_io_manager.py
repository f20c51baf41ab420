"""The warehouse IO manager: atomic Parquet writes, one-partition dicts, per-area filtering."""

import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from probation_pipeline.defs.resources import (
    COLUMNS_ONLY,
    PARTITION_FILTER,
    ParquetIOManager,
    write_parquet_atomically,
)


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "warehouse" / "case_records.parquet"
    frame = pd.DataFrame({"area": ["gwent", "kent"], "n": [1, 2]})
    write_parquet_atomically(frame, target)
    write_parquet_atomically(frame.assign(n=[3, 4]), target)
    assert [p.name for p in target.parent.iterdir()] == ["case_records.parquet"]
    assert pd.read_parquet(target)["n"].tolist() == [3, 4]


def test_a_partitioned_reader_of_a_pooled_asset_gets_only_its_rows(tmp_path):
    path = tmp_path / "case_records.parquet"
    pd.DataFrame({"area": ["gwent", "kent", "gwent"], "n": [1, 2, 3]}).to_parquet(path)
    manager = ParquetIOManager(base_path=UPath(tmp_path))
    filtered = manager.load_from_path(
        dg.build_input_context(
            partition_key="gwent", definition_metadata={PARTITION_FILTER: "area"}
        ),
        UPath(path),
    )
    assert filtered["n"].tolist() == [1, 3]
    whole = manager.load_from_path(dg.build_input_context(), UPath(path))
    assert len(whole) == 3


def test_an_input_can_ask_for_some_columns_only(tmp_path):
    path = tmp_path / "raw_extracts.parquet"
    pd.DataFrame({"source_file": ["a.csv", "a.csv"], "case_id": ["x", "y"]}).to_parquet(path)
    manager = ParquetIOManager(base_path=UPath(tmp_path))
    context = dg.build_input_context(definition_metadata={COLUMNS_ONLY: ["source_file"]})
    assert list(manager.load_from_path(context, UPath(path)).columns) == ["source_file"]


def test_a_partitioned_value_is_a_frame_per_partition(tmp_path):
    manager = ParquetIOManager(base_path=UPath(tmp_path))
    frame = pd.DataFrame({"area": ["gwent"], "n": [1]})
    context = dg.build_output_context(asset_key=dg.AssetKey("area_cases"), partition_key="gwent")
    manager.handle_output(context, {"gwent": frame})
    assert pd.read_parquet(tmp_path / "area_cases" / "gwent.parquet").equals(frame)
    with pytest.raises(TypeError, match="partition: frame"):
        manager.handle_output(context, frame)


def _pool(tmp_path, written: list[str], metadata: dict) -> tuple[dg.DagsterInstance, str, dict]:
    """Write the `written` areas' partitions, then pool all three areas in one run."""
    areas = dg.StaticPartitionsDefinition(["gwent", "kent", "surrey"])
    pooled_value = {}

    @dg.asset(partitions_def=areas)
    def area_cases(context: dg.AssetExecutionContext) -> dict[str, pd.DataFrame]:
        return {key: pd.DataFrame({"area": [key]}) for key in context.partition_keys}

    @dg.asset(ins={"area_cases": dg.AssetIn(metadata=metadata)})
    def pooled(area_cases: dict[str, pd.DataFrame]) -> pd.DataFrame:
        pooled_value.update(area_cases)
        return pd.concat(area_cases.values(), ignore_index=True)

    resources = {"io_manager": ParquetIOManager(base_path=UPath(tmp_path))}
    instance = dg.DagsterInstance.ephemeral()
    for area in written:
        dg.materialize([area_cases], partition_key=area, instance=instance, resources=resources)
    result = dg.materialize(
        [area_cases, pooled],
        selection=[pooled],
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    return instance, result.run_id, pooled_value


def _log_lines(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The run's plain log lines (every one is an event stored in the instance)."""
    return [r.user_message for r in instance.all_logs(run_id) if r.dagster_event is None]


def test_loading_and_writing_store_no_log_line_per_file(tmp_path):
    instance, run_id, pooled = _pool(tmp_path, ["gwent", "kent", "surrey"], {})
    assert list(pooled) == ["gwent", "kent", "surrey"]
    assert _log_lines(instance, run_id) == []
    (written,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.HANDLED_OUTPUT)
    (loaded,) = instance.all_logs(run_id, of_type=dg.DagsterEventType.LOADED_INPUT)
    assert loaded.dagster_event.step_key == written.dagster_event.step_key == "pooled"
    assert (tmp_path / "pooled.parquet").exists()


def test_a_missing_partition_an_input_allows_is_skipped_with_a_warning(tmp_path):
    instance, run_id, pooled = _pool(
        tmp_path, ["gwent", "surrey"], {"allow_missing_partitions": True}
    )
    assert list(pooled) == ["gwent", "surrey"]
    (warning,) = _log_lines(instance, run_id)
    assert "kent" in warning


def test_a_missing_partition_fails_the_input_unless_allowed(tmp_path):
    instance, run_id, pooled = _pool(tmp_path, ["gwent", "surrey"], {})
    assert pooled == {}
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
