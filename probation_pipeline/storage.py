"""Where bytes live: a local folder or an object-store URL (`s3://bucket/prefix`), via UPath/fsspec.

Local paths stay plain `pathlib.Path`s and keep write-then-rename. An object store has no rename
(S3's "move" is copy then delete), but a single PUT, or a multipart upload, becomes visible only
whole, when it completes: a remote write is therefore staged in a local temporary file and then
uploaded in one `put_file`, so a reader sees the old object or the new one, never a part.

Credentials and endpoints come only from the standard environment variables that botocore reads
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_ENDPOINT_URL`, ...), so a
URL here never carries one; `location` refuses a URL with a user or password in it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from probation_pipeline import frames

StorePath = Path | UPath
"""A local `Path` or a remote `UPath`."""


class StorageURLError(ValueError):
    """A storage URL that cannot be used (for example, one carrying credentials)."""


def location(value: str | os.PathLike[str]) -> StorePath:
    """A local path (resolved) for a path or `file://` URL, else a `UPath` for the URL.

    Raises StorageURLError for a URL with a user name or password in it: credentials belong in
    the environment, and a URL is shown in run metadata and logs.
    """
    text = os.fspath(value)
    parts = urlsplit(text)
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(text).resolve()
    if parts.scheme == "file":
        return Path(parts.path).resolve()
    if parts.username or parts.password:
        raise StorageURLError(
            f"{parts.scheme}://{parts.hostname}{parts.path}: a storage URL must not carry "
            "credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )
    # Listings are not cached: the sensor lists the same prefix again and must see new objects.
    return UPath(text, use_listings_cache=False)


def is_local(path: StorePath) -> bool:
    return not isinstance(path, UPath) or getattr(path, "protocol", "") in ("", "file", "local")


def write_bytes_atomically(write: Callable[[Path], object], path: StorePath) -> None:
    """Call `write(local_temporary_path)`, then make the file appear at `path` in one step.

    Locally: a temporary sibling, fsync, `os.replace`. Remotely: a local temporary file, then one
    upload, which the store makes visible only when complete.
    """
    if is_local(path):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            write(temporary)
            with open(temporary, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return
    with tempfile.TemporaryDirectory(prefix="probation-upload-") as staging:
        temporary = Path(staging) / path.name
        write(temporary)
        path.fs.put_file(str(temporary), path.path)


def write_parquet(frame: pd.DataFrame | pa.Table, path: StorePath) -> None:
    """Write `frame` as Parquet (no index) at `path`, atomically in the store's sense."""
    write_bytes_atomically(lambda target: frames.write_parquet(frame, target), path)


def read_parquet(
    path: StorePath,
    columns: list[str] | None = None,
    filters: list[tuple[str, str, object]] | None = None,
) -> pd.DataFrame:
    """Read Parquet at `path`; `filters` are pushed down to row groups (pyarrow) on any store."""
    if is_local(path):
        return pd.read_parquet(Path(path), columns=columns, filters=filters)
    return pd.read_parquet(path.path, columns=columns, filters=filters, filesystem=path.fs)


def read_arrow(path: StorePath, columns: list[str] | None = None) -> pa.Table:
    """Read Parquet at `path` as an Arrow table (its pandas metadata kept), on any store."""
    if is_local(path):
        return pq.read_table(Path(path), columns=columns)
    return pq.read_table(path.path, columns=columns, filesystem=path.fs)


def display(path: StorePath) -> str:
    """The path or URL as text for logs and metadata (never holds credentials, see `location`)."""
    return str(path) if is_local(path) else f"{path.protocol}://{path.path}"
