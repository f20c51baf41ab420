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

The package is split by concern: `results` (what a fit returns and warns), `patterns` (the
collapse), `logistic` (design and Newton fitting), `tests` (score and likelihood-ratio tests with
the fit cache) and `procedure` (the stepwise loop and the final report).
"""

from probation_pipeline.stats.stepwise.logistic import (
    MAX_ITERATIONS,
    PARAMETER_CONVERGENCE,
    SINGULARITY_TOLERANCE,
    fit_binomial,
)
from probation_pipeline.stats.stepwise.patterns import (
    CovariatePatterns,
    collapse_patterns,
)
from probation_pipeline.stats.stepwise.procedure import forward_stepwise
from probation_pipeline.stats.stepwise.results import (
    CONSTANT,
    Coefficient,
    EmptyLevelWarning,
    RedundantBlockWarning,
    SeparationWarning,
    Step,
    StepwiseInputError,
    StepwiseResult,
    StepwiseWarning,
    VariableCoding,
    term_name,
)
from probation_pipeline.stats.stepwise.tests import EXTREME_PROBABILITY, chi2_log_sf

__all__ = [
    "CONSTANT",
    "EXTREME_PROBABILITY",
    "MAX_ITERATIONS",
    "PARAMETER_CONVERGENCE",
    "SINGULARITY_TOLERANCE",
    "Coefficient",
    "CovariatePatterns",
    "EmptyLevelWarning",
    "RedundantBlockWarning",
    "SeparationWarning",
    "Step",
    "StepwiseInputError",
    "StepwiseResult",
    "StepwiseWarning",
    "VariableCoding",
    "chi2_log_sf",
    "collapse_patterns",
    "fit_binomial",
    "forward_stepwise",
    "term_name",
]
