"""The pooled schema check validates the areas not validated under today's schema, and only those."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest

from probation_pipeline.defs.pooled_checks import (
    VALIDATED_UNDER,
    case_records_match_schema,
    recorded_schema_digests,
)
from probation_pipeline.defs.resources import ProbationData
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.paths import DataPaths
from probation_pipeline.records.schema import record_domains, schema_digest
from probation_pipeline.sample.scale import scale_case_records
from probation_pipeline_tests.shipped import REFERENCE, REPO

DATA = ProbationData.from_paths(DataPaths(REPO / "data"))
DIGEST = schema_digest(record_domains(REFERENCE, registered_versions()))


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    records = scale_case_records(2000, 3, 5, REFERENCE)
    # Pseudonyms as ingestion makes them (the generator's references are not).
    records["case_id"] = pd.array([f"{i:020x}" for i in range(len(records))], dtype="string")
    return records.sort_values(["area", "source_file", "source_line"], ignore_index=True)


def _with_a_minor(records: pd.DataFrame) -> tuple[pa.Table, str]:
    broken = records.copy()
    row = broken.index[broken["age"].notna()][0]
    broken.loc[row, "age"] = 16
    return pa.Table.from_pandas(broken, preserve_index=False), str(broken.loc[row, "area"])


def test_valid_records_pass_whoever_validated_them(records):
    table = pa.Table.from_pandas(records, preserve_index=False)
    result = case_records_match_schema(DATA, table, {})
    assert result.passed
    assert result.metadata["rows_checked"].value == len(records)


def test_an_area_not_validated_under_todays_schema_is_validated_here(records):
    table, area = _with_a_minor(records)
    for validated in ({}, {area: "an older schema"}):
        result = case_records_match_schema(DATA, table, validated)
        assert not result.passed
        assert "age_at_least_18" in result.metadata["by_rule"].value


def test_an_area_validated_under_todays_schema_is_not_validated_again(records):
    table, area = _with_a_minor(records)
    result = case_records_match_schema(DATA, table, {area: DIGEST})
    assert result.passed
    others = int((records["area"] != area).sum())
    assert result.metadata["rows_checked"].value == others
    assert area not in result.metadata["areas_checked"].value


def test_the_latest_materialization_of_each_area_says_what_it_was_validated_under():
    instance = dg.DagsterInstance.ephemeral()

    def materialize(area: str, digest: str | None) -> None:
        metadata = {VALIDATED_UNDER: digest} if digest else {}
        instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key="area_cases", partition=area, metadata=metadata)
        )

    materialize("gwent", "old")
    materialize("kent", "old")
    materialize("kent", "new")
    for _ in range(150):  # more than a page between kent's latest and gwent's
        materialize("dorset", "new")
    materialize("dorset", None)  # written before digests were recorded
    validated = recorded_schema_digests(
        SimpleNamespace(instance=instance), ["dorset", "gwent", "kent"]
    )
    assert validated == {"gwent": "old", "kent": "new"}
