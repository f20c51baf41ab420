"""Resources: where the data lives, the reference data, the pseudonym key, the Parquet IO manager."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
from upath import UPath

from probation_pipeline.paths import DataPaths
from probation_pipeline.records.pseudonym import Pseudonymiser, pseudonymiser_from_env
from probation_pipeline.reference import Reference
from probation_pipeline.storage import location, read_arrow, read_parquet, write_parquet


class ProbationData(dg.ConfigurableResource):
    """The data directory (`PROBATION_DATA_DIR`): raw extracts, reference data and outputs.

    The optional URLs (`PROBATION_RAW_URL`, `PROBATION_PUBLISHED_URL`) put the raw extracts or
    the publication in object storage; they never carry credentials.
    """

    root: str
    raw_url: str | None = None
    published_url: str | None = None

    @classmethod
    def from_paths(cls, paths: DataPaths) -> ProbationData:
        return cls(root=str(paths.root), raw_url=paths.raw_url, published_url=paths.published_url)

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.root), raw_url=self.raw_url, published_url=self.published_url)

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


def write_parquet_atomically(frame: pd.DataFrame | pa.Table, path: Path | UPath) -> None:
    """Write `frame` at `path` atomically: temporary file then rename locally, one upload remotely."""
    write_parquet(frame, path)


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
AS_ARROW = "as_arrow"
"""Input metadata: hand the input over as Arrow tables, not pandas frames (pooling a million
cases without converting them)."""


PARTITION_READERS = 4
"""Threads reading a partitioned input's files (`ParquetIOManager.load_partitions`)."""


class ParquetIOManager(dg.UPathIOManager):
    """One Parquet file per asset (`<asset>.parquet`) or per partition (`<asset>/<area>.parquet`).

    The base path is a local folder or an object-store URL (`PROBATION_WAREHOUSE_URL`); paths
    stay UPaths throughout. Writes are atomic in the store's sense (`storage.write_parquet`).
    A partitioned asset is always handed over as a dict {partition: frame} and its function
    returns one, whether its run covers one partition or several (a single-run backfill over all
    areas); the base class would pass a bare frame for a single partition.

    Loading and writing log nothing per file or partition, unlike the base class: the instance
    stores every log line as an event (~8 ms each with SQLite, 160 for the national run's four
    inputs of 40 areas), and the LOADED_INPUT and HANDLED_OUTPUT events already say what was read
    and written. A missing partition an input allows is still a warning.
    """

    extension = ".parquet"

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if not context.has_asset_partitions:
            self._write_unpartitioned(context, obj)
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
        if len(obj) == 1:  # metadata of a multi-partition output would apply to every partition
            context.add_output_metadata({"dagster/row_count": len(next(iter(obj.values())))})

    def _write_unpartitioned(self, context: dg.OutputContext, obj: Any) -> None:
        path = self._get_path(context)
        self.make_directory(path.parent)
        self.dump_to_path(context=context, obj=obj, path=path)
        context.add_output_metadata(
            {"path": dg.MetadataValue.path(str(path)), **self.get_metadata(context, obj)}
        )

    def dump_to_path(
        self, context: dg.OutputContext, obj: pd.DataFrame | pa.Table, path: UPath
    ) -> None:
        if not isinstance(obj, pd.DataFrame | pa.Table):
            raise TypeError(
                f"{context.asset_key.to_user_string()}: expected a DataFrame or an Arrow table"
            )
        write_parquet_atomically(obj, path)

    def load_from_path(self, context: dg.InputContext, path: UPath) -> pd.DataFrame | pa.Table:
        metadata = context.definition_metadata or {}
        columns = metadata.get(COLUMNS_ONLY)
        if metadata.get(AS_ARROW):
            return read_arrow(path, columns=columns)
        column = metadata.get(PARTITION_FILTER)
        if column and context.has_partition_key:
            # A partitioned asset reading a pooled one reads only its own rows.
            return read_parquet(
                path, columns=columns, filters=[(column, "==", context.partition_key)]
            )
        return read_parquet(path, columns=columns)

    def get_metadata(
        self, context: dg.OutputContext, obj: pd.DataFrame | pa.Table
    ) -> dict[str, Any]:
        return {"dagster/row_count": len(obj)}

    def load_input(self, context: dg.InputContext) -> Any:
        if not context.has_asset_key or not context.has_asset_partitions:
            return self.load_from_path(context=context, path=self._get_path(context))
        return self.load_partitions(context)

    def load_partitions(self, context: dg.InputContext) -> dict[str, pd.DataFrame | pa.Table]:
        """{partition: its frame}, the files read by a few threads at once (pyarrow releases the
        GIL while it reads and decodes; 40 area files load in about a third of the time)."""
        metadata = context.definition_metadata or {}
        allow_missing = bool(metadata.get("allow_missing_partitions", False))
        paths = self._get_paths_for_partitions(context)

        def load(path: UPath) -> pd.DataFrame | pa.Table | None:
            try:
                return self.load_from_path(context=context, path=path)
            except FileNotFoundError:
                if not allow_missing:
                    raise
                return None

        with ThreadPoolExecutor(max_workers=min(PARTITION_READERS, max(len(paths), 1))) as pool:
            frames = dict(zip(paths, pool.map(load, paths.values()), strict=True))
        for partition, frame in frames.items():
            if frame is None:
                context.log.warning(self.get_missing_partition_log_message(partition))
        return {partition: frame for partition, frame in frames.items() if frame is not None}


class ParquetIOManagerResource(dg.ConfigurableIOManagerFactory):
    """The warehouse IO manager rooted at `<data dir>/warehouse` or `PROBATION_WAREHOUSE_URL`."""

    base_dir: str

    def create_io_manager(self, context: dg.InitResourceContext) -> ParquetIOManager:
        return ParquetIOManager(base_path=UPath(location(self.base_dir)))
