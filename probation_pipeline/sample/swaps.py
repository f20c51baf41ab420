"""Margin-preserving swaps that give back the joint structure the exact repair wore down.

The repair changes each variable separately, so it weakens the links between variables (post-custody
with higher RoSH, missing OGRS with missing RoSH, ...). Swapping one variable's levels between two
cases of the same provider that answered every question identically changes no published count and
no headline total. A swap is kept when it raises the cases' agreement with the model's pairwise
associations: the pointwise mutual information of each pair of variables (missing as a level),
estimated on a large draw from the model. Swaps are accepted by the Metropolis rule at temperature
1 (a greedy pass exaggerates the associations); they keep every margin, so the pass cannot drift
from the targets the way unconstrained annealing does. A missing OGRS band or RoSH level that is
missing together with the other is never swapped away (`keeps_missing_pairs`).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from probation_pipeline.reference import TABLE_VARIABLES
from probation_pipeline.sample.model import draw_demographics
from probation_pipeline.sample.repair import MISSING_TOGETHER

REFERENCE_DRAW = 200_000
"""Cases per provider drawn to estimate the model's associations."""


def association_scores(
    rng: np.random.Generator, sizes: dict[str, int]
) -> dict[tuple[str, str], np.ndarray]:
    """PMI tables [provider, level of v (+missing), level of w (+missing)] for each variable pair.

    `sizes` maps a variable to its number of levels without missing.
    """
    provider = np.repeat(np.array([0, 1], dtype=np.int8), REFERENCE_DRAW)
    draw = draw_demographics(rng, provider)
    scores: dict[tuple[str, str], np.ndarray] = {}
    for v, w in combinations(TABLE_VARIABLES, 2):
        table = np.zeros((2, sizes[v] + 1, sizes[w] + 1))
        for p in range(2):
            mine = draw[draw["provider"] == p]
            iv = np.where(mine[v] < 0, sizes[v], mine[v])
            iw = np.where(mine[w] < 0, sizes[w], mine[w])
            counts = np.zeros((sizes[v] + 1, sizes[w] + 1))
            np.add.at(counts, (iv, iw), 1)
            joint = (counts + 0.5) / (counts.sum() + 0.5 * counts.size)
            table[p] = (
                np.log(joint)
                - np.log(joint.sum(1, keepdims=True))
                - np.log(joint.sum(0, keepdims=True))
            )
        scores[(v, w)] = table
    return scores


def keeps_missing_pairs(
    index: dict[str, np.ndarray], sizes: dict[str, int], variable: str, rows: np.ndarray
) -> np.ndarray:
    """False for the rows whose `variable` may not be swapped away: missing together with its
    MISSING_TOGETHER partner (a swap would only ever separate the pair; the repair made them)."""
    partner = MISSING_TOGETHER.get(variable)
    if partner is None:
        return np.ones(len(rows), dtype=bool)
    return ~((index[variable][rows] == sizes[variable]) & (index[partner][rows] == sizes[partner]))


def swap_towards_associations(
    rng: np.random.Generator,
    provider: np.ndarray,
    codes: pd.DataFrame,
    answers: np.ndarray,
    scores: dict[tuple[str, str], np.ndarray],
    sizes: dict[str, int],
    rounds: int = 200,
) -> tuple[pd.DataFrame, int]:
    """Swap levels within (provider, answer pattern) groups, Metropolis on the association score.

    Returns the new codes and the number of swaps made. Every published count is unchanged.
    """
    codes = codes.copy()
    index = {
        v: np.where(codes[v].to_numpy() < 0, sizes[v], codes[v].to_numpy()).astype(np.int64)
        for v in TABLE_VARIABLES
    }
    pattern = ((answers.astype(np.int64) + 1) * 3 ** np.arange(answers.shape[1])).sum(axis=1)
    group = provider.astype(np.int64) * 3 ** answers.shape[1] + pattern
    p = provider.astype(np.int64)

    def case_score(variable: str, levels: np.ndarray, rows: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows))
        for (v, w), table in scores.items():
            if v == variable:
                total += table[p[rows], levels, index[w][rows]]
            elif w == variable:
                total += table[p[rows], index[v][rows], levels]
        return total

    swaps = 0
    for _ in range(rounds):
        for variable in TABLE_VARIABLES:
            # Random pairs within groups: sort by (group, random key) and pair neighbours.
            order = np.lexsort((rng.random(len(group)), group))
            first, second = order[:-1:2], order[1::2]
            same = group[first] == group[second]
            first, second = first[same], second[same]
            lf, ls = index[variable][first], index[variable][second]
            differ = lf != ls
            differ &= keeps_missing_pairs(index, sizes, variable, first)
            differ &= keeps_missing_pairs(index, sizes, variable, second)
            first, second, lf, ls = first[differ], second[differ], lf[differ], ls[differ]
            gain = (
                case_score(variable, ls, first)
                + case_score(variable, lf, second)
                - case_score(variable, lf, first)
                - case_score(variable, ls, second)
            )
            # Metropolis at temperature 1: the codes become a draw from exp(score) on the fixed
            # margins, which restores the model's associations without exaggerating them.
            take = np.log(rng.random(len(gain))) < gain
            index[variable][first[take]] = ls[take]
            index[variable][second[take]] = lf[take]
            swaps += int(take.sum())
    for v in TABLE_VARIABLES:
        codes[v] = np.where(index[v] == sizes[v], -1, index[v]).astype(np.int8)
    return codes, swaps


def association_summary(provider: np.ndarray, codes: pd.DataFrame) -> dict[str, str]:
    """The links docs/sample-data.md tracks, measured on `codes` (-1 missing), as printed text."""
    nps = np.asarray(provider) == 1
    high_rosh = codes["rosh_level"].to_numpy() == 2
    post = codes["supervision_type"].to_numpy() == 1
    age, ogrs = codes["age_group"].to_numpy(), codes["ogrs_band"].to_numpy()
    both = (age >= 0) & (ogrs >= 0)
    scored = ogrs >= 0
    female = codes["gender"].to_numpy() == 1
    unscored = ogrs < 0
    return {
        "NPS High/VH RoSH: licence vs community": (
            f"{high_rosh[nps & post].mean():.0%} vs {high_rosh[nps & ~post].mean():.0%}"
        ),
        "corr(age group, OGRS band)": f"{np.corrcoef(age[both], ogrs[both])[0, 1]:.2f}",
        "corr(post-custody, OGRS band)": f"{np.corrcoef(post[scored], ogrs[scored])[0, 1]:.2f}",
        "High/VH OGRS: women vs men": (
            f"{(ogrs[female & scored] == 2).mean():.0%} vs {(ogrs[~female & scored] == 2).mean():.0%}"
        ),
        "RoSH missing when OGRS missing": (
            f"{(codes['rosh_level'].to_numpy()[unscored] < 0).mean():.0%} ({unscored.sum()} cases)"
        ),
    }
