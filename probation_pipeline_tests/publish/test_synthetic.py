"""The synthetic-sample notice depends on a list of the shipped files' digests: keep it true."""

from __future__ import annotations

from pathlib import Path

from probation_pipeline.publish.bundle import InputFile
from probation_pipeline.publish.synthetic import (
    SAMPLE_LIST_NAME,
    is_synthetic_sample,
    sample_list,
)
from probation_pipeline_tests.shipped import REPO


def test_the_list_names_every_shipped_sample_file_as_it_is() -> None:
    listed = (REPO / "data" / "reference" / SAMPLE_LIST_NAME).read_text(encoding="utf-8")
    # After data/raw is regenerated: `make sample` (or python -m probation_pipeline.publish.synthetic
    # data/raw > data/reference/synthetic_sample.csv) rewrites the list.
    assert listed == sample_list(REPO / "data" / "raw"), "synthetic_sample.csv is stale"


def _inputs(raw: Path) -> list[InputFile]:
    lines = sample_list(raw).splitlines()[1:]
    return [InputFile(path=p, sha256=d, rows=1) for p, d in (line.split(",") for line in lines)]


def test_one_edited_file_makes_the_inputs_real(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "area"
    raw.mkdir(parents=True)
    (raw / "a.csv").write_text("x\n1\n")
    (raw / "b.csv").write_text("x\n2\n")
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / SAMPLE_LIST_NAME).write_text(sample_list(tmp_path / "raw"))
    assert is_synthetic_sample(_inputs(tmp_path / "raw"), reference)
    (raw / "b.csv").write_text("x\n3\n")
    assert not is_synthetic_sample(_inputs(tmp_path / "raw"), reference)
    assert not is_synthetic_sample([], reference)
