"""Pooling in Arrow gives what pooling in pandas gave: records, quarantine, accounting, counts."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.accounting import QuarantineSchema, account_rows, pooled_total
from probation_pipeline.records.pooling import (
    cases_in_several_areas,
    pool_areas,
    sorted_by_source,
)
from probation_pipeline.records.schema import record_domains, schema_digest
from probation_pipeline.sample.scale import scale_case_records
from probation_pipeline.stats.subgroups import subgroup_counts
from probation_pipeline_tests.shipped import REFERENCE
from probation_pipeline_tests.slow_paths.pooling import pool_areas_in_pandas


def _areas(records: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(area): rows.reset_index(drop=True) for area, rows in records.groupby("area")}


def _pool(areas: dict[str, pd.DataFrame], pool=pool_areas):
    empty_quarantine = pd.DataFrame(
        {column: pd.Series(dtype=dtype) for column, dtype in _quarantine_dtypes().items()}
    )
    return pool(
        {area: pa.Table.from_pandas(cases, preserve_index=False) for area, cases in areas.items()},
        dict.fromkeys(areas, empty_quarantine),
        {
            area: account_rows(
                area, len(cases), superseded=0, exact_duplicates=0, quarantined=0, kept=len(cases)
            )
            for area, cases in areas.items()
        },
        {area: subgroup_counts(cases, REFERENCE) for area, cases in areas.items()},
        REFERENCE,
    )


def _quarantine_dtypes() -> dict[str, str]:
    return {
        name: str(column.dtype) for name, column in QuarantineSchema.to_schema().columns.items()
    }


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    records = scale_case_records(4000, 5, 11, REFERENCE)
    ids = records["case_id"].astype(object).to_numpy()
    rows = {str(area): list(group) for area, group in records.groupby("area").indices.items()}
    a, b, c, d = sorted(rows)[:4]
    # Three references in two areas each: transfers the sampling excludes.
    for (left, i), (right, j) in (((a, 0), (b, 0)), ((c, 0), (d, 0)), ((a, 1), (d, 1))):
        ids[rows[right][j]] = ids[rows[left][i]]
    records["case_id"] = pd.array(ids, dtype="string")
    return records


def test_arrow_pooling_equals_pandas_pooling(records):
    areas = _areas(records)
    fast, slow = _pool(areas), _pool(areas, pool_areas_in_pandas)
    assert fast.records.num_rows == len(records) - 6
    assert fast.records.to_pandas().equals(slow.records.to_pandas())
    assert fast.quarantine.equals(slow.quarantine)
    assert fast.accounting.equals(slow.accounting)
    assert fast.counts.equals(slow.counts)
    assert len(fast.recounted) == 4
    assert int(pooled_total(fast.accounting)["quarantined"]) == 6


def test_counts_of_untouched_areas_are_reused_not_made_again(records):
    areas = _areas(records.drop_duplicates("case_id", keep=False))
    pooled = _pool(areas)
    assert pooled.recounted == ()
    assert pooled.counts.equals(subgroup_counts(pooled.records.to_pandas(), REFERENCE))


def test_cases_in_several_areas_flags_every_occurrence():
    ids = pa.chunked_array([["a", "b", "c"], ["d", "b"], ["a"]])
    assert cases_in_several_areas(ids).tolist() == [True, True, False, False, True, True]
    assert not cases_in_several_areas(pa.chunked_array([["a", "b"]])).any()


def test_blocks_out_of_order_are_sorted_as_pandas_sorts(records):
    shuffled = records.sample(frac=1, random_state=3).reset_index(drop=True)
    table = sorted_by_source(pa.Table.from_pandas(shuffled, preserve_index=False))
    expected = shuffled.sort_values(["area", "source_file", "source_line"], ignore_index=True)
    assert table.to_pandas().equals(expected)


def test_records_in_order_are_not_copied(records):
    in_order = records.sort_values(["area", "source_file", "source_line"], ignore_index=True)
    table = pa.Table.from_pandas(in_order, preserve_index=False)
    assert sorted_by_source(table) is table


def test_schema_digest_follows_the_domains():
    domains = record_domains(REFERENCE, registered_versions())
    fewer = record_domains(REFERENCE, registered_versions()[:-1])
    assert schema_digest(domains) == schema_digest(record_domains(REFERENCE, registered_versions()))
    assert schema_digest(domains) != schema_digest(fewer)


def test_an_area_whose_every_case_is_in_another_area_pools_to_nothing(records):
    areas = _areas(records.drop_duplicates("case_id", keep=False))
    first = sorted(areas)[0]
    # An area of one case, whose reference is also in the first area.
    lone = (
        areas[first]
        .iloc[[0]]
        .assign(
            area=pd.array(["zz-transfer"], dtype="string"),
            source_file=pd.array(["zz-transfer/zz-transfer-2016-01.csv"], dtype="string"),
        )
    )
    areas = {**areas, "zz-transfer": lone.reset_index(drop=True)}
    fast, slow = _pool(areas), _pool(areas, pool_areas_in_pandas)
    assert "zz-transfer" not in set(fast.records.column("area").to_pylist())
    assert set(fast.recounted) == {first, "zz-transfer"}
    assert fast.records.to_pandas().equals(slow.records.to_pandas())
    assert fast.counts.equals(slow.counts)
    assert fast.accounting.equals(slow.accounting)
    kept = fast.accounting.set_index("area").loc["zz-transfer", "kept"]
    assert kept == 0
