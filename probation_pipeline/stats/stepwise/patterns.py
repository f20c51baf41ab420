"""Listwise deletion and collapse of case-level data to covariate patterns with binomial counts.

Every candidate is categorical, so the cases collapse to covariate patterns with binomial counts
(cases, yes). The likelihood, score and information on the patterns are sums of the case-level
terms, so every fit, score statistic and likelihood ratio is identical to the case-level one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.stats.stepwise.results import (
    EmptyLevelWarning,
    StepwiseInputError,
    VariableCoding,
    warn,
)

# Bincount over the full grid of level combinations is the fastest collapse; beyond this many
# combinations (never reached by the bulletin's seven variables: 2160) fall back to sorting keys.
_DENSE_GRID_LIMIT = 1 << 22


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
    counts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> CovariatePatterns:
    """Listwise-delete `data` over `outcome` and `candidates` and collapse it to covariate patterns.

    `data` holds a row per case, or, with `counts` = (cases, answered, yes), a row per group of
    cases: the group's cases, how many of them have the outcome known, and how many have it yes
    (integer arrays aligned with `data`; `outcome` then only names the model and need not be a
    column). Both give the same patterns for the same cases.

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
    required = candidates if counts is not None else (outcome, *candidates)
    missing = [c for c in required if c not in data.columns]
    if missing:
        raise StepwiseInputError(f"columns not in the data: {missing!r}")
    if len(set(candidates)) != len(candidates):
        raise StepwiseInputError(f"candidates repeat: {list(candidates)!r}")

    if counts is None:
        known, yes = _outcome_array(data[outcome], outcome)
        answered = None
        n_data = len(data)
    else:
        group_cases, answered, yes = (np.asarray(c, dtype=np.int64) for c in counts)
        known = answered > 0
        n_data = int(group_cases.sum())
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
    # A row per case weighs 1; a row per group weighs its cases with the outcome known. The
    # sums are of integers, so exact whatever the order.
    weights = None if answered is None else answered[known]
    grid = math.prod(sizes)
    if grid <= _DENSE_GRID_LIMIT:
        cases_grid = np.bincount(key, weights=weights, minlength=grid)
        yes_grid = np.bincount(key, weights=yes_known, minlength=grid)
        pattern_keys = np.flatnonzero(cases_grid)
        cases, yes_counts = cases_grid[pattern_keys], yes_grid[pattern_keys]
    else:
        pattern_keys, inverse = np.unique(key, return_inverse=True)
        cases = np.bincount(inverse, weights=weights)
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
                warn(
                    EmptyLevelWarning,
                    f"{outcome}: level(s) {', '.join(dropped)} of {variable} have no cases after "
                    "listwise deletion and were dropped from the coding",
                )
            )
        reference = reference_levels.get(variable)
        if reference is None or reference not in kept:
            if reference is not None and kept:
                issued.append(
                    warn(
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
        n_excluded=int(n_data - cases.sum()),
        warnings=tuple(issued),
    )
