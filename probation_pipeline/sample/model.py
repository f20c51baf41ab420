"""The generative model of a synthetic case: demographics, then answers.

Shared by both modes: calibrated mode draws from it and then repairs to the published counts; scale
mode draws from it only. Everything is vectorised numpy on integer level codes; `-1` means missing.

Level codes follow the bulletin's row order (`Reference.table_levels`): gender Male/Female; age group
18-20 ... 50+; ethnic group White, Black, Asian, Mixed, Other; supervision Community sentence /
Post-custody; OGRS band and RoSH level Low, Medium, High/Very high (the merged table level; the
unmerged level is a detail derived from the score, or drawn for RoSH).

The demographic parameters below are plausible values read off the bulletin's table bases (shares by
provider) with links added by assumption (docs/sample-data.md): post-custody cases have higher RoSH
and OGRS, younger people higher OGRS, women lower risk, and a missing OGRS usually comes with a
missing RoSH.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.reference import PROVIDERS, TABLE_VARIABLES, Reference

MISSING = -1
CRC, NPS = 0, 1

# Shares by provider (CRC, NPS), from the bases of Table 2 (every NPS case answered it).
FEMALE_SHARE = (0.183, 0.084)
POST_CUSTODY_SHARE = (0.36, 0.65)
AGE_GROUP_SHARES = (
    (0.053, 0.158, 0.219, 0.292, 0.177, 0.101),
    (0.063, 0.122, 0.226, 0.284, 0.170, 0.135),
)
AGE_MISSING_SHARE = (0.005, 0.0)
ETHNIC_GROUP_SHARES = (
    (0.795, 0.081, 0.047, 0.044, 0.015),
    (0.749, 0.135, 0.036, 0.046, 0.023),
)
ETHNICITY_NOT_STATED_SHARE = (0.018, 0.013)
# Within-group ONS 2011 label shares (order as in ethnicity_ons2011.csv).
ETHNICITY_LABEL_SHARES = {
    "White": (0.88, 0.03, 0.02, 0.07),
    "Mixed": (0.45, 0.15, 0.15, 0.25),
    "Asian": (0.30, 0.40, 0.12, 0.03, 0.15),
    "Black": (0.45, 0.40, 0.15),
    "Other": (0.35, 0.65),
}
# OGRS3 on the logit scale: intercept by provider, then effects (why: younger, post-custody and male
# offenders reoffend more often; the bands come out near the table bases, about 44/29/27%).
OGRS_INTERCEPT = (0.05, -0.15)
OGRS_AGE_EFFECT = (0.75, 0.45, 0.2, 0.0, -0.35, -1.1)
OGRS_POST_CUSTODY_EFFECT = 0.35
OGRS_FEMALE_EFFECT = -0.45
OGRS_SPREAD = 1.15
OGRS_MISSING_SHARE = (0.011, 0.010)
# RoSH: ordinal logit, cut points by provider; CRC cases never reach High (the NPS keeps those).
ROSH_CUTS = ((-0.75, 9.0), (-3.6, 0.05))
ROSH_POST_CUSTODY_EFFECT = 0.55
ROSH_FEMALE_EFFECT = -0.6
ROSH_OGRS_EFFECT = 0.15  # per logit unit of OGRS
ROSH_MISSING_SHARE = (0.015, 0.02)
ROSH_MISSING_IF_OGRS_MISSING = 0.6
VERY_HIGH_SHARE_OF_HIGH = 0.12
# MAPPA (NPS only): eligibility on the logit scale; category 1 sexual, 2 violent, 3 other dangerous.
MAPPA_INTERCEPT = 0.2
MAPPA_HIGH_ROSH_EFFECT = 1.5
MAPPA_POST_CUSTODY_EFFECT = 0.6
MAPPA_CATEGORY_SHARES = (0.33, 0.62, 0.05)
MAPPA_UNKNOWN_SHARE = (0.018, 0.02)
SUSPENDED_SHARE_OF_COMMUNITY = 0.4
QUALITY_LOADING = 0.7
"""Loading of the shared case-quality factor (standard normal) on every question's logit."""


@dataclass(frozen=True)
class Levels:
    """Level labels of the table variables, in bulletin order, and the bulletin's questions, read
    from the reference."""

    questions: tuple[str, ...]
    """The questions the sample answers: the bulletin's (`Reference.bulletin_question_ids`)."""
    labels: dict[str, tuple[str, ...]]
    ethnicity_labels: dict[str, tuple[str, ...]]
    age_bounds: tuple[tuple[int, int], ...]
    ogrs_bounds: tuple[tuple[int, int], ...]

    @classmethod
    def from_reference(cls, reference: Reference) -> Levels:
        labels = {variable: reference.table_levels(variable) for variable in TABLE_VARIABLES}
        by_group: dict[str, list[str]] = {}
        for label, group in reference.ethnic_groups.items():
            if group is not None:
                by_group.setdefault(group, []).append(label)
        ages = reference.age_groups
        age_bounds = tuple(
            (int(lo), int(hi) if not pd.isna(hi) else 79)
            for lo, hi in zip(ages["min_age"], ages["max_age"], strict=True)
        )
        bands = reference.ogrs_bands
        ogrs_table = [
            (level, int(lo), int(hi))
            for level, lo, hi in zip(
                bands["table_level"], bands["min_score"], bands["max_score"], strict=True
            )
        ]
        ogrs_bounds = tuple(
            (
                max(1, min(lo for lvl, lo, _ in ogrs_table if lvl == level)),
                max(hi for lvl, _, hi in ogrs_table if lvl == level),
            )
            for level in labels["ogrs_band"]
        )
        return cls(
            questions=reference.bulletin_question_ids,
            labels=labels,
            ethnicity_labels={group: tuple(items) for group, items in by_group.items()},
            age_bounds=age_bounds,
            ogrs_bounds=ogrs_bounds,
        )


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _categorical(rng: np.random.Generator, shares: np.ndarray) -> np.ndarray:
    """One draw per row of `shares` (rows sum to 1), as the column index."""
    cumulative = np.cumsum(shares, axis=1)
    cumulative[:, -1] = 1.0
    u = rng.random(len(shares))[:, None]
    return (u > cumulative).sum(axis=1)


def draw_demographics(rng: np.random.Generator, provider: np.ndarray) -> pd.DataFrame:
    """Draw the table variables (integer codes, -1 missing) and the OGRS logit for each case.

    `provider` holds CRC (0) / NPS (1) codes. Returns columns provider, gender, age_group,
    ethnic_group, supervision_type, ogrs_band, rosh_level, ogrs_logit.
    """
    n = len(provider)
    p = provider.astype(np.int64)
    pick = np.asarray
    female = rng.random(n) < pick(FEMALE_SHARE)[p]
    post_share = _expit(_logit(pick(POST_CUSTODY_SHARE)[p]) - 0.5 * female)
    post = rng.random(n) < post_share
    age = _categorical(rng, pick(AGE_GROUP_SHARES)[p])
    age_missing = rng.random(n) < pick(AGE_MISSING_SHARE)[p]
    ethnic = _categorical(rng, pick(ETHNIC_GROUP_SHARES)[p])
    ethnic[rng.random(n) < pick(ETHNICITY_NOT_STATED_SHARE)[p]] = MISSING

    ogrs_logit = (
        pick(OGRS_INTERCEPT)[p]
        + pick(OGRS_AGE_EFFECT)[age]
        + OGRS_POST_CUSTODY_EFFECT * post
        + OGRS_FEMALE_EFFECT * female
        + OGRS_SPREAD * rng.standard_normal(n)
    )
    score = np.clip(np.rint(100 * _expit(ogrs_logit)), 1, 99)
    ogrs_band = np.digitize(score, [50, 75])
    ogrs_missing = rng.random(n) < pick(OGRS_MISSING_SHARE)[p]
    ogrs_band[ogrs_missing] = MISSING

    rosh_latent = (
        ROSH_POST_CUSTODY_EFFECT * post
        + ROSH_FEMALE_EFFECT * female
        + ROSH_OGRS_EFFECT * ogrs_logit
        + rng.logistic(size=n)
    )
    cuts = pick(ROSH_CUTS)[p]
    rosh = (rosh_latent > cuts[:, 0]).astype(np.int64) + (rosh_latent > cuts[:, 1])
    rosh_missing = rng.random(n) < np.where(
        ogrs_missing, ROSH_MISSING_IF_OGRS_MISSING, pick(ROSH_MISSING_SHARE)[p]
    )
    rosh[rosh_missing] = MISSING
    age[age_missing] = MISSING
    return pd.DataFrame(
        {
            "provider": p.astype(np.int8),
            "gender": female.astype(np.int8),
            "age_group": age.astype(np.int8),
            "ethnic_group": ethnic.astype(np.int8),
            "supervision_type": post.astype(np.int8),
            "ogrs_band": ogrs_band.astype(np.int8),
            "rosh_level": rosh.astype(np.int8),
            "ogrs_logit": ogrs_logit,
        }
    )


def draw_details(rng: np.random.Generator, cases: pd.DataFrame, levels: Levels) -> pd.DataFrame:
    """Draw the fields behind the table levels, consistent with the codes in `cases`.

    Adds age (years, Int64), ogrs3_score (Int64, inside the band, near `ogrs_logit`), rosh_detail
    (Low/Medium/High/Very high or <NA>), sentence_type, ethnicity (ONS label or `Not stated`),
    mappa_eligible (1/0/-1 unknown) and mappa_category (1-3 or 0). MAPPA is random here; calibrated
    mode overrides it to hit the headline count exactly.
    """
    out = cases.copy()
    n = len(out)
    # Age: uniform within the group (skewed to the young end for 50+).
    bounds = np.asarray(levels.age_bounds)
    group = out["age_group"].to_numpy()
    lo, hi = bounds[np.maximum(group, 0), 0], bounds[np.maximum(group, 0), 1]
    span = hi - lo + 1
    u = rng.random(n)
    u = np.where(group == len(bounds) - 1, u**2, u)
    age = lo + np.floor(u * span).astype(np.int64)
    out["age"] = pd.array(np.where(group >= 0, age, 0), dtype="Int64")
    out.loc[group < 0, "age"] = pd.NA

    # OGRS score: the model's score, clipped into the (possibly repaired) band.
    obounds = np.asarray(levels.ogrs_bounds)
    band = out["ogrs_band"].to_numpy()
    raw = np.rint(100 * _expit(out["ogrs_logit"].to_numpy()))
    blo, bhi = obounds[np.maximum(band, 0), 0], obounds[np.maximum(band, 0), 1]
    outside = (raw < blo) | (raw > bhi)
    jitter = rng.integers(0, 6, n)
    moved = np.where(raw < blo, blo + jitter, bhi - jitter)
    score = np.clip(np.where(outside, moved, raw), blo, bhi).astype(np.int64)
    out["ogrs3_score"] = pd.array(score, dtype="Int64")
    out.loc[band < 0, "ogrs3_score"] = pd.NA

    rosh_labels = np.array(["Low", "Medium", "High", ""], dtype=object)
    rosh = out["rosh_level"].to_numpy()
    detail = rosh_labels[np.where(rosh < 0, 3, rosh)].copy()
    very_high = (rosh == 2) & (rng.random(n) < VERY_HIGH_SHARE_OF_HIGH)
    detail[very_high] = "Very high"
    out["rosh_detail"] = pd.array(np.where(detail == "", None, detail), dtype="string")

    post = out["supervision_type"].to_numpy() == 1
    suspended = rng.random(n) < SUSPENDED_SHARE_OF_COMMUNITY
    out["sentence_type"] = np.where(
        post, "Licence", np.where(suspended, "Suspended Sentence Order", "Community Order")
    )

    ethnic = out["ethnic_group"].to_numpy()
    labels = np.full(n, "Not stated", dtype=object)
    for code, group_name in enumerate(levels.labels["ethnic_group"]):
        rows = np.flatnonzero(ethnic == code)
        options = levels.ethnicity_labels[group_name]
        shares = np.asarray(ETHNICITY_LABEL_SHARES[group_name][: len(options)], dtype=float)
        shares = shares / shares.sum()
        labels[rows] = np.asarray(options, dtype=object)[
            _categorical(rng, np.tile(shares, (len(rows), 1)))
        ]
    out["ethnicity"] = labels

    nps = out["provider"].to_numpy() == NPS
    eligible_logit = (
        MAPPA_INTERCEPT + MAPPA_HIGH_ROSH_EFFECT * (rosh == 2) + MAPPA_POST_CUSTODY_EFFECT * post
    )
    out["mappa_score"] = eligible_logit + rng.logistic(size=n)
    eligible = nps & (out["mappa_score"].to_numpy() > 0.4)
    unknown = rng.random(n) < np.asarray(MAPPA_UNKNOWN_SHARE)[out["provider"].to_numpy()]
    out["mappa_eligible"] = np.where(unknown, -1, eligible.astype(np.int64)).astype(np.int8)
    out["mappa_category"] = draw_mappa_category(rng, out)
    return out


def draw_mappa_category(rng: np.random.Generator, cases: pd.DataFrame) -> np.ndarray:
    """MAPPA category 1-3 for eligible cases, 0 otherwise (category 2 needs a custodial sentence)."""
    n = len(cases)
    category = 1 + _categorical(rng, np.tile(np.asarray(MAPPA_CATEGORY_SHARES), (n, 1)))
    community = cases["supervision_type"].to_numpy() == 0
    category = np.where(community & (category == 2), 1, category)
    return np.where(cases["mappa_eligible"].to_numpy() == 1, category, 0).astype(np.int8)


@dataclass
class AnswerModel:
    """Logistic answer model, per question and provider.

    P(answered) = expit(answered_intercept[q, p] + sum_v answered_effect[v][q, p, level]);
    P(yes | answered) = expit(yes_intercept[q, p] + sum_v yes_effect[v][q, p, level]
                              + QUALITY_LOADING * quality). A missing level contributes 0.
    Questions in `questions` order; providers CRC, NPS.
    """

    questions: tuple[str, ...]
    answered_intercept: np.ndarray
    answered_effect: dict[str, np.ndarray]
    yes_intercept: np.ndarray
    yes_effect: dict[str, np.ndarray]

    @classmethod
    def from_tables(
        cls, cells: pd.DataFrame, levels: Levels, provider_totals: tuple[int, int]
    ) -> AnswerModel:
        """Starting values from the published cells (output of `margins.published_cells`).

        yes effects are the level's logit minus the provider's overall logit, shrunk by half since
        the variables overlap; answered rates are the provider's share of cases answering.
        """
        questions = tuple(dict.fromkeys(cells["question_id"]))
        nq = len(questions)
        yes_intercept = np.zeros((nq, 2))
        answered_intercept = np.zeros((nq, 2))
        yes_effect = {v: np.zeros((nq, 2, len(levels.labels[v]))) for v in TABLE_VARIABLES}
        answered_effect = {v: np.zeros((nq, 2, len(levels.labels[v]))) for v in TABLE_VARIABLES}
        for qi, question in enumerate(questions):
            for pi, provider in enumerate(PROVIDERS):
                mine = cells[(cells["question_id"] == question) & (cells["provider"] == provider)]
                total = mine[mine["variable"] == "all"].iloc[0]
                base = float(_logit(total.yes / total.n))
                # A little extra: the quality factor flattens the marginal rate towards 1/2.
                yes_intercept[qi, pi] = base * 1.12
                answered_intercept[qi, pi] = float(_logit(total.n / provider_totals[pi]))
                for variable in TABLE_VARIABLES:
                    for li, level in enumerate(levels.labels[variable]):
                        cell = mine[(mine["variable"] == variable) & (mine["level"] == level)]
                        if len(cell) and cell.iloc[0].n > 0:
                            rate = (cell.iloc[0].yes + 0.5) / (cell.iloc[0].n + 1)
                            yes_effect[variable][qi, pi, li] = 0.5 * (float(_logit(rate)) - base)
        return cls(questions, answered_intercept, answered_effect, yes_intercept, yes_effect)

    def linear_predictors(self, cases: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(answered logits, yes logits without the quality term), each cases x questions."""
        p = cases["provider"].to_numpy().astype(np.int64)
        answered = self.answered_intercept[:, p].T.copy()
        yes = self.yes_intercept[:, p].T.copy()
        for variable in TABLE_VARIABLES:
            code = cases[variable].to_numpy().astype(np.int64)
            known = code >= 0
            safe = np.maximum(code, 0)
            answered += np.where(known[:, None], self.answered_effect[variable][:, p, safe].T, 0)
            yes += np.where(known[:, None], self.yes_effect[variable][:, p, safe].T, 0)
        return answered, yes

    def draw(
        self, rng: np.random.Generator, cases: pd.DataFrame, quality: np.ndarray
    ) -> np.ndarray:
        """Answers as codes (-1 not answered, 0 No, 1 Yes), cases x questions."""
        answered_logit, yes_logit = self.linear_predictors(cases)
        n, nq = answered_logit.shape
        answered = rng.random((n, nq)) < _expit(answered_logit)
        yes = rng.random((n, nq)) < _expit(yes_logit + QUALITY_LOADING * quality[:, None])
        return np.where(answered, yes.astype(np.int8), np.int8(MISSING)).astype(np.int8)


def rake_answer_model(
    model: AnswerModel,
    cases: pd.DataFrame,
    quality: np.ndarray,
    target_n: dict[str, np.ndarray],
    target_yes: dict[str, np.ndarray],
    rounds: int = 40,
    rake_answered: bool = False,
) -> AnswerModel:
    """Adjust the model on the logit scale until its expected counts on `cases` meet the targets.

    Targets are arrays [question, provider, level (+ missing last)] per table variable, plus `all`
    ([question, provider, 1]), as in repair.Targets. Each round moves every effect by the logit gap
    between the target rate and the expected rate of its cell (raking, one variable at a time);
    missing levels have no effect and are left to the intercept.
    """
    p = cases["provider"].to_numpy().astype(np.int64)
    nq = len(model.questions)
    index = {v: cases[v].to_numpy().astype(np.int64) for v in TABLE_VARIABLES}

    def gap(target_rate: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return _logit(np.clip(target_rate, 0.01, 0.99)) - _logit(np.clip(rate, 0.01, 0.99))

    for _ in range(rounds):
        for variable in ("all", *TABLE_VARIABLES):
            answered_logit, yes_logit = model.linear_predictors(cases)
            weight = _expit(answered_logit)
            prob = _expit(yes_logit + QUALITY_LOADING * quality[:, None])
            n_levels = target_n[variable].shape[2] - (0 if variable == "all" else 1)
            code = np.zeros(len(p), dtype=np.int64) if variable == "all" else index[variable]
            for pi in range(2):
                for li in range(n_levels):
                    rows = (p == pi) & (code == li)
                    size = rows.sum()
                    if size == 0:
                        continue
                    expected_n = weight[rows].sum(axis=0)
                    expected_yes = (weight[rows] * prob[rows]).sum(axis=0)
                    n_goal = target_n[variable][:, pi, li]
                    yes_goal = target_yes[variable][:, pi, li]
                    has = n_goal > 0
                    step_n = gap(n_goal / size, expected_n / size)
                    step_yes = np.where(
                        has, gap(yes_goal / np.maximum(n_goal, 1), expected_yes / expected_n), 0
                    )
                    if variable == "all":
                        model.answered_intercept[:, pi] += step_n
                        model.yes_intercept[:, pi] += step_yes
                    else:
                        if rake_answered:
                            model.answered_effect[variable][:, pi, li] += step_n
                        model.yes_effect[variable][:, pi, li] += step_yes
    del nq
    return model
