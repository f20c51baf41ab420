"""Assessment models: one forward stepwise logistic regression per question (DESIGN.md section 7).

Applies `stepwise.forward_stepwise` to the case records with the bulletin's candidates and
conventions (High/Very high merged, reference = first level in the bulletin's row order, CRC for
provider) and returns publication-ready frames plus a plain-language sentence per question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.contracts import StoredFrame, check_frame, columns, dtypes
from probation_pipeline.reference import PROVIDERS, TABLE_VARIABLES, Reference
from probation_pipeline.stats.levels import with_table_levels
from probation_pipeline.stats.stepwise import (
    Coefficient,
    StepwiseInputError,
    StepwiseResult,
    collapse_patterns,
    forward_stepwise,
)
from probation_pipeline.stats.subgroups import CASES, answered_column, yes_column

DEFAULT_CANDIDATES: tuple[str, ...] = ("provider", *TABLE_VARIABLES)
"""Candidates of the bulletin's models; the order breaks ties between equal p-values."""

VARIABLE_LABELS: dict[str, str] = {
    "provider": "provider",
    "gender": "gender",
    "age_group": "age group",
    "ethnic_group": "ethnic group",
    "supervision_type": "supervision type",
    "ogrs_band": "OGRS band",
    "rosh_level": "RoSH level",
}
"""How variables are named in sentences for readers."""

COEFFICIENT_STATISTICS: tuple[str, ...] = (
    "estimate",
    "std_error",
    "odds_ratio",
    "ci_lower",
    "ci_upper",
    "p_value",
)
INESTIMABLE_STD_ERROR = 100.0
"""A log-odds standard error above this marks a term that separation left without an estimate:
its odds-ratio interval would run from below e^-196 to above e^196."""
SEPARATION_NOTE = (
    "not estimable: (quasi-)complete separation (a subgroup's answers were all the same)"
)
NO_ESTIMATE_NOTE = "not estimable: the fit gave no finite value"
MERGED_VARIABLES: tuple[str, ...] = ("ogrs_band", "rosh_level")
"""Variables whose High and Very high levels `with_table_levels` merges."""
LIST_SEPARATOR = "; "
"""Joins `selected` (variables in entry order) in the summaries frame."""
WARNING_SEPARATOR = " | "


class ModelStepSchema(StoredFrame, frame="model_steps"):
    """A step of a question's forward stepwise regression (`model_steps`)."""

    question_id: Series[pd.StringDtype] = pa.Field()
    step: Series[int] = pa.Field(ge=0)
    action: Series[pd.StringDtype] = pa.Field(isin=("start", "enter", "remove"))
    variable: Series[pd.StringDtype] = pa.Field(nullable=True)
    statistic: Series[float] = pa.Field(nullable=True, ge=0)
    df: Series[int] = pa.Field(ge=0)
    p_value: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    minus2_log_likelihood: Series[float] = pa.Field(nullable=True, ge=0)


class ModelCoefficientSchema(StoredFrame, frame="model_coefficients"):
    """A term of a question's final model (`model_coefficients`); `note` says why a term has no
    estimate ("" when it has one)."""

    question_id: Series[pd.StringDtype] = pa.Field()
    term: Series[pd.StringDtype] = pa.Field()
    estimate: Series[float] = pa.Field(nullable=True)
    std_error: Series[float] = pa.Field(nullable=True, ge=0)
    odds_ratio: Series[float] = pa.Field(nullable=True, ge=0)
    ci_lower: Series[float] = pa.Field(nullable=True, ge=0)
    ci_upper: Series[float] = pa.Field(nullable=True, ge=0)
    p_value: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    note: Series[pd.StringDtype] = pa.Field()

    @pa.dataframe_check(name="estimate_blank_only_with_a_note")
    @classmethod
    def estimate_blank_only_with_a_note(cls, frame: pd.DataFrame) -> pd.Series:
        return (frame["note"] == "").astype(bool) == frame["estimate"].notna()


class ModelSummarySchema(StoredFrame, frame="model_summaries"):
    """One question's model (`model_summaries`): `selected` joined by LIST_SEPARATOR, `warnings`
    by WARNING_SEPARATOR."""

    question_id: Series[pd.StringDtype] = pa.Field(unique=True)
    n_used: Series[int] = pa.Field(ge=0)
    nagelkerke_r2: Series[float] = pa.Field(nullable=True, ge=0, le=1)
    minus2_log_likelihood: Series[float] = pa.Field(nullable=True, ge=0)
    selected: Series[pd.StringDtype] = pa.Field()
    summary_text: Series[pd.StringDtype] = pa.Field()
    warnings: Series[pd.StringDtype] = pa.Field()


class UnknownLevelError(StepwiseInputError):
    """A candidate variable holds a value that is not one of its reference levels."""


@dataclass(frozen=True)
class AssessmentModels:
    """Frames of the `assessment_models` asset and the full result per question.

    `steps` fits ModelStepSchema, `coefficients` ModelCoefficientSchema, `summaries`
    ModelSummarySchema (one row per question, in questions.csv order).
    """

    steps: pd.DataFrame
    coefficients: pd.DataFrame
    summaries: pd.DataFrame
    results: dict[str, StepwiseResult]


def model_levels(reference: Reference, candidates: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Coding order of each candidate: the bulletin's row order, (CRC, NPS) for provider."""
    levels = {}
    for variable in candidates:
        levels[variable] = PROVIDERS if variable == "provider" else reference.table_levels(variable)
        if not levels[variable]:
            raise StepwiseInputError(f"no reference levels for candidate {variable!r}")
    return levels


def model_frame(
    records: pd.DataFrame,
    reference: Reference,
    candidates: Sequence[str] = DEFAULT_CANDIDATES,
    questions: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The questions and candidates of `records`, High/Very high merged, candidates categorical.

    Categorical columns carry the coding order, so each model's collapse reads integer codes
    instead of re-hashing strings. Raises UnknownLevelError for a value outside the levels.
    """
    questions = tuple(reference.question_ids if questions is None else questions)
    columns = [*questions, *candidates]
    missing = [c for c in columns if c not in records.columns]
    if missing:
        raise StepwiseInputError(f"case records lack columns {missing!r}")
    frame = pd.DataFrame({question: records[question] for question in questions})
    for variable, levels in model_levels(reference, candidates).items():
        # Factorise once, then merge and look up levels on the few distinct values only:
        # at national scale this is many times faster than mapping millions of strings.
        codes, uniques = pd.factorize(records[variable])
        distinct = _merged_levels(pd.array(uniques, dtype="string"), variable, reference)
        position = {level: index for index, level in enumerate(levels)}
        # Merging maps an unknown unmerged level to <NA>: look up the original value to name it.
        known = [not pd.isna(value) and value in position for value in distinct]
        lookup = np.array(
            [position[v] if ok else -1 for v, ok in zip(distinct, known, strict=True)] + [-1]
        )
        unknown = [original for original, ok in zip(uniques, known, strict=True) if not ok]
        if unknown:
            first = int(np.flatnonzero((lookup[codes] < 0) & (codes >= 0))[0])
            raise UnknownLevelError(
                f"{variable} has value {unknown[0]!r} (row {records.index[first]!r}) not in its "
                f"levels {levels!r}"
            )
        frame[variable] = pd.Categorical.from_codes(lookup[codes], categories=list(levels))
    return frame


def _merged_levels(
    values: pd.api.extensions.ExtensionArray, variable: str, reference: Reference
) -> list:
    """`values` of `variable` with High/Very high merged by `with_table_levels`."""
    if variable not in MERGED_VARIABLES:
        return list(values)
    small = pd.DataFrame(
        {column: pd.array([pd.NA] * len(values), dtype="string") for column in MERGED_VARIABLES}
    )
    small[variable] = values
    return list(with_table_levels(small, reference)[variable])


def fit_assessment_models(
    records: pd.DataFrame,
    reference: Reference,
    candidates: Sequence[str] = DEFAULT_CANDIDATES,
    reference_levels: Mapping[str, str] | None = None,
) -> AssessmentModels:
    """Fit one forward stepwise model per question of questions.csv on `records`.

    `records` are case records (records/columns.py contract; `ogrs_band`, `rosh_level` unmerged).
    Each model uses the cases that answered the question and have every candidate known; entry
    and removal p are those of models.yaml (`reference.models`). `reference_levels` overrides the
    reference category of a variable (default: the first level in the bulletin's row order, CRC
    for provider). Warnings from the fits are emitted and kept in `summaries.warnings`. Raises
    StepwiseInputError / UnknownLevelError on invalid input.
    """
    entry, removal = reference.models.entry_p, reference.models.removal_p
    questions = reference.question_ids
    frame = model_frame(records, reference, candidates, questions)
    levels = model_levels(reference, candidates)
    results = {
        question: forward_stepwise(
            frame,
            question,
            candidates,
            levels=levels,
            reference_levels=reference_levels,
            entry=entry,
            removal=removal,
        )
        for question in questions
    }
    return _assessment_models(results)


def fit_assessment_models_from_counts(
    counts: pd.DataFrame, reference: Reference
) -> AssessmentModels:
    """`fit_assessment_models(records, reference)` of the cases `counts` counts
    (`stats.subgroups.subgroup_counts`): the same models, steps and statistics (the bulletin's
    candidates and reference levels), from a row per group of cases instead of per case."""
    candidates = DEFAULT_CANDIDATES
    entry, removal = reference.models.entry_p, reference.models.removal_p
    questions = reference.question_ids
    frame = model_frame(counts, reference, candidates, questions=())
    levels = model_levels(reference, candidates)
    cases = counts[CASES].to_numpy()
    results = {}
    for question in questions:
        patterns = collapse_patterns(
            frame,
            question,
            candidates,
            levels=levels,
            counts=(
                cases,
                counts[answered_column(question)].to_numpy(),
                counts[yes_column(question)].to_numpy(),
            ),
        )
        results[question] = forward_stepwise(
            patterns, question, candidates, entry=entry, removal=removal
        )
    return _assessment_models(results)


def _assessment_models(results: dict[str, StepwiseResult]) -> AssessmentModels:
    return AssessmentModels(
        steps=_steps_frame(results),
        coefficients=_coefficients_frame(results),
        summaries=_summaries_frame(results),
        results=results,
    )


def summarise_selection(
    selected: Sequence[str], labels: Mapping[str, str] = VARIABLE_LABELS
) -> str:
    """One plain-language sentence saying which subgroup differences were significant.

    `selected` are the variables of the final model (entry order is kept in the sentence).
    """
    if not selected:
        return (
            "No subgroup difference was significant when accounting for the relationships "
            "between the variables."
        )
    names = [labels.get(variable, variable.replace("_", " ")) for variable in selected]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Differences by {listed} were significant when accounting for the other variables."


def summarise_result(result: StepwiseResult, labels: Mapping[str, str] = VARIABLE_LABELS) -> str:
    """`summarise_selection` of a result, or why there is no model."""
    if not result.steps and not result.coefficients:
        if result.n_used == 0:
            return (
                "No model was fitted: no case answered the question with every subgroup "
                "variable known."
            )
        return (
            f"No model was fitted: all {result.n_used} cases that answered the question (with "
            "every subgroup variable known) gave the same answer, so there is no difference "
            "to test."
        )
    return summarise_selection(result.selected, labels)


def _steps_frame(results: Mapping[str, StepwiseResult]) -> pd.DataFrame:
    # A Step's fields are the frame's columns after question_id.
    rows = [
        {"question_id": question, **asdict(step)}
        for question, result in results.items()
        for step in result.steps
    ]
    return _typed(rows, ModelStepSchema)


def inestimable_note(coefficient: Coefficient, separated: bool) -> str:
    """Why `coefficient` has no usable estimate, or "" when it has one.

    A term is inestimable when any of its statistics is not finite, or when its standard error
    exceeds INESTIMABLE_STD_ERROR (what (quasi-)separation does to a finite-iteration fit).
    `separated` says whether the fit warned of separation (it chooses the note's wording).
    """
    values = [getattr(coefficient, name) for name in COEFFICIENT_STATISTICS]
    finite = all(math.isfinite(value) for value in values)
    if finite and coefficient.std_error <= INESTIMABLE_STD_ERROR:
        return ""
    return SEPARATION_NOTE if separated or finite else NO_ESTIMATE_NOTE


def _coefficients_frame(results: Mapping[str, StepwiseResult]) -> pd.DataFrame:
    rows = []
    for question, result in results.items():
        separated = any("separation" in message for message in result.warnings)
        for c in result.coefficients:
            note = inestimable_note(c, separated)
            statistics = {name: getattr(c, name) for name in COEFFICIENT_STATISTICS}
            if note:
                # Published as shorthand with the note, never as a NaN or an infinity.
                statistics = dict.fromkeys(COEFFICIENT_STATISTICS, math.nan)
            rows.append({"question_id": question, "term": c.term, **statistics, "note": note})
    return _typed(rows, ModelCoefficientSchema)


def _summaries_frame(results: Mapping[str, StepwiseResult]) -> pd.DataFrame:
    rows = [
        {
            "question_id": question,
            "n_used": result.n_used,
            "nagelkerke_r2": result.nagelkerke_r2,
            "minus2_log_likelihood": result.minus2_log_likelihood,
            "selected": LIST_SEPARATOR.join(result.selected),
            "summary_text": summarise_result(result),
            "warnings": WARNING_SEPARATOR.join(result.warnings),
        }
        for question, result in results.items()
    ]
    return _typed(rows, ModelSummarySchema)


def _typed(rows: list[dict], model: type[pa.DataFrameModel]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns(model))).astype(dtypes(model))
    return check_frame(frame, model)
