"""All areas pooled into the analysis dataset; a case found in two areas is quarantined in both."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from probation_pipeline.records.accounting import ACCOUNTING_COLUMNS, with_total
from probation_pipeline.records.dedup import CASE_IN_SEVERAL_AREAS, split_cases_in_several_areas
from probation_pipeline.records.validation import quarantine_rows


@dataclass(frozen=True)
class PooledCases:
    records: pd.DataFrame  # RecordDomains.columns, sorted by area, inspection, source line
    quarantine: pd.DataFrame  # QuarantineSchema, area quarantines plus cross-area cases
    accounting: pd.DataFrame  # AccountingSchema per area, plus an `All areas` row


def pool_area_cases(
    cases: pd.DataFrame, quarantine: pd.DataFrame, accounting: pd.DataFrame
) -> PooledCases:
    """Pool the areas' kept cases, quarantines and accounting (each concatenated over areas)."""
    kept, transferred = split_cases_in_several_areas(cases)
    moved = quarantine_rows(transferred, CASE_IN_SEVERAL_AREAS)
    pooled_quarantine = pd.concat([quarantine, moved], ignore_index=True).sort_values(
        ["area", "source_file", "source_line"], ignore_index=True
    )
    records = kept.sort_values(["area", "source_file", "source_line"], ignore_index=True)

    moved_per_area = moved.groupby("area").size()
    per_area = accounting[list(ACCOUNTING_COLUMNS)].copy()
    shift = per_area["area"].map(moved_per_area).fillna(0).astype("int64")
    per_area["quarantined"] += shift
    per_area["kept"] -= shift
    return PooledCases(
        records=records, quarantine=pooled_quarantine, accounting=with_total(per_area)
    )
