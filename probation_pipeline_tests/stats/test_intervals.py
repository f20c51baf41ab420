import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from probation_pipeline.stats.intervals import wilson_interval


def test_known_values() -> None:
    # Hand check for 5/10 at 95% (z = 1.959964): centre 0.5, half-width 0.26341.
    lower, upper = wilson_interval([5, 0, 10], [10, 10, 10])
    np.testing.assert_allclose(lower, [0.236593, 0.0, 0.722467], atol=1e-6)
    np.testing.assert_allclose(upper, [0.763407, 0.277533, 1.0], atol=1e-6)


@given(
    st.lists(
        st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_matches_statsmodels(cells: list[tuple[int, int]], confidence: float) -> None:
    successes, n = map(np.array, zip(*cells, strict=True))
    lower, upper = wilson_interval(successes, n, confidence)
    expected_lower, expected_upper = proportion_confint(
        successes, n, alpha=1 - confidence, method="wilson"
    )
    np.testing.assert_allclose(lower, expected_lower, atol=1e-12)
    np.testing.assert_allclose(upper, expected_upper, atol=1e-12)
    assert np.all(lower <= successes / n) and np.all(successes / n <= upper)


def test_no_interval_without_cases() -> None:
    lower, upper = wilson_interval([0, np.nan], [0, np.nan])
    assert np.isnan(lower).all() and np.isnan(upper).all()


@pytest.mark.parametrize(
    ("successes", "n", "confidence"), [(3, 2, 0.95), (-1, 2, 0.95), (1, 2, 1.0)]
)
def test_invalid_input_is_rejected(successes: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, n, confidence)
