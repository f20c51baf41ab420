"""Is a publication computed from the shipped synthetic sample? (its notice depends on it)

`data/reference/synthetic_sample.csv` lists the path and SHA-256 of every extract file of the
shipped sample. A publication whose every input file is listed, byte for byte, is from the sample;
one real file among them, or a sample file edited by hand, and it is not.

`python -m probation_pipeline.publish.synthetic data/raw > data/reference/synthetic_sample.csv`
rewrites the list after the sample is regenerated (`make sample` does it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from probation_pipeline.digests import sha256_file
from probation_pipeline.publish.bundle import InputFile

SAMPLE_LIST_NAME = "synthetic_sample.csv"


def sample_digests(reference_folder: Path) -> frozenset[tuple[str, str]]:
    """(path relative to the data dir, sha256) of each shipped sample file; empty if no list."""
    path = reference_folder / SAMPLE_LIST_NAME
    if not path.is_file():
        return frozenset()
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frozenset(zip(frame["path"], frame["sha256"], strict=True))


def is_synthetic_sample(inputs: Sequence[InputFile], reference_folder: Path) -> bool:
    """True when there are inputs and every one is a shipped sample file, unchanged."""
    listed = sample_digests(reference_folder)
    return bool(inputs) and all((item.path, item.sha256) in listed for item in inputs)


def sample_list(raw_dir: Path) -> str:
    """The CSV text listing every `*.csv` below `raw_dir` as `raw/<area>/<file>` and its SHA-256."""
    lines = ["path,sha256"]
    for path in sorted(raw_dir.rglob("*.csv")):
        lines.append(f"raw/{path.relative_to(raw_dir).as_posix()},{sha256_file(path)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(sample_list(Path(sys.argv[1] if len(sys.argv) > 1 else "data/raw")))
