"""The forward stepwise procedure (SPSS "Forward: LR") and the final model's report."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from probation_pipeline.stats.stepwise.logistic import (
    MAX_ITERATIONS,
    PARAMETER_CONVERGENCE,
    Design,
    Fit,
)
from probation_pipeline.stats.stepwise.patterns import CovariatePatterns, collapse_patterns
from probation_pipeline.stats.stepwise.results import (
    CONSTANT,
    Coefficient,
    EmptyLevelWarning,
    SeparationWarning,
    Step,
    StepwiseInputError,
    StepwiseResult,
    term_name,
)
from probation_pipeline.stats.stepwise.tests import Engine, chi2_log_sf, first_of_best

_Z_975 = float(special.ndtri(0.975))  # the standard normal quantile, as scipy.stats.norm.ppf


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
    engine = Engine(patterns, max_iterations, convergence)
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
        _, _, variable, statistic, df = first_of_best(tests)
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
            neg_log_p, _, variable, statistic, df = first_of_best(removals)
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
    # 0.0 - : the constant-only model gives 0.0, not -0.0 (which a CSV would print as "-0.0").
    cox_snell = 0.0 - math.expm1(2.0 * (null_log_likelihood - log_likelihood) / n)
    maximum = -math.expm1(2.0 * null_log_likelihood / n)
    return cox_snell, cox_snell / maximum


def _coefficients(design: Design, fit: Fit) -> tuple[Coefficient, ...]:
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
