"""Forward stepwise binary logistic regression over categorical blocks (SPSS "Forward: LR").

The algorithm, for one binary outcome and a list of categorical candidate variables:

1. Listwise deletion: keep the cases with the outcome and every candidate known.
2. Indicator coding per candidate, one block of columns per variable, with an explicit reference
   category (default: the first level in the given order). A level with no cases left is dropped
   from the coding with an `EmptyLevelWarning`.
3. Start from the constant-only model. At each step compute, from the current fit, the efficient
   score statistic U' I^-1 U of adding each candidate block (chi-square, df = the block's
   non-redundant columns); enter the smallest p if p < `entry`. Then test every variable in the
   model for removal by likelihood ratio (refit without it); remove the largest p if p > `removal`
   and repeat the removal test. Stop when nothing enters or leaves, or when the next model would
   be one already fitted.
4. Report the step log and the final fit: estimates, standard errors, Wald p, odds ratios with
   95% intervals, -2 log-likelihood and Nagelkerke R².

Every candidate is categorical, so the cases collapse to covariate patterns with binomial counts
(cases, yes). The likelihood, score and information on the patterns are sums of the case-level
terms, so every fit, score statistic and likelihood ratio is identical to the case-level one, at
the cost of a few thousand rows instead of millions (docs/statistics.md).

Fitting is Newton-Raphson (IRLS for the canonical link) with SPSS's defaults: at most 20
iterations, stopping when no parameter changes by 0.001 or more. Quasi-complete separation and
redundant (aliased) columns are detected, warned about with specific warning classes, and recorded
in the result.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special, stats

CONSTANT = "constant"
"""Term name of the intercept in coefficient tables."""

MAX_ITERATIONS = 20
"""SPSS LOGISTIC REGRESSION default ITERATE(20)."""
PARAMETER_CONVERGENCE = 0.001
"""SPSS default BCON(0.001): stop when no parameter changes by this much or more."""
SINGULARITY_TOLERANCE = 1e-8
"""Relative pivot below which a column counts as a linear combination of the earlier ones."""
EXTREME_PROBABILITY = 1e-8
"""A fitted probability this close to 0 or 1 marks a pattern as (quasi-)separated."""

_Z_975 = float(stats.norm.ppf(0.975))
# Bincount over the full grid of level combinations is the fastest collapse; beyond this many
# combinations (never reached by the bulletin's seven variables: 2160) fall back to sorting keys.
_DENSE_GRID_LIMIT = 1 << 22


class StepwiseWarning(UserWarning):
    """Base class of the warnings raised (and recorded in the result) by the stepwise fit."""


class SeparationWarning(StepwiseWarning):
    """A fit did not converge and/or has fitted probabilities of 0 or 1: (quasi-)separation."""


class RedundantBlockWarning(StepwiseWarning):
    """Some or all indicator columns of a block are linear combinations of columns in the model."""


class EmptyLevelWarning(StepwiseWarning):
    """A level has no cases after listwise deletion and was dropped from the coding."""


class StepwiseInputError(ValueError):
    """The data or parameters cannot define the model (missing column, unknown level, ...)."""


@dataclass(frozen=True)
class VariableCoding:
    """Indicator coding of one categorical variable on the cases used.

    `levels` are the levels with at least one case, in coding order; `reference` is one of them
    and gets no column; `dropped_levels` were listed but had no cases after listwise deletion.
    """

    variable: str
    levels: tuple[str, ...]
    reference: str
    dropped_levels: tuple[str, ...] = ()

    @property
    def indicator_levels(self) -> tuple[str, ...]:
        """Levels that get an indicator column, in coding order."""
        return tuple(level for level in self.levels if level != self.reference)


@dataclass(frozen=True)
class CovariatePatterns:
    """The cases used, collapsed to distinct covariate patterns with binomial counts.

    `codes[variable][i]` is the index into `codings[variable].levels` of pattern i; `cases[i]` and
    `yes[i]` count the cases of pattern i and those with outcome yes.
    """

    outcome: str
    codings: dict[str, VariableCoding]
    codes: dict[str, np.ndarray]
    cases: np.ndarray
    yes: np.ndarray
    n_excluded: int
    warnings: tuple[str, ...] = ()

    @property
    def n_cases(self) -> int:
        return int(self.cases.sum())

    @property
    def n_patterns(self) -> int:
        return len(self.cases)


@dataclass(frozen=True)
class Step:
    """One entry or removal. `statistic` is the score statistic (enter) or the likelihood ratio
    (remove); `minus2_log_likelihood` is that of the model after the step."""

    step: int
    action: Literal["enter", "remove"]
    variable: str
    statistic: float
    df: int
    p_value: float
    minus2_log_likelihood: float


@dataclass(frozen=True)
class Coefficient:
    """One estimated parameter of the final model; `level` is None for the constant."""

    term: str
    variable: str | None
    level: str | None
    estimate: float
    std_error: float
    wald: float
    p_value: float
    odds_ratio: float
    ci_lower: float
    ci_upper: float


@dataclass(frozen=True)
class StepwiseResult:
    """Outcome of `forward_stepwise`.

    `selected` holds the variables of the final model in entry order. `warnings` holds the text of
    every warning issued during the fit (also emitted through `warnings.warn`).
    """

    outcome: str
    candidates: tuple[str, ...]
    selected: tuple[str, ...]
    steps: tuple[Step, ...]
    coefficients: tuple[Coefficient, ...]
    codings: dict[str, VariableCoding]
    n_used: int
    n_excluded: int
    n_patterns: int
    minus2_log_likelihood: float
    null_minus2_log_likelihood: float
    cox_snell_r2: float
    nagelkerke_r2: float
    converged: bool
    iterations: int
    stop_reason: str
    warnings: tuple[str, ...]


def term_name(variable: str, level: str) -> str:
    """Name of the indicator term of `level` of `variable` in coefficient tables."""
    return f"{variable}={level}"


# --------------------------------------------------------------------------------------------
# Collapse to covariate patterns


def _outcome_array(series: pd.Series, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """(known mask, yes as bool) of a boolean, nullable boolean or 0/1 outcome column."""
    known = series.notna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype):
        return known, series.to_numpy(dtype=bool, na_value=False)
    values = pd.to_numeric(series, errors="coerce")
    bad = known & ~values.isin([0, 1]).to_numpy()
    if bad.any():
        raise StepwiseInputError(
            f"outcome {outcome!r} must be boolean or 0/1; first bad value "
            f"{series[bad].iloc[0]!r} at index {series.index[bad][0]!r}"
        )
    return known, values.fillna(0).to_numpy() == 1


def _level_codes(
    series: pd.Series, variable: str, levels: Sequence[str] | None
) -> tuple[tuple[str, ...], np.ndarray]:
    """(levels in coding order, integer code per row with -1 for missing)."""
    if levels is None:
        if isinstance(series.dtype, pd.CategoricalDtype):
            return tuple(str(c) for c in series.cat.categories), series.cat.codes.to_numpy()
        levels = sorted(str(v) for v in series.dropna().unique())
    levels = tuple(levels)
    if len(set(levels)) != len(levels):
        raise StepwiseInputError(f"levels of {variable!r} repeat: {levels!r}")
    if isinstance(series.dtype, pd.CategoricalDtype) and tuple(series.cat.categories) == levels:
        codes = series.cat.codes.to_numpy()
    else:
        codes = pd.Categorical(series, categories=list(levels)).codes
    unknown = (codes < 0) & series.notna().to_numpy()
    if unknown.any():
        raise StepwiseInputError(
            f"variable {variable!r} has value {series[unknown].iloc[0]!r} (index "
            f"{series.index[unknown][0]!r}) that is not one of its levels {levels!r}"
        )
    return levels, codes


def collapse_patterns(
    data: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    *,
    levels: Mapping[str, Sequence[str]] | None = None,
    reference_levels: Mapping[str, str] | None = None,
) -> CovariatePatterns:
    """Listwise-delete `data` over `outcome` and `candidates` and collapse it to covariate patterns.

    `levels[variable]` fixes the coding order of a variable (default: the categories of a
    categorical column, else the sorted observed values); `reference_levels[variable]` its
    reference category (default: the first level with cases). Levels without cases after
    deletion are dropped with an `EmptyLevelWarning`; if the requested reference is one of them,
    the first level with cases becomes the reference (also warned).

    Raises StepwiseInputError for a missing column, a value outside the given levels, or a
    reference that is not a level.
    """
    levels = dict(levels or {})
    reference_levels = dict(reference_levels or {})
    missing = [c for c in (outcome, *candidates) if c not in data.columns]
    if missing:
        raise StepwiseInputError(f"columns not in the data: {missing!r}")
    if len(set(candidates)) != len(candidates):
        raise StepwiseInputError(f"candidates repeat: {list(candidates)!r}")

    known, yes = _outcome_array(data[outcome], outcome)
    all_levels: list[tuple[str, ...]] = []
    all_codes: list[np.ndarray] = []
    for variable in candidates:
        variable_levels, codes = _level_codes(data[variable], variable, levels.get(variable))
        reference = reference_levels.get(variable)
        if reference is not None and reference not in variable_levels:
            raise StepwiseInputError(
                f"reference level {reference!r} of {variable!r} is not one of {variable_levels!r}"
            )
        known &= codes >= 0
        all_levels.append(variable_levels)
        all_codes.append(codes)

    sizes = [max(len(v), 1) for v in all_levels]
    key = np.zeros(len(data), dtype=np.int64)
    for codes, size in zip(all_codes, sizes, strict=True):
        # Mixed-radix key: one integer per combination of levels.
        key *= size
        key += codes
    key = key[known]
    yes_known = yes[known]
    grid = math.prod(sizes)
    if grid <= _DENSE_GRID_LIMIT:
        cases_grid = np.bincount(key, minlength=grid)
        yes_grid = np.bincount(key, weights=yes_known, minlength=grid)
        pattern_keys = np.flatnonzero(cases_grid)
        cases, yes_counts = cases_grid[pattern_keys], yes_grid[pattern_keys]
    else:
        pattern_keys, inverse = np.unique(key, return_inverse=True)
        cases = np.bincount(inverse)
        yes_counts = np.bincount(inverse, weights=yes_known)
    pattern_codes = np.unravel_index(pattern_keys, sizes) if candidates else ()

    issued: list[str] = []
    codings: dict[str, VariableCoding] = {}
    codes_by_variable: dict[str, np.ndarray] = {}
    for variable, variable_levels, codes in zip(candidates, all_levels, pattern_codes, strict=True):
        counts = np.bincount(codes, weights=cases, minlength=len(variable_levels))
        present = counts > 0
        kept = tuple(lv for lv, p in zip(variable_levels, present, strict=True) if p)
        dropped = tuple(lv for lv, p in zip(variable_levels, present, strict=True) if not p)
        if dropped and len(cases):
            issued.append(
                _warn(
                    EmptyLevelWarning,
                    f"{outcome}: level(s) {', '.join(dropped)} of {variable} have no cases after "
                    "listwise deletion and were dropped from the coding",
                )
            )
        reference = reference_levels.get(variable)
        if reference is None or reference not in kept:
            if reference is not None and kept:
                issued.append(
                    _warn(
                        EmptyLevelWarning,
                        f"{outcome}: reference level {reference} of {variable} has no cases; "
                        f"{kept[0]} is the reference instead",
                    )
                )
            reference = kept[0] if kept else ""
        # Renumber codes over the levels that have cases.
        new_index = np.cumsum(present) - 1
        codings[variable] = VariableCoding(variable, kept, reference, dropped)
        codes_by_variable[variable] = new_index[codes]

    return CovariatePatterns(
        outcome=outcome,
        codings=codings,
        codes=codes_by_variable,
        cases=cases.astype(float),
        yes=yes_counts.astype(float),
        n_excluded=int(len(data) - known.sum()),
        warnings=tuple(issued),
    )


def _warn(category: type[StepwiseWarning], message: str) -> str:
    warnings.warn(message, category, stacklevel=3)
    return message


# --------------------------------------------------------------------------------------------
# Fitting on patterns


@dataclass(frozen=True)
class _Design:
    """Indicator matrix over the patterns: column 0 is the constant, then each block in turn."""

    matrix: np.ndarray
    blocks: dict[str, np.ndarray]
    terms: tuple[tuple[str | None, str | None], ...]


def _design(patterns: CovariatePatterns) -> _Design:
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
    return _Design(np.column_stack(columns), blocks, tuple(terms))


def _independent_columns(gram: np.ndarray, tolerance: float = SINGULARITY_TOLERANCE) -> np.ndarray:
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
class _Fit:
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
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (the count is returned)
        fitted = special.expit(matrix @ params)
        weights = cases * fitted * (1 - fitted)
        information = (matrix * weights[:, None]).T @ matrix
        score = matrix.T @ (yes - cases * fitted)
        change = _solve(information, score)
        params = params + change
        if np.max(np.abs(change)) < convergence:
            converged = True
            break
    eta = matrix @ params
    fitted = special.expit(eta)
    information = (matrix * (cases * fitted * (1 - fitted))[:, None]).T @ matrix
    covariance = _inverse(information)
    return params, covariance, _log_likelihood(eta, cases, yes), converged, iterations


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(matrix, vector)
    except np.linalg.LinAlgError:
        # Information singular to working precision (separated cells): least squares still
        # gives the Newton direction on the identifiable part.
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]


def _inverse(matrix: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(matrix)


class _Engine:
    """Fits and tests on one set of covariate patterns; fits are cached by model."""

    def __init__(
        self, patterns: CovariatePatterns, max_iterations: int, convergence: float
    ) -> None:
        self.patterns = patterns
        self.design = _design(patterns)
        self.max_iterations = max_iterations
        self.convergence = convergence
        # Aliasing depends on which patterns occur, not on the outcome: X' diag(cases) X.
        matrix = self.design.matrix
        self.gram = (matrix * patterns.cases[:, None]).T @ matrix
        self._fits: dict[tuple[str, ...], _Fit] = {}
        self.messages: list[str] = []
        self._issued: set[str] = set()

    def warn(self, category: type[StepwiseWarning], message: str) -> None:
        if message not in self._issued:
            self._issued.add(message)
            self.messages.append(_warn(category, message))

    def columns(self, model: Sequence[str]) -> np.ndarray:
        """Non-redundant columns of `model`, blocks in model order (later columns give way)."""
        wanted = np.concatenate([[0], *(self.design.blocks[v] for v in model)]).astype(int)
        keep = _independent_columns(self.gram[np.ix_(wanted, wanted)])
        return wanted[keep]

    def fit(self, model: tuple[str, ...]) -> _Fit:
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
            fit = _Fit(columns, params, covariance, fitted, log_likelihood, converged, iterations)
            self._check_separation(model, fit)
            self._fits[model] = fit
        return self._fits[model]

    def _check_separation(self, model: tuple[str, ...], fit: _Fit) -> None:
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
        keep = _independent_columns(self.gram[np.ix_(wanted, wanted)])
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
        return float(score @ _solve(information, score)), len(added)

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


def _first_of_best(tests: list[tuple]) -> tuple:
    """The test with the smallest first element, the earliest candidate among (near-)ties.

    Tests are (key, candidate order, ...). Keys within a relative 1e-9 of the best count as
    equal, so that identical blocks differing only by rounding go by candidate order.
    """
    best = min(test[0] for test in tests)
    tied = [t for t in tests if t[0] == best or t[0] - best <= _TIE_TOLERANCE * abs(best)]
    return min(tied, key=lambda test: test[1])


# --------------------------------------------------------------------------------------------
# The stepwise procedure


def forward_stepwise(
    data: pd.DataFrame | CovariatePatterns,
    outcome: str,
    candidates: Sequence[str],
    *,
    levels: Mapping[str, Sequence[str]] | None = None,
    reference_levels: Mapping[str, str] | None = None,
    entry: float = 0.05,
    removal: float = 0.10,
    max_iterations: int = MAX_ITERATIONS,
    convergence: float = PARAMETER_CONVERGENCE,
) -> StepwiseResult:
    """Forward stepwise logistic regression of `outcome` on categorical `candidates`.

    `data` is case-level (one row per case; outcome boolean or 0/1 with missing allowed;
    candidates string or categorical with missing allowed) or already collapsed by
    `collapse_patterns` (then `levels` and `reference_levels` are ignored). `candidates` order
    breaks ties between equal p-values. Entry is by score test at p < `entry`, removal by
    likelihood ratio at p > `removal` (`entry` must not exceed `removal`, as SPSS requires, or
    the procedure could cycle).

    Warnings (`SeparationWarning`, `RedundantBlockWarning`, `EmptyLevelWarning`) are emitted
    and recorded in `StepwiseResult.warnings`. Raises StepwiseInputError for invalid input.
    """
    if not 0 < entry <= removal < 1:
        raise StepwiseInputError(f"need 0 < entry <= removal < 1; got {entry}, {removal}")
    if isinstance(data, CovariatePatterns):
        patterns = data
        candidates = tuple(candidates)
        unknown = [c for c in candidates if c not in patterns.codings]
        if unknown:
            raise StepwiseInputError(f"candidates not in the patterns: {unknown!r}")
    else:
        patterns = collapse_patterns(
            data, outcome, candidates, levels=levels, reference_levels=reference_levels
        )
    candidates = tuple(candidates)
    engine = _Engine(patterns, max_iterations, convergence)
    engine.messages.extend(patterns.warnings)

    n_used = patterns.n_cases
    total_yes = float(patterns.yes.sum())
    if n_used == 0 or total_yes in (0.0, float(n_used)):
        engine.warn(
            SeparationWarning,
            f"{outcome}: outcome is constant or there are no cases ({n_used} used, "
            f"{int(total_yes)} yes); no model fitted",
        )
        return _empty_result(patterns, candidates, engine.messages)

    eligible = []
    for variable in candidates:
        if len(patterns.codings[variable].levels) < 2:
            engine.warn(
                EmptyLevelWarning,
                f"{outcome}: {variable} has fewer than two levels with cases; it cannot enter",
            )
        else:
            eligible.append(variable)

    model: tuple[str, ...] = ()
    visited = {frozenset(model)}
    log: list[Step] = []
    stop_reason = ""

    def record(action: Literal["enter", "remove"], variable: str, stat: float, df: int) -> None:
        log.append(
            Step(
                step=len(log) + 1,
                action=action,
                variable=variable,
                statistic=stat,
                df=df,
                p_value=float(special.chdtrc(df, stat)) if df > 0 else 1.0,
                minus2_log_likelihood=engine.fit(model).minus2_log_likelihood,
            )
        )

    while not stop_reason:
        tests = []
        for order, variable in enumerate(eligible):
            if variable in model:
                continue
            statistic, df = engine.score_test(model, variable)
            if df > 0:
                tests.append((chi2_log_sf(statistic, df), order, variable, statistic, df))
        if not tests or min(tests)[0] >= math.log(entry):
            stop_reason = "no remaining variable meets the entry criterion"
            break
        _, _, variable, statistic, df = _first_of_best(tests)
        if frozenset((*model, variable)) in visited:
            stop_reason = f"entering {variable} would repeat an earlier model"
            break
        model = (*model, variable)
        visited.add(frozenset(model))
        record("enter", variable, statistic, df)

        while model:
            removals = []
            for order, in_model in enumerate(eligible):
                if in_model in model:
                    statistic, df = engine.likelihood_ratio(model, in_model)
                    # Largest p first; on equal p the earlier candidate goes.
                    removals.append((-chi2_log_sf(statistic, df), order, in_model, statistic, df))
            neg_log_p, _, variable, statistic, df = _first_of_best(removals)
            if -neg_log_p <= math.log(removal):
                break
            reduced = tuple(v for v in model if v != variable)
            if frozenset(reduced) in visited:
                stop_reason = f"removing {variable} would repeat an earlier model"
                break
            model = reduced
            visited.add(frozenset(model))
            record("remove", variable, statistic, df)

    final = engine.fit(model)
    null = engine.fit(())
    cox_snell, nagelkerke = _pseudo_r2(null.log_likelihood, final.log_likelihood, n_used)
    return StepwiseResult(
        outcome=outcome,
        candidates=candidates,
        selected=model,
        steps=tuple(log),
        coefficients=_coefficients(engine.design, final),
        codings=patterns.codings,
        n_used=n_used,
        n_excluded=patterns.n_excluded,
        n_patterns=patterns.n_patterns,
        minus2_log_likelihood=final.minus2_log_likelihood,
        null_minus2_log_likelihood=null.minus2_log_likelihood,
        cox_snell_r2=cox_snell,
        nagelkerke_r2=nagelkerke,
        converged=final.converged,
        iterations=final.iterations,
        stop_reason=stop_reason,
        warnings=tuple(engine.messages),
    )


def _pseudo_r2(null_log_likelihood: float, log_likelihood: float, n: int) -> tuple[float, float]:
    """(Cox & Snell R², Nagelkerke R²) as SPSS reports them."""
    cox_snell = -math.expm1(2.0 * (null_log_likelihood - log_likelihood) / n)
    maximum = -math.expm1(2.0 * null_log_likelihood / n)
    return cox_snell, cox_snell / maximum


def _coefficients(design: _Design, fit: _Fit) -> tuple[Coefficient, ...]:
    rows = []
    std_errors = np.sqrt(np.clip(np.diag(fit.covariance), 0.0, None))
    for column, estimate, std_error in zip(fit.columns, fit.params, std_errors, strict=True):
        variable, level = design.terms[column]
        wald = float((estimate / std_error) ** 2) if std_error > 0 else math.nan
        rows.append(
            Coefficient(
                term=CONSTANT if variable is None else term_name(variable, str(level)),
                variable=variable,
                level=level,
                estimate=float(estimate),
                std_error=float(std_error),
                wald=wald,
                p_value=float(special.chdtrc(1, wald)),
                odds_ratio=_exp(estimate),
                ci_lower=_exp(estimate - _Z_975 * std_error),
                ci_upper=_exp(estimate + _Z_975 * std_error),
            )
        )
    return tuple(rows)


def _exp(value: float) -> float:
    # Separated terms have huge standard errors: the interval ends are 0 or infinity.
    with np.errstate(over="ignore"):
        return float(np.exp(value))


def _empty_result(
    patterns: CovariatePatterns, candidates: tuple[str, ...], messages: list[str]
) -> StepwiseResult:
    return StepwiseResult(
        outcome=patterns.outcome,
        candidates=candidates,
        selected=(),
        steps=(),
        coefficients=(),
        codings=patterns.codings,
        n_used=patterns.n_cases,
        n_excluded=patterns.n_excluded,
        n_patterns=patterns.n_patterns,
        minus2_log_likelihood=math.nan,
        null_minus2_log_likelihood=math.nan,
        cox_snell_r2=math.nan,
        nagelkerke_r2=math.nan,
        converged=False,
        iterations=0,
        stop_reason="no model: outcome constant or no cases",
        warnings=tuple(messages),
    )
