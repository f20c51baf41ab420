"""The warehouse IO manager: atomic Parquet writes, partitioned values as {partition: frame}."""

import dagster as dg
import pandas as pd
import pytest
from upath import UPath

from probation_pipeline.defs.resources import ParquetIOManager, write_parquet_atomically


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "warehouse" / "case_records.parquet"
    frame = pd.DataFrame({"area": ["gwent", "kent"], "n": [1, 2]})
    write_parquet_atomically(frame, target)
    write_parquet_atomically(frame.assign(n=[3, 4]), target)
    assert [p.name for p in target.parent.iterdir()] == ["case_records.parquet"]
    assert pd.read_parquet(target)["n"].tolist() == [3, 4]


def test_a_partitioned_value_is_a_frame_per_partition(tmp_path):
    manager = ParquetIOManager(base_path=UPath(tmp_path))
    frame = pd.DataFrame({"area": ["gwent"], "n": [1]})
    context = dg.build_output_context(asset_key=dg.AssetKey("area_cases"), partition_key="gwent")
    manager.handle_output(context, {"gwent": frame})
    assert pd.read_parquet(tmp_path / "area_cases" / "gwent.parquet").equals(frame)
    with pytest.raises(TypeError, match="partition: frame"):
        manager.handle_output(context, frame)
