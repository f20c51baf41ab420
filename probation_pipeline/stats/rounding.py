"""Percentages rounded half-up from exact counts, as the bulletin prints them.

The bulletin rounds the exact ratio half-up (CONSISTENCY.md (b): 13/16 = 81.25 is printed 81.3).
Python's `round()` rounds half to even on a binary float and gives 81.2, so every percentage here is
computed with `Decimal` from the integer counts and never passes through a float before rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
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
    to CSV prints exactly the rounded digits. Raises ValueError for the first invalid pair of
    counts, as `percent_half_up` does.
    """
    values = percent_half_up_array(yes, n, decimals)
    return pd.Series(pd.array(values, dtype="Float64"), index=yes.index)


def percent_half_up_array(yes: pd.Series, n: pd.Series, decimals: int = 1) -> np.ndarray:
    """`percent_half_up_series` as a float array, NaN where n is 0 or either count is missing.

    In integer arithmetic, vectorised: 10**decimals * 100 * yes / n rounded half-up is
    floor((2 * scale * yes + n) / (2 * n)), and the quotient by 10**decimals is the float nearest
    the rounded decimal, as `float(Decimal)` gives. Counts too large for int64 arithmetic take the
    `Decimal` path of `percent_half_up`.
    """
    if len(yes) != len(n):
        raise ValueError(f"yes and n differ in length: {len(yes)} and {len(n)}")
    missing = np.asarray(pd.isna(yes), dtype=bool) | np.asarray(pd.isna(n), dtype=bool)
    counts = _integers(yes, missing)
    bases = _integers(n, missing)
    rated = ~missing & (bases != 0)
    invalid = rated & ((bases < 0) | (counts < 0) | (counts > bases))
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        raise ValueError(f"invalid counts: yes={counts[first]}, n={bases[first]}")
    result = np.full(len(counts), np.nan)
    if decimals < 0 or (rated.any() and int(bases[rated].max()) > _EXACT_INT64_COUNT):
        for index in np.flatnonzero(rated):
            result[index] = float(percent_half_up(int(counts[index]), int(bases[index]), decimals))
        return result
    scale = 100 * 10**decimals
    k, m = counts[rated], bases[rated]
    result[rated] = ((2 * scale * k + m) // (2 * m)) / 10.0**decimals
    return result


# Up to this base, 2 * 100 * 10**decimals * yes + n stays far inside int64 for a few decimals.
_EXACT_INT64_COUNT = 1 << 40


def _integers(values: pd.Series, missing: np.ndarray) -> np.ndarray:
    # int() of each present value, as `percent_half_up`'s callers took it; 0 where missing.
    series = pd.Series(values)
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64, na_value=0)
    present = np.where(missing, 0, series.to_numpy(dtype=object))
    return np.asarray([int(value) for value in present], dtype=np.int64)


def round_half_up(values: Iterable[float | None], decimals: int = 1) -> list[float | None]:
    """Round already-computed floats (e.g. interval bounds) half-up, on their shortest decimal repr.

    For quantities that are not ratios of counts (a Wilson bound is irrational) there is no exact
    tie to protect; using the repr keeps the rule identical to the one used for percentages.
    None/NaN stay None.
    """
    as_floats = np.asarray(
        [np.nan if value is None or pd.isna(value) else float(value) for value in values],
        dtype=float,
    )
    return [
        None if math.isnan(value) else value
        for value in round_half_up_array(as_floats, decimals).tolist()
    ]


def round_half_up_array(values: np.ndarray, decimals: int = 1) -> np.ndarray:
    """`round_half_up` of a float array, NaN staying NaN: the same floats, vectorised.

    A scaled value clear of a tie rounds the same whether its float or its shortest decimal repr
    is rounded, so it is rounded in numpy; one within rounding error of a tie (and any value too
    large, infinite, or with negative `decimals`) goes through the `Decimal` repr path.
    """
    values = np.asarray(values, dtype=float)
    result = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if decimals < 0:
        exact = present
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = values * 10.0**decimals
            distance_to_tie = np.abs(scaled - np.floor(scaled) - 0.5)
            exact = present & (
                ~np.isfinite(scaled)
                | (np.abs(scaled) >= 2.0**50)
                | (distance_to_tie <= 1e-6 * np.maximum(1.0, np.abs(scaled)))
            )
            fast = present & ~exact
            rounded = np.floor(scaled[fast] + 0.5) / 10.0**decimals
        # Decimal keeps the sign of a negative value rounded to zero (-0.0).
        result[fast] = np.where(rounded == 0, np.copysign(0.0, values[fast]), rounded)
    quantum = _quantum(decimals)
    for index in np.flatnonzero(exact):
        result[index] = float(
            Decimal(repr(float(values[index]))).quantize(quantum, rounding=ROUND_HALF_UP)
        )
    return result


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
