"""Where the pipeline reads and writes: every path derives from one setting, or from a URL.

`PROBATION_DATA_DIR` (default `data`, relative to the working directory) holds `raw/`,
`reference/`, `warehouse/` and `published/`. `PROBATION_WAREHOUSE_URL`, `PROBATION_PUBLISHED_URL`
and `PROBATION_RAW_URL` (for example `s3://bucket/prefix`) move the warehouse, the publication and
the raw extracts into object storage; the reference data always ships with the code's data dir,
and a data dir without `reference/` uses it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from probation_pipeline.storage import StorePath, location

DATA_DIR_ENV = "PROBATION_DATA_DIR"
WAREHOUSE_URL_ENV = "PROBATION_WAREHOUSE_URL"
PUBLISHED_URL_ENV = "PROBATION_PUBLISHED_URL"
RAW_URL_ENV = "PROBATION_RAW_URL"
SHIPPED_REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"


@dataclass(frozen=True)
class DataPaths:
    """The four folders below the data directory, three of which a URL may replace."""

    root: Path
    warehouse_url: str | None = None
    published_url: str | None = None
    raw_url: str | None = None

    @classmethod
    def from_env(cls) -> DataPaths:
        return cls(
            Path(os.environ.get(DATA_DIR_ENV, "data")).resolve(),
            warehouse_url=os.environ.get(WAREHOUSE_URL_ENV) or None,
            published_url=os.environ.get(PUBLISHED_URL_ENV) or None,
            raw_url=os.environ.get(RAW_URL_ENV) or None,
        )

    @property
    def raw(self) -> StorePath:
        return location(self.raw_url) if self.raw_url else self.root / "raw"

    @property
    def reference(self) -> Path:
        """`reference/` of the data dir; where it has none, the reference data shipped with the code.

        A data dir made for a scale run holds only `raw/`; one with its own `reference/` (a
        changed threshold, say) uses that.
        """
        own = self.root / "reference"
        if own.is_dir() or not SHIPPED_REFERENCE.is_dir():
            return own
        return SHIPPED_REFERENCE

    @property
    def warehouse(self) -> StorePath:
        return location(self.warehouse_url) if self.warehouse_url else self.root / "warehouse"

    @property
    def published(self) -> StorePath:
        return location(self.published_url) if self.published_url else self.root / "published"
