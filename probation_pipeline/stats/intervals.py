"""Wilson score intervals for binomial proportions, vectorised.

The Wilson interval behaves well at the small bases and extreme shares of area tables (it never
leaves [0, 1] and is not degenerate at 0% or 100%), which the normal approximation does not. It is
the same interval as `statsmodels.stats.proportion.proportion_confint(method="wilson")`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import norm


def wilson_interval(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return (lower, upper) Wilson bounds on the proportion scale [0, 1], element-wise.

    `successes` and `n` broadcast together; NaN is returned where n is 0 or missing (no interval
    exists without cases). Raises ValueError when confidence is not strictly between 0 and 1 or a
    count is negative or successes exceed n.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    k, m = np.broadcast_arrays(k, m)
    known = ~(np.isnan(k) | np.isnan(m))
    if np.any((k[known] < 0) | (k[known] > m[known])):
        raise ValueError("successes must lie between 0 and n")
    z = norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denominator = 1 + z**2 / m
        centre = (p + z**2 / (2 * m)) / denominator
        half_width = z * np.sqrt(p * (1 - p) / m + z**2 / (4 * m**2)) / denominator
        # At 0% and 100% the bound is exactly 0 or 1; floating error would leave 1e-17.
        lower = np.where(k == 0, 0.0, np.clip(centre - half_width, 0.0, 1.0))
        upper = np.where(k == m, 1.0, np.clip(centre + half_width, 0.0, 1.0))
        lower = np.where(m > 0, lower, np.nan)
        upper = np.where(m > 0, upper, np.nan)
    return lower, upper
