"""Row accounting: every raw row is kept, superseded, an exact duplicate, or quarantined.

The two stored frames of where rows went have their models here: `QuarantineSchema` (one row per
rejected raw row, `area_quarantine` and `quarantine`) and `AccountingSchema` (per area, plus an
ALL_AREAS row in `row_accounting`).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.contracts import StoredFrame, check_frame, columns, dtypes

ALL_AREAS = "All areas"
"""The `area` of `row_accounting`'s pooled row, the sum over the areas."""


class QuarantineSchema(StoredFrame, frame="quarantine"):
    """A rejected raw row: where it came from and the rule(s) it broke, joined by `; `."""

    area: Series[pd.StringDtype] = pa.Field()
    inspection_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    source_file: Series[pd.StringDtype] = pa.Field()
    source_line: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)
    case_id: Series[pd.StringDtype] = pa.Field(nullable=True)
    rule: Series[pd.StringDtype] = pa.Field(str_length={"min_value": 1})


class AccountingSchema(StoredFrame, frame="row_accounting"):
    """Raw rows of an area and where they went; `raw_rows` is the sum of the four outcomes."""

    # Object, not string, dtype: the stored Parquet files have always had it.
    area: Series[object] = pa.Field()
    raw_rows: Series[int] = pa.Field(ge=0)
    superseded: Series[int] = pa.Field(ge=0)
    exact_duplicates: Series[int] = pa.Field(ge=0)
    quarantined: Series[int] = pa.Field(ge=0)
    kept: Series[int] = pa.Field(ge=0)

    @pa.dataframe_check(name="raw_rows_equal_the_outcomes")
    @classmethod
    def raw_rows_equal_the_outcomes(cls, frame: pd.DataFrame) -> pd.Series:
        return unaccounted_rows(frame) == 0


ACCOUNTING_COLUMNS: tuple[str, ...] = columns(AccountingSchema)
OUTCOMES: tuple[str, ...] = ACCOUNTING_COLUMNS[2:]
"""superseded, exact_duplicates, quarantined, kept."""
_COUNTS = {column: dtype for column, dtype in dtypes(AccountingSchema).items() if column != "area"}


def account_rows(area: str, raw_rows: int, **outcomes: int) -> pd.DataFrame:
    """One accounting row; every outcome of OUTCOMES must be given."""
    missing = set(OUTCOMES) - set(outcomes)
    if missing:
        raise ValueError(f"accounting for {area} lacks {sorted(missing)}")
    frame = pd.DataFrame([{"area": area, "raw_rows": raw_rows, **outcomes}])
    return check_frame(frame[list(ACCOUNTING_COLUMNS)].astype(_COUNTS), AccountingSchema)


def unaccounted_rows(accounting: pd.DataFrame) -> pd.Series:
    """Per row of `accounting`: raw rows minus all outcomes (0 where the accounting closes)."""
    return accounting["raw_rows"] - accounting[list(OUTCOMES)].sum(axis=1)


def with_total(accounting: pd.DataFrame) -> pd.DataFrame:
    """The per-area accounting sorted by area, with a final ALL_AREAS row."""
    rows = accounting.sort_values("area").reset_index(drop=True)
    total = rows[list(ACCOUNTING_COLUMNS[1:])].sum().to_frame().T
    total.insert(0, "area", ALL_AREAS)
    return check_frame(
        pd.concat([rows, total], ignore_index=True).astype(_COUNTS), AccountingSchema
    )


def pooled_total(accounting: pd.DataFrame) -> pd.Series:
    """The ALL_AREAS row of a `with_total` frame (indexed by column, without `area`)."""
    return accounting.set_index("area").loc[ALL_AREAS]
