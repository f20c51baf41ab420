"""Margin-preserving swaps that make the stepwise models select what the bulletin reports.

The tables fix, per provider, each variable's one-way margins of every answer; they do not fix how
the variables combine, which is what a model with several variables sees. The swaps of swaps.py
(one variable's levels exchanged between two cases of the same provider with identical answers to
every question) keep every published cell and headline count and change exactly that joint
structure, and which cases drop out of the models for a missing value.

Here the swaps are accepted by the Metropolis rule on the association score of swaps.py minus a
weighted penalty on the stepwise selections (`findings_penalty`): a large one for each question whose
selection differs from the bulletin's, and, for robustness, how far (log10 scale) each p-value at the
bulletin's final model falls short of a comfortable margin: removal p of a bulletin variable below
`SIGNIFICANT_P`, entry p of any other candidate above `CLEAR_P`; and a term whose sign contradicts
the direction the published tables imply (`stats.findings.published_directions`). A match is robust when every deciding p is 1.5 times clear of its
threshold (ROBUST_FACTOR). Each proposal is a few swaps of one variable; the models are refitted on
covariate patterns (stats/stepwise.py), 25-50 ms for the seven questions. The penalty weighs
heavily until every selection matches robustly, then less, so that the associations recover where the
margins allow. The pass makes `MAX_PROPOSALS` proposals and keeps the best state seen.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.reference import PROVIDERS, TABLE_VARIABLES
from probation_pipeline.sample.model import Levels
from probation_pipeline.sample.swaps import keeps_missing_pairs
from probation_pipeline.stats.findings import MINIMUM_Z, final_model_tests
from probation_pipeline.stats.models import DEFAULT_CANDIDATES
from probation_pipeline.stats.stepwise import (
    StepwiseResult,
    StepwiseWarning,
    collapse_patterns,
    forward_stepwise,
)

SIGNIFICANT_P = 0.01
"""Removal p aimed at for the bulletin's variables at its final model (the threshold is 0.10)."""
CLEAR_P = 0.2
"""Entry p aimed at for every other candidate at the bulletin's final model (threshold 0.05)."""
MISMATCH_PENALTY = 10.0
"""Penalty of a question whose selection differs from the bulletin's."""
SEARCH_WEIGHT = 1000.0
"""Weight of the penalty against the association score (PMI units) while a question mismatches:
the associations barely count until every selection is the bulletin's."""
PENALTY_WEIGHT = 30.0
"""Weight once every selection matches: the associations recover where the margins allow."""
ROBUST_FACTOR = 1.5
"""A matching selection counts as robust when every deciding p is this factor clear of its
threshold: entries below 0.05 / 1.5, removal p at the final model below 0.10 / 1.5, other
candidates' entry p above 0.05 x 1.5, and no term against a published direction."""
SWAPS_PER_PROPOSAL = 3
MAX_PROPOSALS = 2500


@dataclass(frozen=True)
class QuestionFit:
    """One question's selection and penalty on the current codes."""

    question: str
    selected: tuple[str, ...]
    matches: bool
    penalty: float
    robust: bool = False


def model_frame(
    provider: np.ndarray,
    codes: Mapping[str, np.ndarray],
    answers: np.ndarray,
    levels: Levels,
    questions: Sequence[str],
) -> pd.DataFrame:
    """The frame the stepwise models see: level labels as categoricals (-1 missing), answers 0/1."""
    columns: dict[str, object] = {
        "provider": pd.Categorical.from_codes(provider.astype(np.int64), categories=PROVIDERS)
    }
    for variable in TABLE_VARIABLES:
        columns[variable] = pd.Categorical.from_codes(
            np.asarray(codes[variable], dtype=np.int64), categories=levels.labels[variable]
        )
    for qi, question in enumerate(questions):
        answer = answers[:, qi].astype(float)
        answer[answer < 0] = np.nan
        columns[question] = answer
    return pd.DataFrame(columns)


def _hinge(value: float) -> float:
    return max(0.0, value)


def question_penalty(
    frame: pd.DataFrame,
    question: str,
    target: Sequence[str],
    directions: Mapping[tuple[str, str], tuple[float, float]],
) -> tuple[StepwiseResult, float, bool]:
    """(stepwise result, penalty, robust) of one question; see the module docstring and
    ROBUST_FACTOR."""
    patterns = collapse_patterns(frame, question, DEFAULT_CANDIDATES)
    result = forward_stepwise(patterns, question, DEFAULT_CANDIDATES)
    matches = set(result.selected) == set(target)
    robust = matches
    penalty = 0.0 if matches else MISMATCH_PENALTY
    ordered = [v for v in DEFAULT_CANDIDATES if v in target]
    for test in final_model_tests(patterns, ordered, DEFAULT_CANDIDATES):
        log_p = math.log10(max(test.p_value, 1e-300))
        if test.kind == "remove":
            penalty += _hinge(log_p - math.log10(SIGNIFICANT_P))
            robust &= test.p_value < test.threshold / ROBUST_FACTOR
        else:
            penalty += _hinge(math.log10(CLEAR_P) - log_p)
            robust &= test.p_value > test.threshold * ROBUST_FACTOR
    for step in result.steps:
        if step.action == "enter" and step.variable in target:
            penalty += _hinge(math.log10(max(step.p_value, 1e-300)) - math.log10(SIGNIFICANT_P))
            robust &= step.p_value < 0.05 / ROBUST_FACTOR
    for coefficient in result.coefficients:
        published, z_published = directions.get((question, coefficient.term), (0.0, 0.0))
        if coefficient.variable is None or abs(z_published) < MINIMUM_Z:
            continue
        if (coefficient.estimate > 0) != (published > 0):
            z = abs(coefficient.estimate) / max(coefficient.std_error, 1e-9)
            penalty += 1.0 + z
            robust = False
    return result, penalty, robust


def findings_penalty(
    frame: pd.DataFrame,
    findings: Mapping[str, Sequence[str]],
    directions: Mapping[tuple[str, str], tuple[float, float]],
) -> tuple[float, list[QuestionFit]]:
    """Total penalty over the questions of `findings`, and each question's fit."""
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StepwiseWarning)
        for question, target in findings.items():
            result, penalty, robust = question_penalty(frame, question, target, directions)
            matches = set(result.selected) == set(target)
            fits.append(QuestionFit(question, result.selected, matches, penalty, robust))
    return sum(fit.penalty for fit in fits), fits


def swap_towards_findings(
    rng: np.random.Generator,
    provider: np.ndarray,
    codes: pd.DataFrame,
    answers: np.ndarray,
    levels: Levels,
    questions: Sequence[str],
    findings: Mapping[str, Sequence[str]],
    directions: Mapping[tuple[str, str], tuple[float, float]],
    scores: dict[tuple[str, str], np.ndarray],
    max_proposals: int = MAX_PROPOSALS,
) -> tuple[pd.DataFrame, list[QuestionFit], int]:
    """Metropolis swaps on association score - PENALTY_WEIGHT x findings penalty.

    The penalty weighs SEARCH_WEIGHT while some question is not robustly matched
    (ROBUST_FACTOR), PENALTY_WEIGHT once all are. Returns the best codes seen (fewest mismatching
    questions, then fewest not robust, then lowest PENALTY_WEIGHT x penalty - association score),
    their fits, and the number of proposals evaluated. Every published count is unchanged.
    """
    sizes = {variable: len(labels) for variable, labels in levels.labels.items()}
    index = {
        v: np.where(codes[v].to_numpy() < 0, sizes[v], codes[v].to_numpy()).astype(np.int64)
        for v in TABLE_VARIABLES
    }
    p = provider.astype(np.int64)
    pattern = ((answers.astype(np.int64) + 1) * 3 ** np.arange(answers.shape[1])).sum(axis=1)
    group = p * 3 ** answers.shape[1] + pattern
    members = {g: np.flatnonzero(group == g) for g in np.unique(group)}
    swappable = np.concatenate([rows for rows in members.values() if len(rows) > 1])

    def as_codes() -> dict[str, np.ndarray]:
        return {v: np.where(index[v] == sizes[v], -1, index[v]) for v in TABLE_VARIABLES}

    def score_of(variable: str, rows: np.ndarray, level: np.ndarray) -> float:
        total = 0.0
        for (v, w), table in scores.items():
            if v == variable:
                total += float(table[p[rows], level, index[w][rows]].sum())
            elif w == variable:
                total += float(table[p[rows], index[v][rows], level].sum())
        return total

    def evaluate() -> tuple[float, list[QuestionFit]]:
        frame = model_frame(provider, as_codes(), answers, levels, questions)
        return findings_penalty(frame, findings, directions)

    penalty, fits = evaluate()
    association = 0.0  # association score relative to the start

    def key(fits: list[QuestionFit], penalty: float) -> tuple[int, int, float]:
        mismatches = sum(not f.matches for f in fits)
        fragile = sum(not f.robust for f in fits)
        return mismatches, fragile, PENALTY_WEIGHT * penalty - association

    best = (*key(fits, penalty), {v: i.copy() for v, i in index.items()}, fits)
    proposals = 0
    while proposals < max_proposals:
        proposals += 1
        variable = TABLE_VARIABLES[int(rng.integers(len(TABLE_VARIABLES)))]
        firsts, seconds = [], []
        for _ in range(SWAPS_PER_PROPOSAL):
            a = int(swappable[rng.integers(len(swappable))])
            peers = members[int(group[a])]
            b = int(peers[rng.integers(len(peers))])
            taken = a in firsts or a in seconds or b in firsts or b in seconds
            pair = np.array([a, b])
            if (
                index[variable][a] != index[variable][b]
                and not taken
                and keeps_missing_pairs(index, sizes, variable, pair).all()
            ):
                firsts.append(a)
                seconds.append(b)
        if not firsts:
            continue
        first, second = np.array(firsts), np.array(seconds)
        before = score_of(variable, first, index[variable][first]) + score_of(
            variable, second, index[variable][second]
        )
        lf, ls = index[variable][first].copy(), index[variable][second].copy()
        index[variable][first], index[variable][second] = ls, lf
        after = score_of(variable, first, ls) + score_of(variable, second, lf)
        new_penalty, new_fits = evaluate()
        weight = PENALTY_WEIGHT if all(f.robust for f in fits) else SEARCH_WEIGHT
        gain = (after - before) - weight * (new_penalty - penalty)
        if math.log(rng.random()) < gain:
            penalty, fits = new_penalty, new_fits
            association += after - before
            current = key(fits, penalty)
            if current < best[:3]:
                best = (*current, {v: i.copy() for v, i in index.items()}, fits)
        else:
            index[variable][first], index[variable][second] = lf, ls
    out = codes.copy()
    for v in TABLE_VARIABLES:
        out[v] = np.where(best[3][v] == sizes[v], -1, best[3][v]).astype(np.int8)
    return out, best[4], proposals
