"""Any subset, any size publishes (issue 11): a bounded hypothesis property test.

Random subsets of the shipped areas and random small samples from the scale generator go through
the whole pipeline: every run succeeds, a publication is written, row accounting closes, and every
published number is finite or shorthand in every format.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

import dagster as dg
import pandas as pd
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from probation_pipeline.definitions import build_definitions
from probation_pipeline.materialize import materialize_all
from probation_pipeline.paths import DataPaths
from probation_pipeline.records.accounting import unaccounted_rows
from probation_pipeline.reference import Reference
from probation_pipeline.sample.scale import write_scale_sample
from probation_pipeline_tests.publication_scan import non_finite_values
from probation_pipeline_tests.shipped import REPO

SHIPPED = tuple(sorted(p.name for p in (REPO / "data" / "raw").iterdir() if p.is_dir()))

shipped_subsets = st.lists(st.sampled_from(SHIPPED), min_size=1, max_size=3, unique=True).map(
    lambda areas: ("shipped", tuple(sorted(areas)), 0, 0)
)
scale_samples = st.tuples(
    st.just("scale"), st.just(()), st.integers(12, 150), st.integers(1, 3)
).flatmap(
    lambda t: st.tuples(
        st.just(t[0]), st.just(t[1]), st.just(t[2]), st.just(t[3]), st.integers(0, 10**6)
    )
)


def _build(root: Path, case) -> None:
    kind, areas, n_cases, n_areas, *seed = case
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    if kind == "shipped":
        for area in areas:
            shutil.copytree(REPO / "data" / "raw" / area, root / "raw" / area)
    else:
        write_scale_sample(root / "raw", n_cases, n_areas, seed[0], Reference(root / "reference"))


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: each example is a whole run
    suppress_health_check=list(HealthCheck),
)
@given(case=st.one_of(shipped_subsets, scale_samples))
@example(case=("shipped", ("gwent",), 0, 0))
@example(case=("shipped", ("gwent", "kent"), 0, 0))
@example(case=("scale", (), 12, 2, 7))
def test_any_subset_or_small_sample_publishes(case):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        _build(root, case)
        paths = DataPaths(root)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = materialize_all(
                build_definitions(paths), paths, dg.DagsterInstance.ephemeral()
            )
        assert all(outcome.values()), (case, outcome)
        accounting = pd.read_parquet(root / "warehouse" / "row_accounting.parquet")
        assert (unaccounted_rows(accounting) == 0).all(), accounting
        latest = root / "published" / "latest"
        assert (latest / "tables.xlsx").exists() and (latest / "report.html").exists()
        assert non_finite_values(latest) == [], case


def test_the_scan_finds_non_finite_values_in_every_format(tmp_path):
    import math

    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "a.csv").write_text("x,y\n1.5,inf\nnan,[x]\n")
    pq.write_table(pa.table({"x": pa.array([1.0, math.nan, None])}), tmp_path / "a.parquet")
    (tmp_path / "report.html").write_text("<p>odds ratio inf</p><svg><text>nan</text></svg>")
    found = non_finite_values(tmp_path)
    assert found == [
        "a.csv:2: 'inf'",
        "a.csv:3: 'nan'",
        "a.parquet: 1 NaN/inf in x",
        "report.html: 'inf'",
    ]
