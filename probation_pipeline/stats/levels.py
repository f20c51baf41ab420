"""Analysis levels: the case record's variables as tables and models use them."""

from __future__ import annotations

import pandas as pd

from probation_pipeline.records.distinct import per_distinct
from probation_pipeline.reference import Reference


def with_table_levels(records: pd.DataFrame, reference: Reference) -> pd.DataFrame:
    """Return a copy of `records` with `ogrs_band` and `rosh_level` merged as the bulletin does.

    High and Very high become `High/Very high` (mapping in `ogrs_bands.csv` and `rosh_levels.csv`);
    missing stays missing. Other columns are untouched.
    """
    # A shallow copy: the two merged columns are replaced, never written into.
    merged = records.copy(deep=False)
    for column, levels in (
        ("ogrs_band", reference.ogrs_bands),
        ("rosh_level", reference.rosh_levels),
    ):
        mapping = dict(zip(levels[column], levels["table_level"], strict=True))
        merged[column] = per_distinct(
            merged[column],
            lambda distinct, mapping=mapping: distinct.map(mapping, na_action="ignore").astype(
                "string"
            ),
        )
    return merged
