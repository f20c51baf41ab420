"""Resources: where the data lives, the reference data, the pseudonym key, the Parquet IO manager."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from upath import UPath

from probation_pipeline.paths import DataPaths
from probation_pipeline.records.pseudonym import Pseudonymiser, pseudonymiser_from_env
from probation_pipeline.reference import Reference


class ProbationData(dg.ConfigurableResource):
    """The data directory (`PROBATION_DATA_DIR`): raw extracts, reference data and outputs."""

    root: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.root))

    def reference(self) -> Reference:
        return Reference(self.paths.reference)


class PseudonymKey(dg.ConfigurableResource):
    """Reads `PROBATION_PSEUDONYM_KEY` when a run needs it; the key is never logged or stored."""

    def pseudonymiser(self, log: Any) -> Pseudonymiser:
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pseudonymiser, development = pseudonymiser_from_env()
        if development:
            log.warning(str(caught[0].message) if caught else "development pseudonym key in use")
        return pseudonymiser


def write_parquet_atomically(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` next to `path` under a temporary name, flush it to disk, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        frame.to_parquet(temporary, index=False)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


WAREHOUSE_POOL = "probation_warehouse"
"""Concurrency pool of every step that writes the pooled assets or the area records they read.

The instance runs it at run granularity with limit 1 (`.dagster_home/dagster.yaml`,
`deploy/dagster.yaml`): a run rewriting `area_cases` never overlaps a run reading it, and two
national runs never interleave. `raw_extracts` is outside it: no pooled asset reads it.
"""

PARTITION_FILTER = "filter_to_partition"
"""Input metadata naming the column an area-partitioned asset filters a pooled input on."""
COLUMNS_ONLY = "columns"
"""Input metadata listing the only columns an input needs (e.g. counting rows per file)."""


class ParquetIOManager(dg.UPathIOManager):
    """One Parquet file per asset (`<asset>.parquet`) or per partition (`<asset>/<area>.parquet`).

    Writes are atomic. A partitioned asset is always handed over as a dict {partition: frame}
    and its function returns one, whether its run covers one partition or several (a single-run
    backfill over all areas); the base class would pass a bare frame for a single partition.
    """

    extension = ".parquet"

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if not context.has_asset_partitions:
            super().handle_output(context, obj)
            return
        partitions = set(context.asset_partition_keys)
        if not isinstance(obj, dict) or set(obj) != partitions:
            raise TypeError(
                f"{context.asset_key.to_user_string()}: a partitioned asset returns "
                f"{{partition: frame}} for exactly its partitions {sorted(partitions)}"
            )
        for partition, path in self._get_paths_for_partitions(context).items():
            self.make_directory(path.parent)
            self.dump_to_path(context=context, obj=obj[partition], path=path)
        context.add_output_metadata({"dagster/row_count": sum(len(f) for f in obj.values())})

    def dump_to_path(self, context: dg.OutputContext, obj: pd.DataFrame, path: UPath) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: expected a DataFrame")
        write_parquet_atomically(obj, Path(path))

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame:
        metadata = context.definition_metadata or {}
        columns = metadata.get(COLUMNS_ONLY)
        column = metadata.get(PARTITION_FILTER)
        if column and context.has_partition_key:
            # A partitioned asset reading a pooled one reads only its own rows.
            return pd.read_parquet(
                Path(path), columns=columns, filters=[(column, "==", context.partition_key)]
            )
        return pd.read_parquet(Path(path), columns=columns)

    def get_metadata(self, context: dg.OutputContext, obj: pd.DataFrame) -> dict[str, Any]:
        return {"dagster/row_count": len(obj)}

    def load_partitions(self, context: dg.InputContext) -> Any:
        loaded = super().load_partitions(context)
        if not isinstance(loaded, dict):
            return {context.asset_partition_keys[0]: loaded}
        return loaded


class ParquetIOManagerResource(dg.ConfigurableIOManagerFactory):
    """The warehouse IO manager rooted at `<data dir>/warehouse`."""

    base_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> ParquetIOManager:
        return ParquetIOManager(base_path=UPath(self.base_dir))
