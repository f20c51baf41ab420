"""Calibration targets: the published Tables 1-7 as exact integer counts, and the headline counts.

The bulletin prints n and a one-decimal percentage. The yes count of a cell is the unique integer k
with half-up(100 k / n, 1 decimal) == printed %, computed on exact fractions (CONSISTENCY.md (b):
Python's `round()` would get three cells wrong). Errata (`errata.csv`) are applied first.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from probation_pipeline.reference import PROVIDERS, TABLE_VARIABLES, Reference

MISSING_LEVEL = "(missing)"
"""Pseudo level of the per-provider targets: cases that answered but miss the variable."""


class TargetError(ValueError):
    """A published cell admits no (or more than one) integer yes count."""


def pct_half_up(yes: int, n: int) -> str:
    """100 * yes / n as the bulletin prints it: one decimal, ties rounded half-up, from exact counts."""
    exact = Fraction(100 * yes, n)
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def yes_count(n: int, printed_pct: str) -> int:
    """The unique integer k in 0..n whose half-up percentage of n prints as `printed_pct`.

    Raises TargetError when no or several integers qualify.
    """
    printed = Decimal(printed_pct).quantize(Decimal("0.1"))
    centre = int(Fraction(str(printed)) * n / 100)
    candidates = [
        k
        for k in range(max(0, centre - 2), min(n, centre + 3) + 1)
        if Decimal(pct_half_up(k, n)) == printed
    ]
    if len(candidates) != 1:
        raise TargetError(f"{printed_pct}% of {n}: candidates {candidates}")
    return candidates[0]


def published_cells(reference: Reference) -> pd.DataFrame:
    """The 455 published cells with exact counts.

    Columns: table, question_id, variable, level, provider, n, yes, pct_yes (printed string).
    Errata are applied to n; the structurally impossible cells (empty n) are dropped.
    """
    cells = reference.bulletin_tables.copy()
    for erratum in reference.errata.itertuples():
        mask = (
            (cells["question_id"] == erratum.question_id)
            & (cells["variable"] == erratum.variable)
            & (cells["level"] == erratum.level)
            & (cells["provider"] == erratum.provider)
        )
        if mask.sum() != 1 or erratum.field != "n":
            raise TargetError(f"erratum does not match exactly one n cell: {erratum}")
        cells.loc[mask, "n"] = erratum.corrected
    cells = cells[cells["n"] != ""].copy()
    cells["table"] = cells["table"].astype(int)
    cells["n"] = cells["n"].astype(int)
    cells["yes"] = [yes_count(n, p) for n, p in zip(cells["n"], cells["pct_yes"], strict=True)]
    columns = ["table", "question_id", "variable", "level", "provider", "n", "yes", "pct_yes"]
    return cells[columns].reset_index(drop=True)


def provider_targets(reference: Reference) -> pd.DataFrame:
    """Per-provider targets including the `(missing)` level, in the shape the repair works on.

    Columns: question_id, provider (CRC/NPS), variable (`all` or a table variable), level, n, yes.
    For each table variable the missing level holds all-cases n/yes minus the sum over levels, so the
    levels of a variable partition the cases that answered. Raises TargetError if a remainder is
    negative or the All column is not CRC + NPS.
    """
    cells = published_cells(reference)
    by_provider = cells[cells["provider"].isin(PROVIDERS)]
    _check_all_is_sum(cells)
    rows: list[dict[str, object]] = []
    for (question_id, provider), group in by_provider.groupby(
        ["question_id", "provider"], sort=False
    ):
        total = group[group["variable"] == "all"].iloc[0]
        rows.append(
            dict(
                question_id=question_id,
                provider=provider,
                variable="all",
                level="All cases",
                n=int(total.n),
                yes=int(total.yes),
            )
        )
        for variable in TABLE_VARIABLES:
            levels = group[group["variable"] == variable]
            for cell in levels.itertuples():
                rows.append(
                    dict(
                        question_id=question_id,
                        provider=provider,
                        variable=variable,
                        level=cell.level,
                        n=int(cell.n),
                        yes=int(cell.yes),
                    )
                )
            missing_n = int(total.n) - int(levels["n"].sum())
            missing_yes = int(total.yes) - int(levels["yes"].sum())
            if not 0 <= missing_yes <= missing_n:
                raise TargetError(
                    f"{question_id} {provider} {variable}: missing n={missing_n} yes={missing_yes}"
                )
            rows.append(
                dict(
                    question_id=question_id,
                    provider=provider,
                    variable=variable,
                    level=MISSING_LEVEL,
                    n=missing_n,
                    yes=missing_yes,
                )
            )
    return pd.DataFrame(rows)


def _check_all_is_sum(cells: pd.DataFrame) -> None:
    keys = ["question_id", "variable", "level"]
    wide = cells.pivot_table(index=keys, columns="provider", values=["n", "yes"], aggfunc="first")
    wide = wide.fillna(0)
    for field in ("n", "yes"):
        bad = wide[(wide[field]["All"] != wide[field]["CRC"] + wide[field]["NPS"])]
        if len(bad):
            raise TargetError(f"All != CRC + NPS for {field}: {list(bad.index)}")


def headline_targets(reference: Reference) -> dict[str, int]:
    """measure -> count from `headline_counts.csv` (total_cases, crc_cases, ...)."""
    frame = reference.headline_counts
    return {row.measure: int(row.n) for row in frame.itertuples()}
