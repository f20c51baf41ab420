"""Percentages rounded half-up from exact counts, as the bulletin prints them.

The bulletin rounds the exact ratio half-up (CONSISTENCY.md (b): 13/16 = 81.25 is printed 81.3).
Python's `round()` rounds half to even on a binary float and gives 81.2, so every percentage here is
computed with `Decimal` from the integer counts and never passes through a float before rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


class ImpliedCountError(ValueError):
    """No integer count, or more than one, rounds to a printed percentage over a given base."""


def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def percent_half_up(yes: int, n: int, decimals: int = 1) -> Decimal | None:
    """Return 100 * yes / n rounded half-up to `decimals` places, or None when n == 0.

    Exact: the ratio is formed from integers in `Decimal` (28 significant digits, far more than any
    count needs), so a tie such as 81.25 is seen as a tie. Raises ValueError for negative counts or
    yes > n.
    """
    if n < 0 or yes < 0 or yes > n:
        raise ValueError(f"invalid counts: yes={yes}, n={n}")
    if n == 0:
        return None
    return (Decimal(100 * yes) / Decimal(n)).quantize(_quantum(decimals), rounding=ROUND_HALF_UP)


def percent_half_up_series(yes: pd.Series, n: pd.Series, decimals: int = 1) -> pd.Series:
    """Element-wise `percent_half_up` as a nullable Float64 series (<NA> where n is 0 or <NA>).

    The float holds the shortest decimal of the rounded value (81.3, not 81.2999...), so writing it
    to CSV prints exactly the rounded digits.
    """
    values = [
        pd.NA
        if pd.isna(count) or pd.isna(base) or int(base) == 0
        else float(percent_half_up(int(count), int(base), decimals))
        for count, base in zip(yes, n, strict=True)
    ]
    return pd.Series(values, index=yes.index, dtype="Float64")


def round_half_up(values: Iterable[float | None], decimals: int = 1) -> list[float | None]:
    """Round already-computed floats (e.g. interval bounds) half-up, on their shortest decimal repr.

    For quantities that are not ratios of counts (a Wilson bound is irrational) there is no exact
    tie to protect; using the repr keeps the rule identical to the one used for percentages.
    None/NaN stay None.
    """
    quantum = _quantum(decimals)
    return [
        None
        if value is None or pd.isna(value)
        else float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
        for value in values
    ]


def implied_yes(n: int, printed_pct: str, decimals: int = 1) -> int:
    """The unique integer k in 0..n whose percentage of n rounds half-up to `printed_pct`.

    Used to turn the bulletin's printed percentages back into counts. Raises ImpliedCountError when
    no k or several k fit (a misprint, or a base too large for one decimal to pin the count).
    """
    target = Decimal(printed_pct)
    if n <= 0:
        raise ImpliedCountError(f"no yes count for base n={n} (printed {printed_pct})")
    # Every candidate k has 100 * k / n within half a unit of the printed value.
    half_unit = _quantum(decimals) / 2
    low = max(0, math.floor((target - half_unit) * n / 100) - 1)
    high = min(n, math.ceil((target + half_unit) * n / 100) + 1)
    fits = [k for k in range(low, high + 1) if percent_half_up(k, n, decimals) == target]
    if len(fits) != 1:
        raise ImpliedCountError(
            f"{len(fits)} integer counts out of n={n} round half-up to {printed_pct}%: {fits}"
        )
    return fits[0]
