"""Row accounting: every raw row is kept, superseded, an exact duplicate, or quarantined."""

from __future__ import annotations

import pandas as pd

ACCOUNTING_COLUMNS: tuple[str, ...] = (
    "area",
    "raw_rows",
    "superseded",
    "exact_duplicates",
    "quarantined",
    "kept",
)
OUTCOMES: tuple[str, ...] = ("superseded", "exact_duplicates", "quarantined", "kept")


def account_rows(area: str, raw_rows: int, **outcomes: int) -> pd.DataFrame:
    """One accounting row; every outcome of OUTCOMES must be given."""
    missing = set(OUTCOMES) - set(outcomes)
    if missing:
        raise ValueError(f"accounting for {area} lacks {sorted(missing)}")
    return pd.DataFrame([{"area": area, "raw_rows": raw_rows, **outcomes}])[
        list(ACCOUNTING_COLUMNS)
    ].astype({c: "int64" for c in ACCOUNTING_COLUMNS[1:]})


def unaccounted_rows(accounting: pd.DataFrame) -> pd.Series:
    """Per row of `accounting`: raw rows minus all outcomes (0 where the accounting closes)."""
    return accounting["raw_rows"] - accounting[list(OUTCOMES)].sum(axis=1)


def with_total(accounting: pd.DataFrame) -> pd.DataFrame:
    """The per-area accounting sorted by area, with a final `All areas` row."""
    rows = accounting.sort_values("area").reset_index(drop=True)
    total = rows[list(ACCOUNTING_COLUMNS[1:])].sum().to_frame().T
    total.insert(0, "area", "All areas")
    return pd.concat([rows, total], ignore_index=True).astype(
        {c: "int64" for c in ACCOUNTING_COLUMNS[1:]}
    )
