"""A newer extract that fails never supersedes the inspection in force, nor the publication."""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from probation_pipeline.definitions import build_definitions
from probation_pipeline.materialize import materialize_all
from probation_pipeline.paths import DataPaths
from probation_pipeline_tests.shipped import REPO


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _header_only(text: str) -> str:
    return text.splitlines()[0] + "\n"


def _mostly_under_age(text: str) -> str:
    lines = text.splitlines()
    body = []
    for index, line in enumerate(lines[1:]):
        fields = line.split(",")
        fields[0] = "gwent-2018-03"
        fields[2] = "2018-03-05"
        if index < 20:
            fields[9] = "2010-01-01"  # date_of_birth: a child
        body.append(",".join(fields))
    return "\n".join([lines[0], *body]) + "\n"


@pytest.mark.parametrize("newer", [_header_only, _mostly_under_age])
def test_failed_newer_file_leaves_the_earlier_inspection_and_publication(
    tmp_path, monkeypatch, newer
):
    monkeypatch.setenv("PROBATION_PSEUDONYM_KEY", "in-force-key")
    root = tmp_path / "data"
    shutil.copytree(REPO / "data" / "reference", root / "reference")
    for area in ("gwent", "kent"):
        shutil.copytree(REPO / "data" / "raw" / area, root / "raw" / area)
    paths = DataPaths(root)
    instance = dg.DagsterInstance.ephemeral()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert all(materialize_all(build_definitions(paths), paths, instance).values())
        cases = pd.read_parquet(root / "warehouse" / "case_records.parquet")
        published = _digests(root / "published")
        accounting = pd.read_parquet(root / "warehouse" / "row_accounting.parquet")

        original = (root / "raw" / "gwent" / "gwent-2017-01.csv").read_text()
        (root / "raw" / "gwent" / "gwent-2018-03.csv").write_text(newer(original))
        outcome = materialize_all(build_definitions(paths), paths, instance)

    assert outcome["gwent"] is False and outcome["kent"] is True
    # gwent-2017-01 is still in force, so the national outputs rebuild from the same inputs.
    assert outcome["national"] is True
    after = pd.read_parquet(root / "warehouse" / "case_records.parquet")
    assert set(after.loc[after["area"] == "gwent", "inspection_id"]) == {"gwent-2017-01"}
    assert after.equals(cases)
    pd.testing.assert_frame_equal(
        pd.read_parquet(root / "warehouse" / "row_accounting.parquet"), accounting
    )
    assert _digests(root / "published") == published
