"""Pooling as it was before the Arrow path: every area's cases as pandas, concatenated, the cases
in several areas found and the records sorted in pandas, the subgroup counts made from the
pooled records. Not used by the pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from probation_pipeline.records import pooling
from probation_pipeline.records.accounting import ACCOUNTING_COLUMNS, with_total
from probation_pipeline.records.dedup import CASE_IN_SEVERAL_AREAS
from probation_pipeline.records.validation import quarantine_rows
from probation_pipeline.stats.subgroups import subgroup_counts


def pool_areas_in_pandas(cases, quarantine, accounting, counts, reference) -> pooling.PooledAreas:
    """`pooling.pool_areas` as it was (same arguments); the areas' own counts are not used."""
    frames = pd.concat([table.to_pandas() for table in cases.values()], ignore_index=True)
    kept, transferred = split_cases_in_several_areas(frames)
    moved = quarantine_rows(transferred, CASE_IN_SEVERAL_AREAS)
    pooled_quarantine = pd.concat([*quarantine.values(), moved], ignore_index=True).sort_values(
        ["area", "source_file", "source_line"], ignore_index=True
    )
    records = kept.sort_values(["area", "source_file", "source_line"], ignore_index=True)

    moved_per_area = moved.groupby("area").size()
    per_area = pd.concat(accounting.values(), ignore_index=True)[list(ACCOUNTING_COLUMNS)].copy()
    shift = per_area["area"].map(moved_per_area).fillna(0).astype("int64")
    per_area["quarantined"] += shift
    per_area["kept"] -= shift
    return pooling.PooledAreas(
        records=pa.Table.from_pandas(records, preserve_index=False),
        quarantine=pooled_quarantine,
        accounting=with_total(per_area),
        counts=subgroup_counts(records, reference),
        recounted=tuple(str(area) for area in moved_per_area.index),
    )


def split_cases_in_several_areas(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases whose reference appears in more than one area (a transfer the sampling excludes)."""
    # Only a reference that occurs more than once can be in several areas: count areas for those.
    repeated = records["case_id"].duplicated(keep=False).to_numpy(dtype=bool)
    several = np.zeros(len(records), dtype=bool)
    if repeated.any():
        candidates = records.loc[repeated, ["case_id", "area"]]
        areas_per_case = candidates.groupby("case_id")["area"].transform("nunique")
        several[repeated] = areas_per_case.gt(1).to_numpy(dtype=bool)
    return records[~several], records[several]
