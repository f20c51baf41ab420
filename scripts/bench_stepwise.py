"""Benchmark: the seven assessment models on covariate patterns vs the plain case-level loop.

    .venv/bin/python scripts/bench_stepwise.py --cases 1000000 [--baseline-cases N] [--repeat 3]

Times `fit_assessment_models` (pattern collapse, IRLS on binomial counts, score-test entry,
likelihood-ratio removal, final fits) on `--cases` synthetic case records, then, in the same run,
the plain approach: the same stepwise loop with every model refitted by maximum likelihood on the
case-level rows with statsmodels `Logit` (Newton), entry by statsmodels' case-level GLM score test
from the current fit, removal by refitting each reduced model. Reports both times, the ratio, and
whether the two select the same variables with the same steps. The baseline takes minutes at one
million cases; `--baseline-cases` runs it (and the fast path again, for a like-for-like ratio) on
fewer cases.

Data: `probation_pipeline.sample.scale.scale_case_records` (the project's scale generator).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

from probation_pipeline.reference import Reference
from probation_pipeline.sample.scale import scale_case_records
from probation_pipeline.stats.models import (
    DEFAULT_CANDIDATES,
    fit_assessment_models,
    model_frame,
    model_levels,
)
from probation_pipeline.stats.stepwise import StepwiseWarning, chi2_log_sf

REFERENCE_FOLDER = Path(__file__).resolve().parents[1] / "data" / "reference"


def case_records(n_cases: int, seed: int, reference: Reference) -> pd.DataFrame:
    """Synthetic canonical case records from the project's scale generator."""
    n_areas = max(1, min(40, n_cases // 500))
    return scale_case_records(n_cases, n_areas, seed, reference)


def baseline_stepwise(
    frame: pd.DataFrame,
    outcome: str,
    candidates: Sequence[str],
    entry: float = 0.05,
    removal: float = 0.10,
) -> list[tuple[str, str, float, int]]:
    """The plain loop: every model refitted by ML on the cases; returns (action, variable, stat, df).

    Same rules as `forward_stepwise` (smallest p enters if < entry; largest p leaves if > removal,
    repeatedly; ties by candidate order; stop on a repeated model; p compared on the log scale).
    The coding uses the first level with cases as reference. No aliasing handling (not needed
    on this data).
    """
    known = frame[outcome].notna()
    for variable in candidates:
        known &= frame[variable].notna()
    data = frame.loc[known]
    y = data[outcome].to_numpy(dtype=float)
    blocks = {}
    for variable in candidates:
        codes = data[variable].cat.codes.to_numpy()
        present = np.flatnonzero(np.bincount(codes, minlength=len(data[variable].cat.categories)))
        blocks[variable] = np.column_stack(
            [(codes == level).astype(float) for level in present[1:]]
        )
    constant = np.ones((len(data), 1))

    def design(model: Sequence[str]) -> np.ndarray:
        return np.hstack([constant, *(blocks[v] for v in model)])

    def fit(model: Sequence[str]):
        return sm.Logit(y, design(model)).fit(method="newton", disp=0, maxiter=20)

    model: tuple[str, ...] = ()
    visited = {frozenset()}
    steps: list[tuple[str, str, float, int]] = []
    while True:
        current = fit(model)
        glm = sm.GLM(y, design(model), family=sm.families.Binomial())
        tests = []
        for order, variable in enumerate(candidates):
            if variable in model:
                continue
            statistic, _, df = glm.score_test(current.params, exog_extra=blocks[variable])
            statistic, df = np.asarray(statistic).item(), int(np.asarray(df).item())
            tests.append((chi2_log_sf(statistic, df), order, variable, statistic, df))
        if not tests or min(tests)[0] >= math.log(entry):
            return steps
        _, _, variable, statistic, df = min(tests)
        if frozenset((*model, variable)) in visited:
            return steps
        model = (*model, variable)
        visited.add(frozenset(model))
        steps.append(("enter", variable, statistic, int(df)))
        while model:
            full = fit(model)
            removals = []
            for order, in_model in enumerate(candidates):
                if in_model not in model:
                    continue
                reduced = fit(tuple(v for v in model if v != in_model))
                statistic = 2.0 * (full.llf - reduced.llf)
                df = blocks[in_model].shape[1]
                removals.append((-chi2_log_sf(statistic, df), order, in_model, statistic, df))
            neg_log_p, _, variable, statistic, df = min(removals)
            if -neg_log_p <= math.log(removal):
                break
            reduced_model = tuple(v for v in model if v != variable)
            if frozenset(reduced_model) in visited:
                return steps
            model = reduced_model
            visited.add(frozenset(model))
            steps.append(("remove", variable, statistic, df))


def time_fast(records: pd.DataFrame, reference: Reference, repeat: int):
    best = math.inf
    models = None
    for _ in range(repeat):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StepwiseWarning)
            models = fit_assessment_models(records, reference)
        best = min(best, time.perf_counter() - start)
    return best, models


def time_baseline(records: pd.DataFrame, reference: Reference):
    start = time.perf_counter()
    frame = model_frame(records, reference, DEFAULT_CANDIDATES)
    model_levels(reference, DEFAULT_CANDIDATES)
    steps = {q: baseline_stepwise(frame, q, DEFAULT_CANDIDATES) for q in reference.question_ids}
    return time.perf_counter() - start, steps


def compare(models, baseline_steps) -> tuple[bool, float]:
    """(same actions and variables in the same order for every question, max |statistic diff|)."""
    same = True
    worst = 0.0
    for question, steps in baseline_steps.items():
        fast = [(s.action, s.variable) for s in models.results[question].steps]
        same &= fast == [(a, v) for a, v, _, _ in steps]
        for s, (_, _, statistic, _) in zip(models.results[question].steps, steps, strict=False):
            worst = max(worst, abs(s.statistic - statistic) / max(1.0, abs(statistic)))
    return same, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument(
        "--baseline-cases",
        type=int,
        default=None,
        help="cases for the baseline comparison (default: --cases)",
    )
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--repeat", type=int, default=3, help="fast-path repeats (best is kept)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    reference = Reference(REFERENCE_FOLDER)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpu, "
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"statsmodels {sm.__version__}"
    )
    start = time.perf_counter()
    records = case_records(args.cases, args.seed, reference)
    print(f"data: {len(records):,} cases generated in {time.perf_counter() - start:.1f} s")

    fast_time, models = time_fast(records, reference, args.repeat)
    print(
        f"fast: seven models on {len(records):,} cases: {fast_time:.3f} s (best of {args.repeat})"
    )
    for row in models.summaries.itertuples():
        print(
            f"  {row.question_id:18s} n={row.n_used:>9,} R2N={row.nagelkerke_r2:.4f} "
            f"selected: {row.selected or '(none)'}"
        )
    if args.no_baseline:
        return

    n_baseline = args.baseline_cases or args.cases
    if n_baseline != len(records):
        records = case_records(n_baseline, args.seed, reference)
        fast_time, models = time_fast(records, reference, args.repeat)
        print(f"fast on the baseline's {n_baseline:,} cases: {fast_time:.3f} s")
    baseline_time, baseline_steps = time_baseline(records, reference)
    same, worst = compare(models, baseline_steps)
    print(f"baseline (statsmodels Logit refits on {n_baseline:,} cases): {baseline_time:.1f} s")
    print(f"ratio baseline / fast: {baseline_time / fast_time:,.0f}x")
    print(f"identical selections and steps: {same}; max relative statistic difference: {worst:.2e}")


if __name__ == "__main__":
    main()
