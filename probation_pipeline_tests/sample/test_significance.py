"""The findings swaps: they move the selections and never a published count."""

from __future__ import annotations

import numpy as np
import pandas as pd

from probation_pipeline.reference import TABLE_VARIABLES
from probation_pipeline.sample.model import Levels, draw_demographics
from probation_pipeline.sample.significance import (
    findings_penalty,
    model_frame,
    swap_towards_findings,
)
from probation_pipeline.sample.swaps import association_scores
from probation_pipeline.stats.findings import published_directions
from probation_pipeline_tests.shipped import REFERENCE

QUESTIONS = ("q1", "q2")


def _cells(provider: np.ndarray, codes: pd.DataFrame, answers: np.ndarray) -> dict:
    counts = {}
    for qi in range(answers.shape[1]):
        for variable in TABLE_VARIABLES:
            key = pd.DataFrame(
                {"p": provider, "level": codes[variable], "answer": answers[:, qi]}
            ).value_counts()
            counts[(qi, variable)] = key.sort_index().to_dict()
    return counts


def test_swaps_keep_every_count_and_lower_the_penalty():
    rng = np.random.default_rng(5)
    n = 600
    provider = (rng.random(n) < 0.4).astype(np.int8)
    codes = draw_demographics(rng, provider)
    # Answers driven by age only, coarse (so that swap groups are large).
    answers = np.stack(
        [
            (rng.random(n) < np.where(codes["age_group"] > 2, 0.8, 0.6)).astype(np.int8),
            (rng.random(n) < 0.7 + 0.1 * provider).astype(np.int8),
        ],
        axis=1,
    )
    levels = Levels.from_reference(REFERENCE)
    sizes = {v: len(labels) for v, labels in levels.labels.items()}
    scores = association_scores(np.random.default_rng(0), sizes)
    findings = {"q1": ("provider", "gender"), "q2": ("provider",)}
    directions = published_directions(REFERENCE)
    start = findings_penalty(
        model_frame(provider, codes, answers, levels, QUESTIONS), findings, directions
    )[0]
    swapped, fits, proposals = swap_towards_findings(
        np.random.default_rng(1),
        provider,
        codes,
        answers,
        levels,
        QUESTIONS,
        findings,
        directions,
        scores,
        max_proposals=150,
    )
    assert proposals == 150
    assert _cells(provider, swapped, answers) == _cells(provider, codes, answers)
    end = findings_penalty(
        model_frame(provider, swapped, answers, levels, QUESTIONS), findings, directions
    )[0]
    assert end < start
    assert [f.question for f in fits] == list(QUESTIONS)
    assert any((swapped[v] != codes[v]).any() for v in TABLE_VARIABLES)
