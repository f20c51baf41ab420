"""All areas pooled into the analysis dataset; a case found in two areas is quarantined in both.

The pooled records are the areas' kept cases one after the other, as Arrow tables: no row is
converted to Python or pandas, so pooling a million cases costs about what reading and writing
them does. The subgroup counts are pooled the same way, from each area's counts, and recounted
only for an area that loses cases at pooling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from probation_pipeline.records.accounting import ACCOUNTING_COLUMNS, with_total
from probation_pipeline.records.dedup import CASE_IN_SEVERAL_AREAS
from probation_pipeline.records.validation import quarantine_rows
from probation_pipeline.reference import Reference
from probation_pipeline.stats.subgroups import subgroup_counts

SOURCE_ORDER = ("area", "source_file", "source_line")
"""The order of the pooled records: by area, then file and line of the extract."""


@dataclass(frozen=True)
class PooledAreas:
    records: pa.Table  # RecordDomains.columns, sorted by SOURCE_ORDER
    quarantine: pd.DataFrame  # QuarantineSchema, area quarantines plus cross-area cases
    accounting: pd.DataFrame  # AccountingSchema per area, plus an `All areas` row
    counts: pd.DataFrame  # subgroup_counts of `records`
    recounted: tuple[str, ...]  # areas whose counts were made again (they lost cases)


def cases_in_several_areas(case_ids: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Per pooled case, whether its reference occurs more than once.

    Within an area references are unique (a repeated one is a conflict, quarantined), so a
    reference that occurs twice among the pooled cases is in several areas.
    """
    counted = pc.value_counts(case_ids)
    repeated = counted.field("values").filter(pc.greater(counted.field("counts"), 1))
    if len(repeated) == 0:
        return np.zeros(len(case_ids), dtype=bool)
    return pc.is_in(case_ids, value_set=repeated).to_numpy(zero_copy_only=False)


def sorted_by_source(records: pa.Table) -> pa.Table:
    """`records` in SOURCE_ORDER; as given (no copy) when the areas' blocks already are."""
    if records.num_rows > 1:
        keys = [records.column(name).combine_chunks() for name in SOURCE_ORDER]
        before = [key.slice(0, len(key) - 1) for key in keys]
        after = [key.slice(1) for key in keys]
        in_order = pc.less(before[-1], after[-1])
        for earlier, later in zip(reversed(before[:-1]), reversed(after[:-1]), strict=True):
            in_order = pc.or_(pc.less(earlier, later), pc.and_(pc.equal(earlier, later), in_order))
        if not pc.all(in_order).as_py():
            return records.take(pc.sort_indices(records, [(k, "ascending") for k in SOURCE_ORDER]))
    return records


def pool_areas(
    cases: Mapping[str, pa.Table],
    quarantine: Mapping[str, pd.DataFrame],
    accounting: Mapping[str, pd.DataFrame],
    counts: Mapping[str, pd.DataFrame],
    reference: Reference,
) -> PooledAreas:
    """Pool the areas' kept cases, quarantines, accounting and subgroup counts ({area: each}).

    `cases` are the areas' kept cases as Arrow tables of one schema; `counts` their
    `subgroup_counts`. A case whose reference is in several areas leaves the records of all of
    them for the quarantine, and their accounting moves it from kept to quarantined.
    """
    areas = sorted(cases)
    pooled = pa.concat_tables([cases[area] for area in areas]).combine_chunks()
    several = cases_in_several_areas(pooled.column("case_id"))
    moved = quarantine_rows(
        pooled.filter(several)
        .select(["area", "source_file", "source_line", "case_id"])
        .to_pandas(),
        CASE_IN_SEVERAL_AREAS,
    )
    records = sorted_by_source(pooled.filter(~several) if several.any() else pooled)
    pooled_quarantine = pd.concat(
        [*(quarantine[area] for area in areas), moved], ignore_index=True
    ).sort_values(list(SOURCE_ORDER), ignore_index=True)

    moved_per_area = moved.groupby("area").size()
    per_area = pd.concat([accounting[area] for area in areas], ignore_index=True)
    per_area = per_area[list(ACCOUNTING_COLUMNS)].copy()
    shift = per_area["area"].map(moved_per_area).fillna(0).astype("int64")
    per_area["quarantined"] += shift
    per_area["kept"] -= shift

    recounted = tuple(str(area) for area in moved_per_area.index)
    pooled_counts = _pooled_counts(records, counts, areas, recounted, reference)
    return PooledAreas(
        records=records,
        quarantine=pooled_quarantine,
        accounting=with_total(per_area),
        counts=pooled_counts,
        recounted=recounted,
    )


def _pooled_counts(
    records: pa.Table,
    counts: Mapping[str, pd.DataFrame],
    areas: list[str],
    recounted: tuple[str, ...],
    reference: Reference,
) -> pd.DataFrame:
    """The areas' counts one after the other (they are sorted by area first, then the other
    keys), with those of `recounted` areas made again from their pooled records."""
    parts = []
    for area in areas:
        if area in recounted:
            rows = records.filter(pc.equal(records.column("area"), area)).to_pandas()
            parts.append(subgroup_counts(rows, reference))
        else:
            parts.append(counts[area])
    parts = [part for part in parts if len(part)]
    if not parts:
        return subgroup_counts(records.to_pandas(), reference)
    return pd.concat(parts, ignore_index=True)
