import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from probation_pipeline.stats.rounding import (
    ImpliedCountError,
    implied_yes,
    percent_half_up,
    percent_half_up_series,
    round_half_up,
)


@pytest.mark.parametrize(
    ("yes", "n", "expected"),
    [
        (13, 16, "81.3"),  # 81.25: round() on a float gives 81.2
        (22, 32, "68.8"),  # 68.75
        (26, 32, "81.3"),
        (39, 48, "81.3"),
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (0, 7, "0.0"),
        (7, 7, "100.0"),
        (100, 117, "85.5"),
    ],
)
def test_percent_rounds_half_up_from_exact_counts(yes: int, n: int, expected: str) -> None:
    assert percent_half_up(yes, n) == Decimal(expected)


def test_percent_of_zero_cases_is_none() -> None:
    assert percent_half_up(0, 0) is None


@pytest.mark.parametrize(("yes", "n"), [(-1, 3), (4, 3), (0, -1)])
def test_impossible_counts_are_rejected(yes: int, n: int) -> None:
    with pytest.raises(ValueError):
        percent_half_up(yes, n)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_percent_matches_exact_fraction_rounding(counts: tuple[int, int]) -> None:
    yes, n = counts
    tenths = Fraction(1000 * yes, n)
    # Half-up on the exact rational: floor(x + 1/2).
    expected = Decimal((tenths + Fraction(1, 2)).__floor__()) / 10
    assert percent_half_up(yes, n) == expected


def test_series_version_is_nullable_and_exact() -> None:
    yes = pd.Series([13, 22, 0, pd.NA], dtype="Int64")
    n = pd.Series([16, 32, 0, pd.NA], dtype="Int64")
    result = percent_half_up_series(yes, n)
    assert str(result.dtype) == "Float64"
    assert result.iloc[:2].tolist() == [81.3, 68.8]
    assert result.iloc[2:].isna().all()


def test_round_half_up_of_floats_uses_their_decimal_repr() -> None:
    assert round_half_up([2.675, 0.05, None, float("nan")], 1) == [2.7, 0.1, None, None]
    assert round_half_up([2.675], 2) == [2.68]  # round(2.675, 2) gives 2.67


@pytest.mark.parametrize(
    ("n", "printed", "expected"),
    [(235, "74.0", 174), (16, "81.3", 13), (32, "68.8", 22), (10, "0.0", 0), (10, "100.0", 10)],
)
def test_implied_yes_finds_the_unique_count(n: int, printed: str, expected: int) -> None:
    assert implied_yes(n, printed) == expected


def test_implied_yes_rejects_the_misprinted_base() -> None:
    # CONSISTENCY.md D1: no integer count of 253 rounds to 74.0%.
    with pytest.raises(ImpliedCountError, match="0 integer counts"):
        implied_yes(253, "74.0")


def test_implied_yes_rejects_ambiguous_large_bases() -> None:
    # Over 20,000 cases one decimal no longer pins the count.
    with pytest.raises(ImpliedCountError):
        implied_yes(20000, "50.0")


def _round_by_repr(value: float, decimals: int) -> float:
    # The rule itself: the shortest decimal repr, rounded half-up by Decimal.
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))


@given(
    st.lists(st.floats(-1e9, 1e9) | st.just(math.nan), max_size=50),
    st.integers(0, 4),
)
def test_vectorised_rounding_is_the_decimal_rule(values: list[float], decimals: int) -> None:
    expected = [None if math.isnan(v) else _round_by_repr(v, decimals) for v in values]
    result = round_half_up(values, decimals)
    assert result == expected
    # Signs too: Decimal gives -0.0 for a small negative value.
    assert [math.copysign(1, r) for r in result if r is not None] == [
        math.copysign(1, e) for e in expected if e is not None
    ]


@given(st.lists(st.integers(0, 4000).map(lambda k: k / 40), max_size=50))
def test_vectorised_rounding_of_exact_ties(values: list[float]) -> None:
    # Quarters and eighths put many values on a tie of the second decimal.
    assert round_half_up(values, 1) == [_round_by_repr(v, 1) for v in values]
    assert round_half_up([-v for v in values], 1) == [_round_by_repr(-v, 1) for v in values]


@given(
    st.lists(
        st.integers(0, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        max_size=40,
    ),
    st.integers(0, 3),
)
def test_vectorised_percentages_are_percent_half_up(counts: list, decimals: int) -> None:
    yes = pd.Series([k for k, _ in counts], dtype="Int64")
    n = pd.Series([m for _, m in counts], dtype="Int64")
    expected = [None if m == 0 else float(percent_half_up(k, m, decimals)) for k, m in counts]
    result = percent_half_up_series(yes, n, decimals)
    assert [None if pd.isna(v) else v for v in result] == expected


def test_series_version_rejects_the_first_invalid_counts() -> None:
    with pytest.raises(ValueError, match="yes=5, n=3"):
        percent_half_up_series(pd.Series([1, 5, 9]), pd.Series([2, 3, 4]))
