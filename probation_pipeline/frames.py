"""Arrow-backed strings in memory, the same Parquet bytes on disk.

The pipeline keeps text columns as pandas' `string` dtype with Arrow storage (`string[pyarrow]`):
no Python object per value, and string comparisons, matching and hashing run in Arrow's C++ code.
`use_arrow_strings()` makes that the default storage of `"string"` / `pd.StringDtype()` for the
process (done on import of the package unless `PROBATION_STRING_STORAGE=python`, which only the
byte-identity tests set); Parquet files read then come back Arrow-backed.

Written Parquet files stay byte-identical to those of Python-backed strings: pyarrow writes an
Arrow-backed column as `large_string` with pandas type `object`, so `parquet_table` casts such
columns to `string` and records them as `unicode`, exactly what a Python-backed column gives.

Importing the package also makes Arrow allocate with `malloc` (`use_system_allocator`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

STRING_STORAGE_ENV = "PROBATION_STRING_STORAGE"
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
"""Arrow's own setting of its allocator (`mimalloc`, `jemalloc` or `system`); set, it is obeyed."""


def use_arrow_strings() -> None:
    """Make `string[pyarrow]` what `"string"` means in this process (pandas' option)."""
    pd.options.mode.string_storage = "pyarrow"


def use_system_allocator() -> None:
    """Allocate Arrow memory with the C library's `malloc`, unless `ARROW_DEFAULT_MEMORY_POOL` is set.

    pyarrow's default pool, mimalloc, is slow to hand out fresh memory: pooling a million cases
    in a process that has not yet held that much (a one-area refresh) took twice as long as with
    `malloc`, and a full refresh was slower too (docs/performance.md). Arrays already allocated
    stay with the pool they came from.
    """
    if ARROW_POOL_ENV not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


def parquet_table(frame: pd.DataFrame) -> pa.Table:
    """The Arrow table `frame.to_parquet(index=False)` would write for Python-backed strings."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    arrow_backed = [
        name
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
    ]
    if not arrow_backed:
        return table
    metadata = json.loads(table.schema.metadata[b"pandas"])
    for column in metadata["columns"]:
        if column["name"] in arrow_backed:
            column["pandas_type"] = "unicode"
    for name in arrow_backed:
        position = table.schema.get_field_index(name)
        field = table.schema.field(position)
        table = table.set_column(
            position, field.with_type(pa.string()), table.column(position).cast(pa.string())
        )
    # One chunk per column, as from Python objects: where a column's dictionary page overflows
    # (many distinct values), the writer's fallback point depends on the chunks it is given.
    return table.combine_chunks().replace_schema_metadata(
        {**table.schema.metadata, b"pandas": json.dumps(metadata).encode()}
    )


def write_parquet(frame: pd.DataFrame | pa.Table, where: str | Path | IO[bytes]) -> None:
    """`frame.to_parquet(where, index=False)`, with the bytes of Python-backed strings.

    An Arrow table is written as it is: one read from such files (or concatenated from several)
    writes the same bytes again.
    """
    table = frame if isinstance(frame, pa.Table) else parquet_table(frame)
    pq.write_table(table, where, compression="snappy")


def _arrow_storage() -> bool:
    return pd.StringDtype().storage == "pyarrow"


def string_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A `string` array (the default storage) from an object array of str and <NA>."""
    if _arrow_storage():
        array = pa.array(values, type=pa.large_string(), from_pandas=True)
        return pd.arrays.ArrowStringArray(pa.chunked_array([array]))
    return pd.arrays.StringArray(values)


def strings_by_code(values: np.ndarray, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """`string_array(values[codes])`, taking the distinct `values` in Arrow when strings are."""
    if _arrow_storage():
        distinct = pa.array(values, type=pa.large_string(), from_pandas=True)
        return pd.arrays.ArrowStringArray(pa.chunked_array([distinct.take(pa.array(codes))]))
    return pd.arrays.StringArray(values[codes])


def arrow_strings(array: pa.Array) -> pd.api.extensions.ExtensionArray:
    """A `string` array (the default storage) from an Arrow string array (nulls as <NA>)."""
    if _arrow_storage():
        return pd.arrays.ArrowStringArray(pa.chunked_array([array.cast(pa.large_string())]))
    return pd.array(array.to_pylist(), dtype=pd.StringDtype("python"))
