"""Where the pipeline reads and writes: every path derives from one setting.

`PROBATION_DATA_DIR` (default `data`, relative to the working directory) holds `raw/`,
`reference/`, `warehouse/` and `published/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "PROBATION_DATA_DIR"


@dataclass(frozen=True)
class DataPaths:
    """The four folders below the data directory."""

    root: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        return cls(Path(os.environ.get(DATA_DIR_ENV, "data")).resolve())

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def published(self) -> Path:
        return self.root / "published"
