"""The entry and removal tests: a fit cache per model, score tests, likelihood ratios and chi-square
tail probabilities that stay ordered where p-values underflow."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from probation_pipeline.stats.stepwise.logistic import (
    Fit,
    design,
    fit_binomial,
    independent_columns,
    solve,
)
from probation_pipeline.stats.stepwise.patterns import CovariatePatterns
from probation_pipeline.stats.stepwise.results import (
    RedundantBlockWarning,
    SeparationWarning,
    StepwiseWarning,
    warn,
)

EXTREME_PROBABILITY = 1e-8
"""A fitted probability this close to 0 or 1 marks a pattern as (quasi-)separated."""


class Engine:
    """Fits and tests on one set of covariate patterns; fits are cached by model."""

    def __init__(
        self, patterns: CovariatePatterns, max_iterations: int, convergence: float
    ) -> None:
        self.patterns = patterns
        self.design = design(patterns)
        self.max_iterations = max_iterations
        self.convergence = convergence
        # Aliasing depends on which patterns occur, not on the outcome: X' diag(cases) X.
        matrix = self.design.matrix
        self.gram = (matrix * patterns.cases[:, None]).T @ matrix
        self._fits: dict[tuple[str, ...], Fit] = {}
        self.messages: list[str] = []
        self._issued: set[str] = set()

    def warn(self, category: type[StepwiseWarning], message: str) -> None:
        if message not in self._issued:
            self._issued.add(message)
            self.messages.append(warn(category, message))

    def columns(self, model: Sequence[str]) -> np.ndarray:
        """Non-redundant columns of `model`, blocks in model order (later columns give way)."""
        wanted = np.concatenate([[0], *(self.design.blocks[v] for v in model)]).astype(int)
        keep = independent_columns(self.gram[np.ix_(wanted, wanted)])
        return wanted[keep]

    def fit(self, model: tuple[str, ...]) -> Fit:
        if model not in self._fits:
            columns = self.columns(model)
            matrix = self.design.matrix[:, columns]
            params, covariance, log_likelihood, converged, iterations = fit_binomial(
                matrix,
                self.patterns.cases,
                self.patterns.yes,
                max_iterations=self.max_iterations,
                convergence=self.convergence,
            )
            fitted = special.expit(matrix @ params)
            fit = Fit(columns, params, covariance, fitted, log_likelihood, converged, iterations)
            self._check_separation(model, fit)
            self._fits[model] = fit
        return self._fits[model]

    def _check_separation(self, model: tuple[str, ...], fit: Fit) -> None:
        extreme = (fit.fitted < EXTREME_PROBABILITY) | (fit.fitted > 1 - EXTREME_PROBABILITY)
        if fit.converged and not extreme.any():
            return
        described = ", ".join(model) if model else "the constant only"
        reasons = []
        if not fit.converged:
            reasons.append(
                f"no convergence in {self.max_iterations} iterations (parameter change "
                f">= {self.convergence})"
            )
        if extreme.any():
            reasons.append(
                f"fitted probability 0 or 1 for {int(self.patterns.cases[extreme].sum())} case(s)"
            )
        self.warn(
            SeparationWarning,
            f"{self.patterns.outcome}: model with {described}: {'; '.join(reasons)}; "
            "(quasi-)complete separation, estimates for the affected terms are not finite",
        )

    def score_test(self, model: tuple[str, ...], candidate: str) -> tuple[float, int]:
        """Efficient score statistic U' I^-1 U, at the fit of `model`, for adding `candidate`.

        Returns (statistic, df); df = 0 when the block adds no non-redundant column.
        """
        current = self.fit(model)
        block = self.design.blocks[candidate]
        wanted = np.concatenate([current.columns, block])
        keep = independent_columns(self.gram[np.ix_(wanted, wanted)])
        added = wanted[len(current.columns) :][keep[len(current.columns) :]]
        if len(added) < len(block):
            in_model = ", ".join(model) if model else "the constant"
            what = (
                "adds nothing"
                if len(added) == 0
                else (f"has {len(block) - len(added)} of {len(block)} columns redundant")
            )
            self.warn(
                RedundantBlockWarning,
                f"{self.patterns.outcome}: {candidate} {what} given {in_model} (aliased "
                "indicator columns dropped, as SPSS does)",
            )
        if len(added) == 0:
            return 0.0, 0
        columns = np.concatenate([current.columns, added])
        matrix = self.design.matrix[:, columns]
        fitted = current.fitted
        # Full U' I^-1 U (not only the block part) so the statistic is exact even when the
        # current fit stopped short of the maximum.
        score = matrix.T @ (self.patterns.yes - self.patterns.cases * fitted)
        information = (matrix * (self.patterns.cases * fitted * (1 - fitted))[:, None]).T @ matrix
        return float(score @ solve(information, score)), len(added)

    def likelihood_ratio(self, model: tuple[str, ...], variable: str) -> tuple[float, int]:
        """(2 * (LL(model) - LL(model without variable)), df = parameters dropped)."""
        full = self.fit(model)
        reduced = self.fit(tuple(v for v in model if v != variable))
        statistic = 2.0 * (full.log_likelihood - reduced.log_likelihood)
        return max(statistic, 0.0), len(full.columns) - len(reduced.columns)


def chi2_log_sf(statistic: float, df: int) -> float:
    """log P(chi-square with `df` degrees of freedom > `statistic`), finite far into the tail.

    0.0 for df = 0 (a test of nothing). Used to order p-values that underflow to 0.0.
    """
    # Compare p-values on the log scale: at national scale many p-values underflow to 0.0 and
    # would tie; logsf keeps them ordered.
    if df <= 0:
        return 0.0
    # scipy.special directly: the stats.chi2 front end costs more than the fits here.
    p_value = special.chdtrc(df, statistic)
    if p_value > 1e-300:
        return math.log(p_value)
    return _chi2_log_sf_tail(statistic, df)


def _chi2_log_sf_tail(statistic: float, df: int) -> float:
    """log P(chi2_df > statistic) far in the tail, where scipy's sf and logsf underflow.

    The chi-square survival function is the regularised upper incomplete gamma Q(df/2, x/2);
    its continued fraction (modified Lentz) converges fast for x/2 > df/2 + 1, which holds
    whenever the p-value is below 1e-300.
    """
    a, z = df / 2.0, statistic / 2.0
    tiny = 1e-300
    b = z + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    fraction = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return -z + a * math.log(z) - math.lgamma(a) + math.log(fraction)


_TIE_TOLERANCE = 1e-9


def first_of_best(tests: list[tuple]) -> tuple:
    """The test with the smallest first element, the earliest candidate among (near-)ties.

    Tests are (key, candidate order, ...). Keys within a relative 1e-9 of the best count as
    equal, so that identical blocks differing only by rounding go by candidate order.
    """
    best = min(test[0] for test in tests)
    tied = [t for t in tests if t[0] == best or t[0] - best <= _TIE_TOLERANCE * abs(best)]
    return min(tied, key=lambda test: test[1])


# --------------------------------------------------------------------------------------------
# The stepwise procedure
