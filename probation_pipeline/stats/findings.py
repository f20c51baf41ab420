"""The bulletin's significance findings: which variables its stepwise models selected, per question.

Bulletin 2018/01 (section 2) reports, for each question, the variables its forward stepwise models
found significant (entry p < .05, removal p > .10). They are data (`bulletin_findings.csv`, one row
per question and selected variable), compared here with the project's own models. Like the table
check, the comparison only means something on the bulletin's own inspections
(`reproduction.bulletin_applies`).

Besides the comparison this module gives the statistics that say how robust a selection is: at the
final model, the likelihood ratio for removing each selected variable and the score statistic for
entering each other candidate. A selection is comfortable when the first are far below the removal
threshold and the second far above the entry threshold.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from probation_pipeline.reference import PROVIDERS, Reference
from probation_pipeline.stats.models import (
    DEFAULT_CANDIDATES,
    fit_assessment_models,
    model_frame,
    model_levels,
)
from probation_pipeline.stats.reproduction import expected_cells
from probation_pipeline.stats.stepwise import (
    CONSTANT,
    CovariatePatterns,
    collapse_patterns,
    fit_binomial,
    term_name,
)

FINDINGS_FILE = "bulletin_findings.csv"
COMPARISON_COLUMNS: tuple[str, ...] = (
    "question_id",
    "bulletin_selected",
    "selected",
    "matches",
    "missing",
    "extra",
)
DIRECTION_COLUMNS: tuple[str, ...] = (
    "question_id",
    "term",
    "estimate",
    "published_estimate",
    "published_z",
    "agrees",
)
MINIMUM_Z = 1.0
"""A published direction weaker than this (|z| of its estimate) is not one a model can contradict."""
_LIST = "; "


class FindingsError(ValueError):
    """bulletin_findings.csv names an unknown question or repeats a row."""


def bulletin_findings(reference: Reference) -> dict[str, tuple[str, ...]]:
    """question_id -> the variables the bulletin found significant, in file order.

    Every question of the bulletin's tables (`Reference.bulletin_question_ids`) gets an entry
    (empty if the file lists nothing for it); a question questions.csv adds is not the bulletin's
    and is not compared. Raises FindingsError for a question not in the bulletin or a repeated row.
    """
    frame = pd.read_csv(reference.folder / FINDINGS_FILE, dtype=str, keep_default_na=False)
    questions = reference.bulletin_question_ids
    unknown = sorted(set(frame["question_id"]) - set(questions))
    if unknown:
        raise FindingsError(f"{FINDINGS_FILE}: questions not in the bulletin's tables: {unknown}")
    if frame.duplicated().any():
        raise FindingsError(f"{FINDINGS_FILE}: repeated rows {frame[frame.duplicated()].values}")
    return {
        question: tuple(frame.loc[frame["question_id"] == question, "variable"])
        for question in questions
    }


def selections_from_summaries(summaries: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """question_id -> selected variables, from the `model_summaries` frame (`; `-joined)."""
    return {
        str(row.question_id): tuple(v for v in str(row.selected or "").split(_LIST) if v)
        for row in summaries.itertuples(index=False)
    }


def compare_selections(
    selections: Mapping[str, Sequence[str]], findings: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """One row per question of `findings`: the bulletin's and the model's selections.

    `selections` maps a question to the variables its model selected. Entry order is free, so
    `matches` compares sets. `missing` lists the bulletin's variables the model did not select,
    `extra` those it selected beyond the bulletin's (each joined by `; `). A question absent from
    `selections` counts as selecting nothing.
    """
    rows = []
    for question, expected in findings.items():
        selected = tuple(selections.get(question, ()))
        rows.append(
            {
                "question_id": question,
                "bulletin_selected": _LIST.join(expected),
                "selected": _LIST.join(selected),
                "matches": set(selected) == set(expected),
                "missing": _LIST.join(v for v in expected if v not in selected),
                "extra": _LIST.join(v for v in selected if v not in expected),
            }
        )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


@dataclass(frozen=True)
class FinalTest:
    """A test at the final model: removal of a selected variable (likelihood ratio) or entry of
    another candidate (score statistic). `threshold` is the p it is compared with."""

    variable: str
    kind: Literal["remove", "enter"]
    statistic: float
    df: int
    p_value: float
    threshold: float

    @property
    def log10_margin(self) -> float:
        """How far p is from its threshold on the log10 scale, positive on the side that keeps
        the selection: below the removal threshold for a selected variable, above the entry
        threshold for another candidate."""
        ratio = math.log10(max(self.p_value, 1e-300)) - math.log10(self.threshold)
        return -ratio if self.kind == "remove" else ratio


def _design(patterns: CovariatePatterns, model: Sequence[str]) -> np.ndarray:
    columns = [np.ones(patterns.n_patterns)]
    for variable in model:
        coding = patterns.codings[variable]
        reference = coding.levels.index(coding.reference)
        codes = patterns.codes[variable]
        columns.extend(
            (codes == index).astype(float)
            for index in range(len(coding.levels))
            if index != reference
        )
    return np.column_stack(columns)


def _fit(patterns: CovariatePatterns, model: Sequence[str]) -> tuple[np.ndarray, np.ndarray, float]:
    matrix = _design(patterns, model)
    params, _, log_likelihood, _, _ = fit_binomial(matrix, patterns.cases, patterns.yes)
    return matrix, special.expit(matrix @ params), log_likelihood


def score_statistic(
    patterns: CovariatePatterns, model: Sequence[str], candidate: str
) -> tuple[float, int]:
    """Score statistic U' I^-1 U (and df) of adding `candidate` to the fitted `model`.

    The same statistic as the stepwise entry test, for models without aliased columns (the
    bulletin's variables are never aliased on its data).
    """
    _, fitted, _ = _fit(patterns, model)
    matrix = _design(patterns, (*model, candidate))
    score = matrix.T @ (patterns.yes - patterns.cases * fitted)
    information = (matrix * (patterns.cases * fitted * (1 - fitted))[:, None]).T @ matrix
    solved = np.linalg.lstsq(information, score, rcond=None)[0]
    df = len(patterns.codings[candidate].levels) - 1
    return float(score @ solved), df


def final_model_tests(
    patterns: CovariatePatterns,
    selected: Sequence[str],
    candidates: Sequence[str],
    entry: float = 0.05,
    removal: float = 0.10,
) -> list[FinalTest]:
    """The removal test of every selected variable and the entry test of every other candidate,
    at the model of `selected` (candidates with fewer than two levels are skipped)."""
    tests = []
    _, _, full = _fit(patterns, selected)
    for variable in candidates:
        if len(patterns.codings[variable].levels) < 2:
            continue
        if variable in selected:
            _, _, reduced = _fit(patterns, [v for v in selected if v != variable])
            statistic = max(2.0 * (full - reduced), 0.0)
            df = len(patterns.codings[variable].levels) - 1
            p_value = float(special.chdtrc(df, statistic))
            tests.append(FinalTest(variable, "remove", statistic, df, p_value, removal))
        else:
            statistic, df = score_statistic(patterns, selected, variable)
            p_value = float(special.chdtrc(df, statistic))
            tests.append(FinalTest(variable, "enter", statistic, df, p_value, entry))
    return tests


def published_directions(reference: Reference) -> dict[tuple[str, str], tuple[float, float]]:
    """(question_id, term) -> (estimate, z) of the term in a logistic model of provider and its
    variable fitted to the published per-provider cells (errata applied).

    Every model here selects provider, so this is the direction the tables imply once provider is
    accounted for; a pooled difference can point the other way (High/Very high RoSH is NPS only).
    For provider itself: the provider-only model on the All cases cells.
    """
    cells = expected_cells(reference)
    cells = cells[cells["provider"].isin(PROVIDERS)]
    directions: dict[tuple[str, str], tuple[float, float]] = {}
    for question, mine in cells.groupby("question_id", sort=False):
        for variable, rows in mine.groupby("variable", sort=False):
            rows = rows[rows["expected_n"] > 0]
            nps = (rows["provider"] == PROVIDERS[1]).to_numpy(dtype=float)
            columns = [np.ones(len(rows)), nps]
            terms = [term_name("provider", PROVIDERS[1])]
            if variable != "all":
                levels = reference.table_levels(variable)
                present = [lv for lv in levels[1:] if lv in set(rows["level"])]
                columns += [(rows["level"] == lv).to_numpy(dtype=float) for lv in present]
                terms += [term_name(variable, lv) for lv in present]
            params, covariance, _, _, _ = fit_binomial(
                np.column_stack(columns),
                rows["expected_n"].to_numpy(dtype=float),
                rows["expected_yes"].to_numpy(dtype=float),
            )
            errors = np.sqrt(np.clip(np.diag(covariance), 1e-300, None))
            for index, term in enumerate(terms, start=1):
                if variable == "all" or term.split("=")[0] == variable:
                    z = float(params[index] / errors[index])
                    directions[(question, term)] = (float(params[index]), z)
    return directions


def effect_directions(
    coefficients: pd.DataFrame, reference: Reference, minimum_z: float = MINIMUM_Z
) -> pd.DataFrame:
    """Sign of each final-model term against the direction the published tables imply.

    `coefficients` is the `model_coefficients` frame (question_id, term, estimate). One row per
    term other than the constant (DIRECTION_COLUMNS); `published_estimate` and `published_z` are
    those of `published_directions`. `agrees` is True when the signs agree, or when the tables
    imply no clear direction (|published_z| < `minimum_z`).
    """
    directions = published_directions(reference)
    rows = []
    for row in coefficients.itertuples(index=False):
        if row.term == CONSTANT:
            continue
        estimate, z = directions.get((str(row.question_id), str(row.term)), (math.nan, math.nan))
        agrees = math.isnan(z) or abs(z) < minimum_z or (row.estimate > 0) == (estimate > 0)
        rows.append(
            {
                "question_id": row.question_id,
                "term": row.term,
                "estimate": float(row.estimate),
                "published_estimate": estimate,
                "published_z": z,
                "agrees": bool(agrees),
            }
        )
    return pd.DataFrame(rows, columns=list(DIRECTION_COLUMNS))


def _p(value: float) -> str:
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def findings_report(records: pd.DataFrame, reference: Reference) -> str:
    """Markdown tables of the selections on `records` against the bulletin's, with the
    statistics at entry and the margins at the final model (docs/statistics.md is made of it).

    Margins are factors on p: entry p against 0.05 and removal p against 0.10 for a selected
    variable, the smallest entry p of the others against 0.05.
    """
    models = fit_assessment_models(records, reference)
    findings = bulletin_findings(reference)
    comparison = compare_selections(selections_from_summaries(models.summaries), findings)
    frame = model_frame(records, reference)
    levels = model_levels(reference, DEFAULT_CANDIDATES)
    entries = [
        "| question | step | variable entered | score statistic | df | p | p / 0.05 |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    finals = [
        "| question | selected = bulletin's | removal p of each selected (LR; threshold 0.10) "
        "| nearest other candidate: entry p (score; threshold 0.05) |",
        "|---|---|---|---|",
    ]
    for question, result in models.results.items():
        for step in result.steps:
            entries.append(
                f"| {question} | {step.step} | {step.action} {step.variable} | "
                f"{step.statistic:.2f} | {step.df} | {_p(step.p_value)} | "
                f"{step.p_value / 0.05:.2g} |"
            )
        patterns = collapse_patterns(frame, question, DEFAULT_CANDIDATES, levels=levels)
        tests = final_model_tests(patterns, result.selected, DEFAULT_CANDIDATES)
        removals = ", ".join(f"{t.variable} {_p(t.p_value)}" for t in tests if t.kind == "remove")
        others = [t for t in tests if t.kind == "enter"]
        nearest = min(others, key=lambda t: t.p_value) if others else None
        near = (
            f"{nearest.variable} {_p(nearest.p_value)} (score {nearest.statistic:.2f}, "
            f"df {nearest.df})"
            if nearest
            else "none"
        )
        row = comparison[comparison["question_id"] == question].iloc[0]
        finals.append(f"| {question} | {'yes' if row.matches else 'NO'} | {removals} | {near} |")
    matched = int(comparison["matches"].sum())
    return "\n".join(
        [
            f"Selections as the bulletin's: {matched}/{len(comparison)}.",
            "",
            *entries,
            "",
            *finals,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """python -m probation_pipeline.stats.findings CASE_RECORDS.parquet [REFERENCE_DIR]"""
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    folder = (
        Path(args[1])
        if len(args) > 1
        else Path(__file__).resolve().parents[2] / "data" / "reference"
    )
    records = pd.read_parquet(args[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        print(findings_report(records, Reference(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
