"""Arrow-backed frames write the Parquet bytes of Python-backed ones."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa

from probation_pipeline.frames import ARROW_POOL_ENV, write_parquet


def _python_backed(frame: pd.DataFrame) -> pd.DataFrame:
    strings = [c for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    return frame.astype(dict.fromkeys(strings, pd.StringDtype("python")))


def _bytes(write, frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    write(frame, buffer)
    return buffer.getvalue()


def test_arrow_backed_strings_write_python_backed_bytes():
    rng = np.random.default_rng(1)
    n = 120_000
    # Many distinct values (the dictionary page overflows) and many chunks, as after pooling.
    ids = [f"{v:020x}" for v in rng.integers(0, 2**62, n)]
    chunks = [pa.array(ids[i : i + 3000], type=pa.large_string()) for i in range(0, n, 3000)]
    frame = pd.DataFrame(
        {
            "case_id": pd.arrays.ArrowStringArray(pa.chunked_array(chunks)),
            "area": pd.array(rng.choice(["kent", "gwent", None], n), dtype="string[pyarrow]"),
            "age": pd.array(rng.integers(18, 90, n), dtype="Int64"),
            "yes": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        }
    )
    expected = _bytes(lambda f, b: f.to_parquet(b, index=False), _python_backed(frame))
    assert _bytes(write_parquet, frame) == expected
    assert _bytes(write_parquet, _python_backed(frame)) == expected


def _pool_after_import(**env: str) -> str:
    code = "import probation_pipeline, pyarrow; print(pyarrow.default_memory_pool().backend_name)"
    environment = {k: v for k, v in os.environ.items() if k != ARROW_POOL_ENV}
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def test_the_package_allocates_arrow_memory_with_malloc():
    assert _pool_after_import() == "system"


def test_arrows_own_allocator_setting_is_obeyed():
    assert _pool_after_import(**{ARROW_POOL_ENV: "jemalloc"}) == "jemalloc"
