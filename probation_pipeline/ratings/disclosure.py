"""Disclosure control for sub-national tables (DESIGN.md section 9).

What is withheld: the percentage (and with it the yes count and interval) of a cell whose base n
is below `min_base` (primary suppression). Bases (n) are always published: they count sampled
cases, not judgements about them, and the DESIGN withholds "any percentage whose base n is under
the threshold".

Secondary suppression: within each row, All = CRC + NPS holds for n and yes. With every n
published, a reader who knows the yes count of the visible cells (from their percentages) could
work out a withheld yes count from that identity. More cells are withheld until no withheld yes
count is pinned to a single value, under this reader model:

- every n is known, visible yes counts are known exactly (conservative: a one-decimal percentage
  pins the count only for n below about 1,000);
- a withheld yes count is only known to lie in 0..n;
- not-applicable cells ([z]) and cells nobody answered ([x]) hold 0.

Under that model one equation y_total = y_part1 + y_part2 (+ ...) is safe when the total is
withheld and at least one part is withheld too, or when the total is visible and either no part is
withheld or at least two are and their known sum S is strictly between 0 and their combined n
(S = 0 or S = combined n would force every withheld part to 0% or 100%).

Scope: the All/CRC/NPS triple of each row. Sums across the levels of a subgroup variable (levels
plus cases with the value missing = All cases) are not protected here; see docs/decisions.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

CONFIDENTIAL = "[c]"
NOT_APPLICABLE = "[z]"
NOT_AVAILABLE = "[x]"
SHORTHAND: tuple[str, ...] = (CONFIDENTIAL, NOT_APPLICABLE, NOT_AVAILABLE)

TOTAL_PROVIDER = "All"
PART_PROVIDERS: tuple[str, ...] = ("CRC", "NPS")
DEFAULT_ROW_KEYS: tuple[str, ...] = ("area", "question_id", "variable", "level")
WITHHELD_VALUE_COLUMNS: tuple[str, ...] = ("yes", "pct_yes", "ci_lower", "ci_upper")


class DisclosureConfigError(ValueError):
    """disclosure.yaml lacks a threshold or the explanation of a shorthand symbol."""


class IncompleteRowError(ValueError):
    """A row does not hold exactly one All, one CRC and one NPS cell."""


def _min_base(config: Mapping[str, Any]) -> int:
    if "min_base" not in config:
        raise DisclosureConfigError("disclosure config has no min_base")
    min_base = config["min_base"]
    if not isinstance(min_base, int) or isinstance(min_base, bool) or min_base < 1:
        raise DisclosureConfigError(f"min_base must be a positive integer, got {min_base!r}")
    return min_base


def disclosure_notes(config: Mapping[str, Any]) -> pd.DataFrame:
    """The notes explaining each shorthand symbol: columns symbol, meaning (in SHORTHAND order).

    Raises DisclosureConfigError when the config does not explain every symbol.
    """
    explanations = config.get("shorthand") or {}
    missing = [symbol for symbol in SHORTHAND if symbol not in explanations]
    if missing:
        raise DisclosureConfigError(f"disclosure config does not explain {missing}")
    return pd.DataFrame(
        {"symbol": list(SHORTHAND), "meaning": [str(explanations[s]) for s in SHORTHAND]}
    )


def _cell_to_withhold(
    total: int,
    parts: Sequence[int],
    n: np.ndarray,
    yes: np.ndarray,
    withheld: np.ndarray,
    empty: np.ndarray,
) -> int | None:
    """One more cell to withhold so y_total = sum(y_parts) pins no withheld value; None if safe.

    Cells are positions in the arrays; `empty` marks cells known to be 0 ([z] and [x]).
    """
    hidden = [i for i in parts if withheld[i]]
    visible = sorted((i for i in parts if not withheld[i] and not empty[i]), key=lambda i: n[i])
    if withheld[total]:
        # The total is unknown; it stays unknown while some part is unknown too.
        if hidden or not visible:
            return None
        return visible[0]
    if not hidden:
        return None
    if len(hidden) == 1:
        # total - visible parts = the withheld part: hide the smallest other part, else the total.
        return visible[0] if visible else total
    known_sum = int(yes[total]) - sum(int(yes[i]) for i in visible)
    hidden_n = sum(int(n[i]) for i in hidden)
    if 0 < known_sum < hidden_n:
        return None
    # All withheld parts are forced to 0% or 100%: add a visible part that breaks this, or the total.
    for i in visible:
        if (known_sum == 0 and yes[i] > 0) or (known_sum == hidden_n and yes[i] < n[i]):
            return i
    return total


def apply_disclosure_control(
    table: pd.DataFrame,
    config: Mapping[str, Any],
    row_keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Withhold small-base percentages and protect them from All = CRC + NPS; add display columns.

    Input: a tidy judgement table (e.g. `area_judgement_tables`) with `provider` (All/CRC/NPS),
    `n`, `yes`, `pct_yes`, optionally `applicable` (default: n is not <NA>), `ci_lower`,
    `ci_upper`, and the row keys (default: those of DEFAULT_ROW_KEYS present) identifying one
    All/CRC/NPS triple.

    Output: the same rows and order, with

    - n_display (string): the base n, or `[z]` for a cell that cannot exist;
    - pct_display (string): `pct_yes` with one decimal, `[c]` withheld, `[z]` cannot exist,
      `[x]` nobody answered (n = 0);
    - withheld (bool): the percentage is withheld;
    - suppression (string): `primary` (0 < n < min_base), `secondary` (withheld so that another
      withheld value cannot be worked out) or <NA>;
    - yes, pct_yes, ci_lower, ci_upper set to <NA> in withheld cells, so writing the frame as it
      is cannot leak them. n is never withheld.

    Raises DisclosureConfigError for a bad `min_base`, IncompleteRowError when a row is not
    exactly one All, CRC and NPS cell.
    """
    min_base = _min_base(config)
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

    positions = result.groupby(keys, sort=False, dropna=False).indices if keys else {(): None}
    triples = []
    for key, rows in positions.items():
        rows = np.arange(len(result)) if rows is None else rows
        by_provider = {result.at[i, "provider"]: i for i in rows}
        if len(rows) != 3 or set(by_provider) != {TOTAL_PROVIDER, *PART_PROVIDERS}:
            raise IncompleteRowError(
                f"row {key} holds providers {list(result.loc[rows, 'provider'])}"
            )
        triples.append((by_provider[TOTAL_PROVIDER], [by_provider[p] for p in PART_PROVIDERS]))

    for total, parts in triples:
        # Each step hides one more cell of a finite row, so this ends.
        while (cell := _cell_to_withhold(total, parts, n, yes, withheld, empty)) is not None:
            withheld[cell] = True

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
