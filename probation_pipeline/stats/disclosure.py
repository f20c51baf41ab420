"""Disclosure control of the judgement tables (DESIGN.md section 9).

The shorthand symbols, the `min_base` check and the notes are shared with the ratings
(`ratings/disclosure.py`), which withhold small-base area ratings by the same threshold.

What is withheld: the percentage (and with it the yes count and interval) of a cell whose base n
is below `min_base` (primary suppression). Bases (n) are always published: they count sampled
cases, not judgements about them, and the DESIGN withholds "any percentage whose base n is under
the threshold".

Secondary suppression: within each row, All = CRC + NPS holds for n and yes; and for each
provider, the levels of a subgroup variable plus the cases with that variable missing add up to the
All-cases row (the missing cases' n is published implicitly: All cases n minus the levels' n). With
every n published, a reader who knows the yes count of the visible cells (from their percentages)
could work out a withheld yes count from these sums. More cells are withheld until no withheld yes
count is pinned to a single value, under this reader model:

- every n is known, visible yes counts are known exactly (conservative: a one-decimal percentage
  pins the count only for n below about 1,000);
- a withheld yes count is only known to lie in 0..n;
- not-applicable cells ([z]) and cells nobody answered ([x]) hold 0;
- the yes count of the cases with a missing subgroup value is only known to lie in 0..their n.

Under that model one equation y_total = y_part1 + y_part2 (+ ...) is safe when the total is
withheld and at least one part is withheld too, or when the total is visible and either no part is
withheld or at least two are and their known sum S is strictly between 0 and their combined n
(S = 0 or S = combined n would force every withheld part to 0% or 100%); the missing cases count
as one more unknown part. Each equation is first made safe on its own (fast, greedy: the smallest
visible part is withheld next, the total last). Equations that share withheld cells can still pin
one jointly (a 2 x 2 block of withheld cells with known margins), so every table (one area and
question) is then audited exactly: the smallest and largest value of each withheld yes count
consistent with all the sums is found by integer programming, and while one is pinned, another
cell of its sums is withheld.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from probation_pipeline.reference import PROVIDERS, DisclosureConfig
from probation_pipeline.stats.tables import ALL_PROVIDERS, ALL_VARIABLE

CONFIDENTIAL = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
SHORTHAND: tuple[str, ...] = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE)

DEFAULT_ROW_KEYS: tuple[str, ...] = ("area", "question_id", "variable", "level")
WITHHELD_VALUE_COLUMNS: tuple[str, ...] = ("yes", "pct_yes", "ci_lower", "ci_upper")


class DisclosureConfigError(ValueError):
    """disclosure.yaml does not explain a shorthand symbol the tables use."""


class IncompleteRowError(ValueError):
    """A row does not hold exactly one All, one CRC and one NPS cell."""


def disclosure_notes(config: DisclosureConfig) -> dict[str, str]:
    """symbol -> meaning for each shorthand symbol, in SHORTHAND order (disclosure.yaml).

    Raises DisclosureConfigError when disclosure.yaml's `shorthand` does not explain every symbol.
    """
    missing = [symbol for symbol in SHORTHAND if symbol not in config.shorthand]
    if missing:
        raise DisclosureConfigError(f"disclosure.yaml: shorthand: does not explain {missing}")
    return {symbol: config.shorthand[symbol] for symbol in SHORTHAND}


@dataclass(frozen=True)
class CellSum:
    """y[total] = sum(y[parts]) + y_missing, where y_missing is unknown in 0..missing_n."""

    table: tuple
    total: int
    parts: tuple[int, ...]
    missing_n: int = 0


def cell_to_withhold(
    equation: CellSum, n: np.ndarray, yes: np.ndarray, withheld: np.ndarray, empty: np.ndarray
) -> int | None:
    """One more cell to withhold so this sum on its own pins no withheld value; None if safe.

    Cells are positions in the arrays; `empty` marks cells known to be 0 ([z] and [x]).
    """
    total, missing_n = equation.total, equation.missing_n
    hidden = [i for i in equation.parts if withheld[i]]
    visible = sorted(
        (i for i in equation.parts if not withheld[i] and not empty[i]), key=lambda i: n[i]
    )
    if withheld[total]:
        # The total is unknown; it stays unknown while some part is unknown too.
        if hidden or missing_n > 0 or not visible:
            return None
        return visible[0]
    if not hidden:
        return None
    if len(hidden) == 1 and missing_n == 0:
        # total - visible parts = the withheld part: hide the smallest other part, else the total.
        return visible[0] if visible else total
    known_sum = int(yes[total]) - sum(int(yes[i]) for i in visible)
    unknown_n = sum(int(n[i]) for i in hidden) + missing_n
    if 0 < known_sum < unknown_n:
        return None
    # Every unknown is forced to 0% or 100%: add a visible part that breaks this, or the total.
    for i in visible:
        if (known_sum == 0 and yes[i] > 0) or (known_sum == unknown_n and yes[i] < n[i]):
            return i
    return total


def _next_to_withhold(
    pinned: int, sums: Sequence[CellSum], n: np.ndarray, withheld: np.ndarray, empty: np.ndarray
) -> int:
    """The smallest visible cell sharing a sum with a pinned cell (else any visible cell)."""
    related = [e for e in sums if pinned in (e.total, *e.parts)]
    for pool in (related, sums):
        candidates = {
            i for e in pool for i in (e.total, *e.parts) if not withheld[i] and not empty[i]
        }
        if candidates:
            return min(candidates, key=lambda i: (n[i], i))
    raise RuntimeError("a withheld value is pinned but no visible cell is left to withhold")


def _pinned_cells(
    equations: Sequence[CellSum], n: np.ndarray, yes: np.ndarray, withheld: np.ndarray
) -> list[int]:
    """Withheld cells whose yes count all `equations` together force to one value (exact, MILP)."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # ~0.15 s to import

    unknown = sorted({i for e in equations for i in (e.total, *e.parts) if withheld[i]})
    if not unknown:
        return []
    column = {cell: position for position, cell in enumerate(unknown)}
    missing_rows = [row for row, e in enumerate(equations) if e.missing_n > 0]
    size = len(unknown) + len(missing_rows)
    matrix = np.zeros((len(equations), size))
    rhs = np.zeros(len(equations))
    for row, equation in enumerate(equations):
        for cell, sign in ((equation.total, 1.0), *((part, -1.0) for part in equation.parts)):
            if cell in column:
                matrix[row, column[cell]] += sign
            else:
                rhs[row] -= sign * (0.0 if np.isnan(yes[cell]) else yes[cell])
    # The cases with the subgroup value missing: one more unknown per level sum.
    for offset, row in enumerate(missing_rows):
        matrix[row, len(unknown) + offset] = -1.0
    upper = np.array(
        [n[i] for i in unknown] + [equations[row].missing_n for row in missing_rows], dtype=float
    )
    constraints = LinearConstraint(matrix, rhs, rhs)
    bounds = Bounds(np.zeros(size), upper)
    integrality = np.ones(size)

    def solve(objective: np.ndarray) -> np.ndarray:
        solution = milp(objective, constraints=constraints, integrality=integrality, bounds=bounds)
        if not solution.success:
            raise RuntimeError(f"disclosure audit found no consistent table: {solution.message}")
        return np.round(solution.x)

    # The true table is one solution; a cell is safe once any other solution moves it. Pushing all
    # open cells up, then down, clears most of them in two solves; the rest are solved one by one.
    truth = np.array([yes[i] for i in unknown])
    open_cells = set(range(len(unknown)))

    def clear(solution: np.ndarray) -> None:
        open_cells.difference_update(np.flatnonzero(solution[: len(unknown)] != truth))

    for direction in (-1.0, 1.0):
        if open_cells:
            objective = np.zeros(size)
            objective[sorted(open_cells)] = direction
            clear(solve(objective))
    pinned = []
    for position in sorted(open_cells):
        if position not in open_cells:
            continue
        for direction in (-1.0, 1.0):
            objective = np.zeros(size)
            objective[position] = direction
            clear(solve(objective))
            if position not in open_cells:
                break
        else:
            pinned.append(unknown[position])
    return pinned


def _sums(result: pd.DataFrame, keys: Sequence[str], protect_level_sums: bool) -> list[CellSum]:
    """The additive identities of the table: All = CRC + NPS per row, and level sums per provider."""
    equations: list[CellSum] = []
    table_keys = [k for k in keys if k not in ("variable", "level")]
    positions = result.groupby(keys, sort=False, dropna=False).indices if keys else {(): None}
    for key, rows in positions.items():
        rows = np.arange(len(result)) if rows is None else rows
        by_provider = {result.at[i, "provider"]: i for i in rows}
        if len(rows) != 3 or set(by_provider) != {ALL_PROVIDERS, *PROVIDERS}:
            raise IncompleteRowError(
                f"row {key} holds providers {list(result.loc[rows, 'provider'])}"
            )
        key_values = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        table = tuple(key_values[k] for k in table_keys)
        equations.append(
            CellSum(table, by_provider[ALL_PROVIDERS], tuple(by_provider[p] for p in PROVIDERS))
        )
    if not protect_level_sums or not {"variable", "level"} <= set(result.columns):
        return equations
    n = result["n"].fillna(0).astype(int).to_numpy()
    groups = result.groupby([*table_keys, "provider"], sort=False, dropna=False).indices
    for key, rows in groups.items():
        variables = result["variable"].to_numpy()[rows]
        totals = rows[variables == ALL_VARIABLE]
        if len(totals) != 1:
            continue
        total = int(totals[0])
        table = tuple(key[:-1]) if isinstance(key, tuple) else ()
        for variable in dict.fromkeys(variables):
            if variable == ALL_VARIABLE:
                continue
            parts = tuple(int(i) for i in rows[variables == variable])
            missing_n = int(n[total] - n[list(parts)].sum())
            equations.append(CellSum(table, total, parts, max(missing_n, 0)))
    return equations


def apply_disclosure_control(
    table: pd.DataFrame,
    config: DisclosureConfig,
    row_keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Withhold small-base percentages and protect them from the table's sums; add display columns.

    Input: a tidy judgement table (e.g. `area_judgement_tables`) with `provider` (All/CRC/NPS),
    `n`, `yes`, `pct_yes`, optionally `applicable` (default: n is not <NA>), `ci_lower`,
    `ci_upper`, and the row keys (default: those of DEFAULT_ROW_KEYS present) identifying one
    All/CRC/NPS triple. Level sums are protected when config `protect_level_sums` is true (the
    default) and the table has `variable`/`level` with `all` rows.

    Output: the same rows and order, with

    - n_display (string): the base n, or `[z]` for a cell that cannot exist;
    - pct_display (string): `pct_yes` with one decimal, `[c]` withheld, `[z]` cannot exist,
      `[x]` nobody answered (n = 0);
    - withheld (bool): the percentage is withheld;
    - suppression (string): `primary` (0 < n < min_base), `secondary` (withheld so that another
      withheld value cannot be worked out) or <NA>;
    - yes, pct_yes, ci_lower, ci_upper set to <NA> in withheld cells, so writing the frame as it
      is cannot leak them. n is never withheld.

    Raises IncompleteRowError when a row is not exactly one All, CRC and NPS cell (the config
    is checked when `Reference.disclosure` loads it).
    """
    min_base = config.min_base
    keys = list(row_keys) if row_keys is not None else [k for k in DEFAULT_ROW_KEYS if k in table]
    result = table.reset_index(drop=True).copy()
    n = result["n"].to_numpy(dtype=float, na_value=np.nan)
    yes = result["yes"].to_numpy(dtype=float, na_value=np.nan)
    if "applicable" in result:
        applicable = result["applicable"].fillna(False).to_numpy(dtype=bool)
    else:
        applicable = ~np.isnan(n)
    empty = ~applicable | (np.nan_to_num(n) == 0)
    primary = ~empty & (n < min_base)
    withheld = primary.copy()

    equations = _sums(result, keys, config.protect_level_sums)
    by_table: dict[tuple, list[CellSum]] = {}
    for equation in equations:
        by_table.setdefault(equation.table, []).append(equation)
    for sums in by_table.values():
        # Each step withholds one more cell of a finite table, so this loop ends.
        while True:
            changed = True
            while changed:
                changed = False
                for equation in sums:
                    while (cell := cell_to_withhold(equation, n, yes, withheld, empty)) is not None:
                        withheld[cell] = changed = True
            pinned = _pinned_cells(sums, n, yes, withheld)
            if not pinned:
                break
            withheld[_next_to_withhold(pinned[0], sums, n, withheld, empty)] = True

    result["withheld"] = withheld
    result["suppression"] = pd.array(
        np.where(primary, "primary", np.where(withheld, "secondary", None)), dtype="string"
    )
    result["n_display"] = pd.array(
        [NOT_APPLICABLE if not ok else f"{int(v)}" for v, ok in zip(n, applicable, strict=True)],
        dtype="string",
    )
    pct = result["pct_yes"]
    result["pct_display"] = pd.array(
        [
            NOT_APPLICABLE
            if not ok
            else NOT_AVAILABLE
            if count == 0
            else CONFIDENTIAL
            if hidden
            else f"{float(value):.1f}"
            for value, count, ok, hidden in zip(pct, n, applicable, withheld, strict=True)
        ],
        dtype="string",
    )
    for column in WITHHELD_VALUE_COLUMNS:
        if column in result:
            result[column] = result[column].mask(withheld)
    return result
