"""Logistic regression on covariate patterns: the design matrix, aliasing and Newton fitting.

Fitting is Newton-Raphson (IRLS for the canonical link) with SPSS's defaults: at most 20
iterations, stopping when no parameter changes by 0.001 or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from probation_pipeline.stats.stepwise.patterns import CovariatePatterns

MAX_ITERATIONS = 20
"""SPSS LOGISTIC REGRESSION default ITERATE(20)."""
PARAMETER_CONVERGENCE = 0.001
"""SPSS default BCON(0.001): stop when no parameter changes by this much or more."""
MAX_HALVINGS = 30
"""Halvings of a Newton step that would lower the log-likelihood before giving up the step."""
STEP_TOLERANCE = 1e-9
"""Relative fall in log-likelihood taken as rounding, not as an overshooting step."""
SINGULARITY_TOLERANCE = 1e-8
"""Relative pivot below which a column counts as a linear combination of the earlier ones."""


@dataclass(frozen=True)
class Design:
    """Indicator matrix over the patterns: column 0 is the constant, then each block in turn."""

    matrix: np.ndarray
    blocks: dict[str, np.ndarray]
    terms: tuple[tuple[str | None, str | None], ...]


def design(patterns: CovariatePatterns) -> Design:
    columns: list[np.ndarray] = [np.ones(patterns.n_patterns)]
    terms: list[tuple[str | None, str | None]] = [(None, None)]
    blocks: dict[str, np.ndarray] = {}
    for variable, coding in patterns.codings.items():
        codes = patterns.codes[variable]
        start = len(columns)
        for index, level in enumerate(coding.levels):
            if level == coding.reference:
                continue
            columns.append((codes == index).astype(float))
            terms.append((variable, level))
        blocks[variable] = np.arange(start, len(columns))
    return Design(np.column_stack(columns), blocks, tuple(terms))


def independent_columns(gram: np.ndarray, tolerance: float = SINGULARITY_TOLERANCE) -> np.ndarray:
    """Mask of the columns, taken in order, that are not linear combinations of earlier kept ones.

    `gram` is X' diag(cases) X. A column is redundant when its residual sum of squares after
    projecting on the kept columns is below `tolerance` times its own sum of squares: the sweep
    criterion SPSS uses to drop redundant parameters, in the order the columns appear.
    """
    diagonal = np.diag(gram)
    if np.all(diagonal > 0):
        # Fast path: the squared Cholesky pivots of the scaled matrix are exactly these relative
        # residuals, so one factorisation settles the usual full-rank case.
        scale = 1.0 / np.sqrt(diagonal)
        try:
            pivots = np.diag(np.linalg.cholesky(gram * scale[:, None] * scale[None, :])) ** 2
        except np.linalg.LinAlgError:
            pivots = np.zeros(1)
        if np.all(pivots > tolerance):
            return np.ones(len(gram), dtype=bool)
    keep = np.zeros(len(gram), dtype=bool)
    for j in range(len(gram)):
        kept = np.flatnonzero(keep)
        diagonal = gram[j, j]
        if diagonal <= 0:
            continue
        if len(kept):
            g = gram[np.ix_(kept, [j])]
            residual = diagonal - (g.T @ np.linalg.solve(gram[np.ix_(kept, kept)], g)).item()
        else:
            residual = diagonal
        keep[j] = residual > tolerance * diagonal
    return keep


@dataclass(frozen=True)
class Fit:
    columns: np.ndarray
    params: np.ndarray
    covariance: np.ndarray
    fitted: np.ndarray
    log_likelihood: float
    converged: bool
    iterations: int

    @property
    def minus2_log_likelihood(self) -> float:
        return -2.0 * self.log_likelihood


def _log_likelihood(eta: np.ndarray, cases: np.ndarray, yes: np.ndarray) -> float:
    # Bernoulli log-likelihood summed over the cases of each pattern (no binomial coefficient),
    # so -2LL equals the case-level value that SPSS, R and statsmodels report.
    return float(yes @ eta - cases @ np.logaddexp(0.0, eta))


def fit_binomial(
    matrix: np.ndarray,
    cases: np.ndarray,
    yes: np.ndarray,
    *,
    max_iterations: int = MAX_ITERATIONS,
    convergence: float = PARAMETER_CONVERGENCE,
) -> tuple[np.ndarray, np.ndarray, float, bool, int]:
    """Maximum likelihood logistic regression on binomial counts by Newton-Raphson.

    `matrix` (patterns x parameters, full column rank, first column the constant) with `cases`
    and `yes` per pattern. Starts, as SPSS does, from the constant at the logit of the overall
    proportion and other parameters at 0; stops after the first step in which no parameter
    changes by `convergence` or more, or after `max_iterations` steps (not converged).

    Returns (params, covariance = inverse information at params, log-likelihood, converged,
    iterations).
    """
    params = np.zeros(matrix.shape[1])
    proportion = yes.sum() / cases.sum()
    if 0 < proportion < 1:
        params[0] = math.log(proportion / (1 - proportion))
    converged = False
    iterations = 0
    log_likelihood = _log_likelihood(matrix @ params, cases, yes)
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is returned)
        fitted = special.expit(matrix @ params)
        weights = cases * fitted * (1 - fitted)
        information = (matrix * weights[:, None]).T @ matrix
        score = matrix.T @ (yes - cases * fitted)
        change, log_likelihood = _ascending_step(
            matrix, cases, yes, params, solve(information, score), log_likelihood
        )
        params = params + change
        if np.max(np.abs(change)) < convergence:
            converged = True
            break
    eta = matrix @ params
    fitted = special.expit(eta)
    information = (matrix * (cases * fitted * (1 - fitted))[:, None]).T @ matrix
    covariance = inverse(information)
    return params, covariance, _log_likelihood(eta, cases, yes), converged, iterations


def _ascending_step(
    matrix: np.ndarray,
    cases: np.ndarray,
    yes: np.ndarray,
    params: np.ndarray,
    change: np.ndarray,
    log_likelihood: float,
) -> tuple[np.ndarray, float]:
    """The Newton step, halved while it would lower the log-likelihood; and the new value.

    A full Newton step on a well-posed fit always climbs, so this changes nothing there. With
    separated cells the information is near-singular and the least-squares direction can
    overshoot by orders of magnitude (a 38-case model once reached log-likelihood -4e11, far
    below the constant-only start); halving keeps every fit at least as good as the start, so
    likelihood-ratio tests and pseudo-R² stay finite.
    """
    tolerance = STEP_TOLERANCE * (1.0 + abs(log_likelihood))
    for _ in range(MAX_HALVINGS):
        candidate = _log_likelihood(matrix @ (params + change), cases, yes)
        if math.isfinite(candidate) and candidate >= log_likelihood - tolerance:
            return change, candidate
        change = change / 2.0
    return np.zeros_like(change), log_likelihood


def solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        # Information singular to working precision (separated cells): least squares still
        # gives the Newton direction on the identifiable part.
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


def inverse(matrix: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(matrix)
