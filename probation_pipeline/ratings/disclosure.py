"""Disclosure control of the provider ratings (DESIGN.md section 9).

A rating of an area key area with a small base is withheld, and enough other cells with it that
the national totals and the overall rows cannot give it back. The threshold, the shorthand and
the config check are those of the tables (`stats/disclosure.py`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from probation_pipeline.ratings.rules import AREA_SCOPE, NATIONAL_SCOPE, OVERALL, RATING_COLUMNS
from probation_pipeline.reference import DisclosureConfig
from probation_pipeline.stats.disclosure import (
    CONFIDENTIAL,
    NOT_AVAILABLE,
    CellSum,
    cell_to_withhold,
)

# Ratings (rules.rate_providers): what a withheld cell hides. An `overall` row also hides which
# key area drives it (`driven_by`, and its `n`, which repeats the driver's n).
RATING_WITHHELD_COLUMNS: tuple[str, ...] = RATING_COLUMNS[
    RATING_COLUMNS.index("sufficient") : RATING_COLUMNS.index("crosses_boundary") + 1
]
"""sufficient, share, pct, ci_lower, ci_upper, band, crosses_boundary."""
OVERALL_WITHHELD_COLUMNS: tuple[str, ...] = (*RATING_WITHHELD_COLUMNS, "n", "driven_by")


def apply_ratings_disclosure(ratings: pd.DataFrame, config: DisclosureConfig) -> pd.DataFrame:
    """Withhold small-base area ratings and protect them from the national totals.

    Input: the output of `rules.rate_providers` (scope, area, provider, key_area, n, sufficient,
    share, pct, ci_lower, ci_upper, band, crosses_boundary, driven_by).

    - Primary: an area key-area cell with 0 < n < `min_base`.
    - Secondary: for each provider and key area, national sufficient = the sum over areas (plus,
      if national n exceeds the areas' n, cases in no area, an unknown part). With every n
      published, one withheld area cell would follow from the national row and the visible
      areas, so the visible area cell with the smallest n (ties by area name) is withheld too;
      likewise while the withheld cells' known sum forces them all to 0% or 100%.
      As the equations share no cell, this is exact. Only when no area cell is left is the
      national cell withheld.
    - Overall rows: the rating is the band of the lowest key area, so a visible overall row tells
      that every withheld key area of its provider scores at least the driver (or, if the driver
      is withheld, at most the others), which can pin a small-base value. An overall row is
      therefore withheld whenever any key area of its scope, area and provider is withheld, with
      its `n` and `driven_by` (which name the driver). Suppression `primary` when its driver is a
      primary cell, else `secondary`. An unrated overall row (<NA> n) reveals nothing and is left.

    Output: the same rows and order, RATING_WITHHELD_COLUMNS (and on withheld overall rows also n
    and driven_by) set to <NA> in withheld rows, plus pct_display (string: pct with one decimal,
    `[c]` withheld, `[x]` no case or not rated), withheld (bool) and suppression (`primary`,
    `secondary` or <NA>).
    """
    min_base = config.min_base
    result = ratings.reset_index(drop=True).copy()
    n = result["n"].to_numpy(dtype=float, na_value=np.nan)
    sufficient = result["sufficient"].to_numpy(dtype=float, na_value=np.nan)
    overall = result["key_area"].eq(OVERALL).fillna(False).to_numpy(dtype=bool)
    scope = result["scope"].astype("string")
    in_area = scope.eq(AREA_SCOPE).fillna(False).to_numpy(dtype=bool)
    national = scope.eq(NATIONAL_SCOPE).fillna(False).to_numpy(dtype=bool)
    area = result["area"].to_numpy(dtype=object)
    empty = np.isnan(n) | (np.nan_to_num(n) == 0)
    primary = ~overall & in_area & ~empty & (n < min_base)
    withheld = primary.copy()

    cells = result.loc[~overall & (in_area | national)]
    for key, rows in cells.groupby(
        ["provider", "key_area"], sort=False, dropna=False
    ).groups.items():
        rows = [int(i) for i in rows]
        totals = [i for i in rows if national[i]]
        # Sorted by area name: the smallest-n cell is withheld next, ties by area name.
        parts = tuple(sorted((i for i in rows if in_area[i]), key=lambda i: str(area[i])))
        if len(totals) != 1 or not parts:
            continue
        total = totals[0]
        missing_n = int(np.nan_to_num(n[total]) - np.nan_to_num(n[list(parts)]).sum())
        equation = CellSum(tuple(key), total, parts, max(missing_n, 0))
        while (cell := cell_to_withhold(equation, n, sufficient, withheld, empty)) is not None:
            withheld[cell] = True

    groups = result.groupby(["scope", "area", "provider"], sort=False, dropna=False).indices
    for rows in groups.values():
        rows_overall = [int(i) for i in rows if overall[i] and not np.isnan(n[i])]
        key_rows = [int(i) for i in rows if not overall[i]]
        if not rows_overall or not withheld[key_rows].any():
            continue
        drivers = {str(result.at[i, "key_area"]): i for i in key_rows}
        for i in rows_overall:
            driver = drivers.get(str(result.at[i, "driven_by"]))
            withheld[i] = True
            # Withheld for the driver's own small base (primary), else to hide another cell.
            primary[i] = driver is not None and bool(primary[driver])

    result["withheld"] = withheld
    result["suppression"] = pd.array(
        np.where(primary, "primary", np.where(withheld, "secondary", None)), dtype="string"
    )
    result["pct_display"] = pd.array(
        [
            CONFIDENTIAL
            if hidden
            else NOT_AVAILABLE
            if empty[i] or pd.isna(value)
            else f"{float(value):.1f}"
            for i, (value, hidden) in enumerate(zip(result["pct"], withheld, strict=True))
        ],
        dtype="string",
    )
    for column in RATING_WITHHELD_COLUMNS:
        if column in result:
            result[column] = result[column].mask(withheld)
    for column in OVERALL_WITHHELD_COLUMNS:
        if column in result:
            result[column] = result[column].mask(withheld & overall)
    return result
