"""Wilson score intervals for binomial proportions, vectorised.

The Wilson interval behaves well at the small bases and extreme shares of area tables (it never
leaves [0, 1] and is not degenerate at 0% or 100%), which the normal approximation does not. The
arithmetic is statsmodels' `proportion_confint(method="wilson")`; this module only adds the
conventions the tables need (validation, NaN without cases, exact 0 and 1 at the extremes).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def wilson_interval(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Return (lower, upper) Wilson bounds on the proportion scale [0, 1], element-wise.

    `successes` and `n` broadcast together; NaN is returned where n is 0 or missing (no interval
    exists without cases). Raises ValueError when confidence is not strictly between 0 and 1 or a
    count is negative or successes exceed n.
    """
    # statsmodels takes ~0.6 s to import: only the steps that compute intervals pay for it.
    from statsmodels.stats.proportion import proportion_confint

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    k, m = np.broadcast_arrays(np.asarray(successes, dtype=float), np.asarray(n, dtype=float))
    known = ~(np.isnan(k) | np.isnan(m))
    if np.any((k[known] < 0) | (k[known] > m[known])):
        raise ValueError("successes must lie between 0 and n")
    with_cases = known & (m > 0)
    lower = np.full(k.shape, np.nan)
    upper = np.full(k.shape, np.nan)
    low, high = proportion_confint(
        k[with_cases], m[with_cases], alpha=1 - confidence, method="wilson"
    )
    # At 0% and 100% the bound is exactly 0 or 1; floating error would leave 1e-17.
    kk, mm = k[with_cases], m[with_cases]
    lower[with_cases] = np.where(kk == 0, 0.0, np.clip(low, 0.0, 1.0))
    upper[with_cases] = np.where(kk == mm, 1.0, np.clip(high, 0.0, 1.0))
    return lower, upper
