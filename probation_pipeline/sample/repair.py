"""Exact repair: the fewest changes to drawn cases that make every published count come out exactly.

Two kinds of integer programs (scipy `milp`, HiGHS) alternate until nothing is left to repair:

- per table variable (both providers at once): which level each case has, given everyone's answers.
  The per-question counts of a variable constrain that variable alone, so each variable is its own
  small problem; the headline totals (female, post-custody, High/Very high RoSH) are constraints too.
- per question and provider: which cases answered it and which said Yes, given everyone's levels.

Each program minimises the number of changed values (plus a small likelihood tie-break) and carries
slack variables at a high price, so it always solves and returns the nearest fit; alternating lets
demographics move when answers alone cannot fit (a question answered by nearly every case pins the
demographics of the few that did not answer it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from probation_pipeline.reference import PROVIDERS, TABLE_VARIABLES
from probation_pipeline.sample.margins import MISSING_LEVEL
from probation_pipeline.sample.model import MISSING, Levels

SLACK_COST = 1000.0
TIME_LIMIT_SECONDS = 600.0
"""A safety net only. The solve must end on the gap: a solution cut off by the clock depends on
the machine's load, and the same seed would then give different files (seen at a 10 s limit on a
loaded 2-core machine)."""
RELATIVE_GAP = 0.005
"""Near-optimal is enough: the aim is few changes, not provably fewest."""
ORDERED_VARIABLES = frozenset({"age_group", "ogrs_band", "rosh_level"})
MISSING_TOGETHER: dict[str, str] = {"ogrs_band": "rosh_level", "rosh_level": "ogrs_band"}
"""Variables whose missing values go together in the model (an unscored case is usually also
unassessed for RoSH): a case missing the partner pays less for missing this one, so that among
equally small repairs the one keeping the link wins."""
MISSING_TOGETHER_BONUS = 1.0


class RepairError(RuntimeError):
    """The repair did not reach the published counts."""


@dataclass(frozen=True)
class Targets:
    """Published counts as arrays: n[q, p, v] and yes[q, p, v] over levels + missing (last).

    `population[v]` maps a level index to (CRC count, NPS count) where the headline fixes it.
    `allowed[v][p]` is the boolean mask of levels a case of provider p may take (missing last).
    """

    questions: tuple[str, ...]
    n: dict[str, np.ndarray]
    yes: dict[str, np.ndarray]
    population: dict[str, dict[int, tuple[int, int]]]
    allowed: dict[str, np.ndarray]

    @classmethod
    def build(
        cls,
        provider_targets: pd.DataFrame,
        levels: Levels,
        population: dict[str, dict[int, tuple[int, int]]],
    ) -> Targets:
        """From `margins.provider_targets` output; `population` as in the class docstring."""
        questions = tuple(dict.fromkeys(provider_targets["question_id"]))
        n: dict[str, np.ndarray] = {}
        yes: dict[str, np.ndarray] = {}
        allowed: dict[str, np.ndarray] = {}
        for variable in (*TABLE_VARIABLES, "all"):
            names = (
                (*levels.labels[variable], MISSING_LEVEL) if variable != "all" else ("All cases",)
            )
            n[variable] = np.zeros((len(questions), 2, len(names)), dtype=np.int64)
            yes[variable] = np.zeros_like(n[variable])
            rows = provider_targets[provider_targets["variable"] == variable]
            for row in rows.itertuples():
                qi = questions.index(row.question_id)
                pi = PROVIDERS.index(row.provider)
                li = names.index(row.level)
                n[variable][qi, pi, li] = row.n
                yes[variable][qi, pi, li] = row.yes
            if variable != "all":
                mask = np.ones((2, len(names)), dtype=bool)
                # A level never published for a provider (CRC High/Very high RoSH) is impossible.
                published = rows.groupby("provider")["level"].apply(set)
                for pi, provider in enumerate(PROVIDERS):
                    for li, name in enumerate(names):
                        mask[pi, li] = name in published.get(provider, set())
                allowed[variable] = mask
        return cls(questions, n, yes, population, allowed)


def level_index(codes: np.ndarray, n_levels: int) -> np.ndarray:
    """Level codes (-1 missing) as indices with missing last."""
    return np.where(codes == MISSING, n_levels, codes)


def count_cells(
    provider: np.ndarray, codes: pd.DataFrame, answers: np.ndarray, targets: Targets
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Current (n, yes) arrays in the shape of `targets.n` / `targets.yes`."""
    n_out: dict[str, np.ndarray] = {}
    yes_out: dict[str, np.ndarray] = {}
    nq = len(targets.questions)
    for variable, target in targets.n.items():
        n_levels = target.shape[2]
        if variable == "all":
            index = np.zeros(len(provider), dtype=np.int64)
        else:
            index = level_index(codes[variable].to_numpy(), n_levels - 1)
        n_arr = np.zeros_like(target)
        yes_arr = np.zeros_like(target)
        for qi in range(nq):
            for pi in range(2):
                mine = provider == pi
                answered = mine & (answers[:, qi] >= 0)
                said_yes = mine & (answers[:, qi] == 1)
                n_arr[qi, pi] = np.bincount(index[answered], minlength=n_levels)
                yes_arr[qi, pi] = np.bincount(index[said_yes], minlength=n_levels)
        n_out[variable] = n_arr
        yes_out[variable] = yes_arr
    return n_out, yes_out


def cell_residual(
    provider: np.ndarray, codes: pd.DataFrame, answers: np.ndarray, targets: Targets
) -> int:
    """Sum of absolute differences between current and target counts (0 = exact)."""
    n_now, yes_now = count_cells(provider, codes, answers, targets)
    total = 0
    for variable in targets.n:
        total += int(np.abs(n_now[variable] - targets.n[variable]).sum())
        total += int(np.abs(yes_now[variable] - targets.yes[variable]).sum())
    for variable, fixed in targets.population.items():
        index = level_index(codes[variable].to_numpy(), targets.n[variable].shape[2] - 1)
        for li, counts in fixed.items():
            for pi in range(2):
                total += abs(int(((index == li) & (provider == pi)).sum()) - counts[pi])
    return total


def _solve(
    cost: np.ndarray,
    rows: list[sparse.csr_matrix],
    lower: list[np.ndarray],
    upper: list[np.ndarray],
    n_binary: int,
) -> np.ndarray:
    matrix = sparse.vstack(rows, format="csr")
    integrality = np.zeros(len(cost))
    integrality[:n_binary] = 1
    upper_bound = np.full(len(cost), np.inf)
    upper_bound[:n_binary] = 1
    result = milp(
        cost,
        integrality=integrality,
        bounds=Bounds(np.zeros(len(cost)), upper_bound),
        constraints=LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper)),
        options={"time_limit": TIME_LIMIT_SECONDS, "mip_rel_gap": RELATIVE_GAP},
    )
    if result.x is None or result.status == 1:
        raise RepairError(f"integer program failed: {result.message}")
    return np.rint(result.x).astype(np.int64)


def _append_counted(
    rows: list, lower: list, upper: list, counted: list, first_slack: int, total: int
) -> None:
    """Append equality rows `block x + s+ - s- = target` for each (block, target) of `counted`.

    Each row gets its own pair of slack columns, numbered from `first_slack` in `counted` order.
    """
    cursor = first_slack
    for block, target in counted:
        k = block.shape[0]
        plus = sparse.csr_matrix(
            (np.ones(k), (np.arange(k), cursor + np.arange(k))), shape=(k, total)
        )
        minus = sparse.csr_matrix(
            (-np.ones(k), (np.arange(k), cursor + k + np.arange(k))), shape=(k, total)
        )
        padded = sparse.hstack(
            [block, sparse.csr_matrix((k, total - block.shape[1]))], format="csr"
        )
        rows.append(padded + plus + minus)
        lower.append(target)
        upper.append(target)
        cursor += 2 * k


def repair_variable(
    provider: np.ndarray,
    codes: pd.DataFrame,
    answers: np.ndarray,
    targets: Targets,
    variable: str,
) -> np.ndarray:
    """New level codes of `variable` for every case: fewest changes that fit all its counts.

    Changing an ordered variable by one step costs less than a bigger jump; leaving a case's level
    unchanged costs nothing; missing OGRS and RoSH are cheaper together (MISSING_TOGETHER).
    """
    n_cases = len(provider)
    n_levels = targets.n[variable].shape[2]
    current = level_index(codes[variable].to_numpy(), n_levels - 1)
    level = np.arange(n_levels)
    if variable in ORDERED_VARIABLES:
        distance = np.abs(current[:, None] - level[None, :]).astype(float)
        jumps_missing = (current[:, None] == n_levels - 1) ^ (level[None, :] == n_levels - 1)
        distance = np.where(jumps_missing, 2.0, distance)
        change = np.where(distance > 0, 1.0 + 0.25 * distance, 0.0)
    else:
        change = (current[:, None] != level[None, :]).astype(float)
    if variable in MISSING_TOGETHER:
        partner_missing = codes[MISSING_TOGETHER[variable]].to_numpy() < 0
        change[partner_missing, n_levels - 1] -= MISSING_TOGETHER_BONUS
    allowed = targets.allowed[variable][provider]
    n_x = n_cases * n_levels
    column = np.arange(n_x).reshape(n_cases, n_levels)

    blocks: list[tuple[sparse.csr_matrix, np.ndarray]] = []
    # Each case has exactly one level.
    blocks.append(
        (
            sparse.csr_matrix(
                (np.ones(n_x), (np.repeat(np.arange(n_cases), n_levels), column.ravel())),
                shape=(n_cases, n_x),
            ),
            np.ones(n_cases),
        )
    )
    counted: list[tuple[sparse.csr_matrix, np.ndarray]] = []
    for qi in range(len(targets.questions)):
        for pi in range(2):
            for kind, mask, target in (
                ("n", answers[:, qi] >= 0, targets.n[variable][qi, pi]),
                ("yes", answers[:, qi] == 1, targets.yes[variable][qi, pi]),
            ):
                del kind
                members = np.flatnonzero(mask & (provider == pi))
                rows_idx = np.repeat(np.arange(n_levels), len(members))
                cols = column[np.tile(members, n_levels), rows_idx]
                counted.append(
                    (
                        sparse.csr_matrix(
                            (np.ones(len(cols)), (rows_idx, cols)), shape=(n_levels, n_x)
                        ),
                        target.astype(float),
                    )
                )
    for li, counts in targets.population.get(variable, {}).items():
        for pi in range(2):
            members = np.flatnonzero(provider == pi)
            counted.append(
                (
                    sparse.csr_matrix(
                        (np.ones(len(members)), (np.zeros(len(members)), column[members, li])),
                        shape=(1, n_x),
                    ),
                    np.array([float(counts[pi])]),
                )
            )
    n_counted = sum(block.shape[0] for block, _ in counted)
    total = n_x + 2 * n_counted
    rows, lower, upper = [], [], []
    first = sparse.hstack([blocks[0][0], sparse.csr_matrix((n_cases, total - n_x))], format="csr")
    rows.append(first)
    lower.append(blocks[0][1])
    upper.append(blocks[0][1])
    _append_counted(rows, lower, upper, counted, n_x, total)
    cost = np.concatenate([change.ravel(), np.full(2 * n_counted, SLACK_COST)])
    # Forbidden levels are priced out rather than removed, to keep the indexing simple.
    cost[:n_x] += np.where(allowed.ravel(), 0.0, 1e6)
    solution = _solve(cost, rows, lower, upper, n_x)
    chosen = solution[:n_x].reshape(n_cases, n_levels).argmax(axis=1)
    return np.where(chosen == n_levels - 1, MISSING, chosen).astype(np.int8)


def repair_answers(
    provider: np.ndarray,
    codes: pd.DataFrame,
    answers: np.ndarray,
    targets: Targets,
    question_index: int,
    provider_index: int,
    yes_logit: np.ndarray,
) -> np.ndarray:
    """New answer codes for one question and provider's cases: fewest changes fitting its counts.

    `yes_logit` (per case of the provider) breaks ties towards the answers the model finds likely.
    Returns the codes of the provider's cases in their order.
    """
    members = np.flatnonzero(provider == provider_index)
    m = len(members)
    current = answers[members, question_index]
    was_answered = current >= 0
    was_yes = current == 1
    # Columns: answered (m), yes (m), then slacks.
    counted: list[tuple[sparse.csr_matrix, np.ndarray]] = []
    for variable in (*TABLE_VARIABLES, "all"):
        n_levels = targets.n[variable].shape[2]
        if variable == "all":
            index = np.zeros(m, dtype=np.int64)
        else:
            index = level_index(codes[variable].to_numpy()[members], n_levels - 1)
        membership = sparse.csr_matrix((np.ones(m), (index, np.arange(m))), shape=(n_levels, m))
        zero = sparse.csr_matrix((n_levels, m))
        counted.append(
            (
                sparse.hstack([membership, zero], format="csr"),
                targets.n[variable][question_index, provider_index].astype(float),
            )
        )
        counted.append(
            (
                sparse.hstack([zero, membership], format="csr"),
                targets.yes[variable][question_index, provider_index].astype(float),
            )
        )
    n_counted = sum(block.shape[0] for block, _ in counted)
    total = 2 * m + 2 * n_counted
    rows, lower, upper = [], [], []
    # yes <= answered
    link = sparse.hstack([-sparse.identity(m), sparse.identity(m)], format="csr")
    rows.append(sparse.hstack([link, sparse.csr_matrix((m, total - 2 * m))], format="csr"))
    lower.append(np.full(m, -np.inf))
    upper.append(np.zeros(m))
    _append_counted(rows, lower, upper, counted, 2 * m, total)
    tie_break = -0.05 * np.clip(yes_logit, -4, 4)
    cost = np.concatenate(
        [
            np.where(was_answered, -1.0, 1.0),
            np.where(was_yes, -1.0, 1.0) + tie_break,
            np.full(2 * n_counted, SLACK_COST),
        ]
    )
    solution = _solve(cost, rows, lower, upper, 2 * m)
    answered = solution[:m] == 1
    said_yes = solution[m : 2 * m] == 1
    return np.where(answered, said_yes.astype(np.int8), np.int8(MISSING)).astype(np.int8)


def repair_to_targets(
    provider: np.ndarray,
    codes: pd.DataFrame,
    answers: np.ndarray,
    targets: Targets,
    yes_logit: np.ndarray,
    max_rounds: int = 8,
) -> tuple[pd.DataFrame, np.ndarray, list[int]]:
    """Alternate variable and answer repairs until every count is exact.

    Returns the repaired (codes, answers) and the residual after each round. Raises RepairError if
    a residual remains after `max_rounds`.
    """
    codes = codes.copy()
    answers = answers.copy()
    history = [cell_residual(provider, codes, answers, targets)]
    for _ in range(max_rounds):
        if history[-1] == 0:
            break
        for variable in TABLE_VARIABLES:
            codes[variable] = repair_variable(provider, codes, answers, targets, variable)
        for qi in range(len(targets.questions)):
            for pi in range(2):
                members = provider == pi
                answers[members, qi] = repair_answers(
                    provider, codes, answers, targets, qi, pi, yes_logit[members, qi]
                )
        history.append(cell_residual(provider, codes, answers, targets))
    if history[-1] != 0:
        raise RepairError(f"residual after {max_rounds} rounds: {history}")
    return codes, answers, history
