"""What the stepwise fit returns and the warnings and errors it raises."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

CONSTANT = "constant"
"""Term name of the intercept in coefficient tables."""


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


def warn(category: type[StepwiseWarning], message: str) -> str:
    """Emit `message` as a `category` warning and return it, to be recorded in the result."""
    warnings.warn(message, category, stacklevel=3)
    return message
