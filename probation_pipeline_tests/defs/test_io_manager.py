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
