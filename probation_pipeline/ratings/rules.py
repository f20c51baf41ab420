"""Ratings of the Assessment standard (DESIGN.md section 8), driven by configuration (ratings.yaml).

A case is sufficient in a key area when every question of that area it answered is Yes; a case
that answered none of them is not counted there. Each key area's score is the share of counted
cases that are sufficient; the provider's rating is the band of its lowest key-area score. Bands
are decided on the exact share (integer arithmetic: 79.99% is Good, 80% is Outstanding), and each
score carries a Wilson interval with a flag when the interval spans more than one band.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from probation_pipeline.contracts import StoredFrame, at_most_check, check_frame, columns, dtypes
from probation_pipeline.reference import PROVIDERS, RatingBand, RatingsConfig
from probation_pipeline.stats.intervals import wilson_interval
from probation_pipeline.stats.rounding import percent_half_up_series, round_half_up_array

OVERALL = "overall"
AREA_SCOPE = "area"
NATIONAL_SCOPE = "national"


class RatingSchema(StoredFrame, frame="ratings"):
    """A key-area score or rating (`ratings`, `area_ratings`): see `rate_providers`."""

    scope: Series[pd.StringDtype] = pa.Field(isin=(AREA_SCOPE, NATIONAL_SCOPE))
    area: Series[pd.StringDtype] = pa.Field(nullable=True)
    provider: Series[pd.StringDtype] = pa.Field(isin=PROVIDERS)
    key_area: Series[pd.StringDtype] = pa.Field()
    n: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    sufficient: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    share: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=1)
    pct: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    ci_lower: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    ci_upper: Series[pd.Float64Dtype] = pa.Field(nullable=True, ge=0, le=100)
    band: Series[pd.StringDtype] = pa.Field(nullable=True)
    crosses_boundary: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    driven_by: Series[pd.StringDtype] = pa.Field(nullable=True)

    sufficient_at_most_n = at_most_check("sufficient", "n")

    @pa.dataframe_check(name="area_only_on_area_rows")
    @classmethod
    def area_only_on_area_rows(cls, frame: pd.DataFrame) -> pd.Series:
        return (frame["scope"] == AREA_SCOPE).astype(bool) == frame["area"].notna()

    @pa.dataframe_check(name="driven_by_only_on_overall_rows")
    @classmethod
    def driven_by_only_on_overall_rows(cls, frame: pd.DataFrame) -> pd.Series:
        return (frame["key_area"] == OVERALL).astype(bool) | frame["driven_by"].isna()


RATING_COLUMNS: tuple[str, ...] = columns(RatingSchema)


def case_sufficiency(records: pd.DataFrame, config: RatingsConfig) -> pd.DataFrame:
    """Per case and key area: True sufficient, False not, <NA> not counted (nothing answered).

    Output: columns `area`, `provider` and one nullable boolean column per key area (config
    order), same index as `records`. Raises KeyError when a configured question is not a column.
    """
    areas = {area.name: area.questions for area in config.key_areas}
    missing = sorted({q for qs in areas.values() for q in qs} - set(records.columns))
    if missing:
        raise KeyError(f"case records lack the key-area questions {missing}")
    result = records.loc[:, ["area", "provider"]].copy()
    for name, questions in areas.items():
        # Column by column in numpy: a row-wise `any` over nullable columns is a slow path.
        counted = np.zeros(len(records), dtype=bool)
        any_no = np.zeros(len(records), dtype=bool)
        for question in questions:
            answers = records[question].astype("boolean")
            counted |= answers.notna().to_numpy(dtype=bool)
            any_no |= answers.eq(False).fillna(False).to_numpy(dtype=bool)
        result[name] = pd.array(np.where(counted, ~any_no, pd.NA), dtype="boolean")
    return result


def band_of_counts(
    sufficient: Sequence[int], n: Sequence[int], bands: Sequence[RatingBand]
) -> list:
    """Band of each exact share sufficient/n (None where n is 0): compared in integers, no floats."""
    labels: list[str | None] = []
    for k, m in zip(sufficient, n, strict=True):
        if pd.isna(m) or int(m) == 0:
            labels.append(None)
            continue
        share = Fraction(int(k), int(m))
        labels.append(next(band.rating for band in bands if share >= band.min_share))
    return labels


def _band_of_bound(bound: float, bands: Sequence[RatingBand]) -> str | None:
    if np.isnan(bound):
        return None
    return next(band.rating for band in bands if bound >= float(band.min_share))


def _score_rows(
    counts: pd.DataFrame, bands: Sequence[RatingBand], confidence: float
) -> pd.DataFrame:
    scores = counts.copy()
    n = scores["n"].to_numpy(dtype=float)
    k = scores["sufficient"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores["share"] = pd.array(np.where(n > 0, k / n, np.nan), dtype="Float64")
    scores["pct"] = percent_half_up_series(scores["sufficient"], scores["n"])
    lower, upper = wilson_interval(k, n, confidence)
    scores["_lower"], scores["_upper"] = lower, upper
    scores["ci_lower"] = pd.array(round_half_up_array(100 * lower), dtype="Float64")
    scores["ci_upper"] = pd.array(round_half_up_array(100 * upper), dtype="Float64")
    scores["band"] = pd.array(band_of_counts(k, n, bands), dtype="string")
    # The rating could differ with a slightly different sample when the two ends of the interval
    # fall in different bands.
    lower_band = [_band_of_bound(b, bands) for b in lower]
    upper_band = [_band_of_bound(b, bands) for b in upper]
    scores["crosses_boundary"] = pd.array(
        [None if lo is None else lo != hi for lo, hi in zip(lower_band, upper_band, strict=True)],
        dtype="boolean",
    )
    scores["driven_by"] = pd.array([None] * len(scores), dtype="string")
    return scores


def _with_overall_rows(
    scores: pd.DataFrame, key_areas: Sequence[str], bands: Sequence[RatingBand]
) -> pd.DataFrame:
    """`scores` (one row per scope, area, provider and key area, key areas in config order and
    each rated unit's rows together) with each unit's `overall` row after its key areas.

    The rating of a unit is its lowest key area (exact shares; ties to config order); a unit with
    a key area of n = 0 is left unrated, since a rating on part of the standard would mislead.
    """
    width = len(key_areas)
    units = len(scores) // width
    if (
        units * width != len(scores)
        or not (
            scores["key_area"].to_numpy(dtype=object).reshape(units, width) == list(key_areas)
        ).all()
    ):
        raise ValueError("scores must hold every key area of each unit, in config order")
    n = scores["n"].to_numpy(dtype=np.int64).reshape(units, width)
    sufficient = scores["sufficient"].to_numpy(dtype=np.int64).reshape(units, width)
    rated = (n > 0).all(axis=1)
    # The lowest exact share, compared in integers (k1/n1 < k2/n2 iff k1*n2 < k2*n1 for n > 0);
    # a strict comparison keeps the first key area of the config on a tie.
    lowest = np.zeros(units, dtype=np.int64)
    rows = np.arange(units)
    for column in range(1, width):
        below = sufficient[:, column] * n[rows, lowest] < sufficient[rows, lowest] * n[:, column]
        lowest = np.where(below, column, lowest)
    overall = scores.iloc[rows * width + lowest].reset_index(drop=True)
    overall["driven_by"] = overall["key_area"]
    overall["key_area"] = OVERALL
    # The lowest share lies between the lowest lower bound and the lowest upper bound.
    lower = scores["_lower"].to_numpy(dtype=float).reshape(units, width).min(axis=1)
    upper = scores["_upper"].to_numpy(dtype=float).reshape(units, width).min(axis=1)
    overall["crosses_boundary"] = pd.array(
        [
            _band_of_bound(low, bands) != _band_of_bound(high, bands) if rate else None
            for low, high, rate in zip(lower, upper, rated, strict=True)
        ],
        dtype="boolean",
    )
    values = ["n", "sufficient", "share", "pct", "ci_lower", "ci_upper", "band", "driven_by"]
    overall.loc[~rated, values] = pd.NA
    # Each unit's key-area rows, then its overall row.
    order = np.column_stack([np.arange(units * width).reshape(units, width), units * width + rows])
    combined = pd.concat([scores, overall], ignore_index=True)
    return combined.iloc[order.ravel()].reset_index(drop=True)


def rate_providers(records: pd.DataFrame, config: RatingsConfig) -> pd.DataFrame:
    """Key-area scores and ratings per area and provider, and nationally per provider.

    Input: case records (`area`, `provider`, the judgement columns named in the config).
    Output columns (RATING_COLUMNS), rows: areas sorted, then national; providers CRC, NPS; key
    areas in config order, then `overall`:

    - scope (string): `area` or `national`; area (string): area slug, <NA> for national rows.
    - provider (string): CRC or NPS.
    - key_area (string): a key area of the config, or `overall` (the rating).
    - n (Int64): cases counted in the key area; sufficient (Int64): of which sufficient.
    - share (Float64): sufficient / n, unrounded; pct (Float64): 100 * share rounded half-up to one
      decimal from the counts.
    - ci_lower, ci_upper (Float64): Wilson interval (config `confidence_level`) in percent,
      rounded half-up to one decimal.
    - band (string): the band of the exact share (config `bands`).
    - crosses_boundary (boolean): the interval's ends fall in different bands. On `overall` rows:
      the band of the lowest key-area share could differ, i.e. the lowest lower bound and the
      lowest upper bound across key areas fall in different bands.
    - driven_by (string): on `overall` rows, the key area with the lowest share, whose n,
      sufficient, share, pct, interval and band the row repeats; <NA> elsewhere.

    A key area with n = 0 has <NA> share, interval, band and flag; an `overall` row is unrated
    (<NA> band) unless every key area has n > 0. Raises KeyError for missing columns (the config
    is checked when `Reference.ratings` loads it).
    """
    return rate_key_area_counts(key_area_counts(records, config), config)


def area_scope_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """The area rows of `rate_providers` / `rate_key_area_counts` output, renumbered from 0.

    An area row depends only on that area's cases, so these are the ratings of each area rated
    alone.
    """
    return ratings[ratings["scope"] == AREA_SCOPE].reset_index(drop=True)


def counted_column(key_area: str) -> str:
    """Column counting the cases counted in `key_area` (`key_area_counts`, subgroup counts)."""
    return f"{key_area}_counted"


def sufficient_column(key_area: str) -> str:
    """Column counting the cases sufficient in `key_area` (`key_area_counts`, subgroup counts)."""
    return f"{key_area}_sufficient"


def key_area_counts(records: pd.DataFrame, config: RatingsConfig) -> pd.DataFrame:
    """Per case (one row each, same index): `area`, `provider` and, per key area of the config,
    `<key area>_counted` and `<key area>_sufficient` as 0/1 (`case_sufficiency`)."""
    sufficiency = case_sufficiency(records, config)
    counts = sufficiency.loc[:, ["area", "provider"]]
    for area in config.key_areas:
        sufficient = sufficiency[area.name]
        counts[counted_column(area.name)] = sufficient.notna().to_numpy(dtype=np.int64)
        counts[sufficient_column(area.name)] = sufficient.fillna(False).to_numpy(dtype=np.int64)
    return counts


def rate_key_area_counts(counts: pd.DataFrame, config: RatingsConfig) -> pd.DataFrame:
    """`rate_providers` from counts instead of cases: the same frame.

    `counts` has `area`, `provider` and the `<key area>_counted` / `<key area>_sufficient`
    columns of every key area of the config, one row per case (`key_area_counts`) or per group of
    cases with their sums (`stats.subgroups.subgroup_counts`); an area is rated when it has a row.
    Raises KeyError for a missing column.
    """
    bands = config.bands
    key_areas = [area.name for area in config.key_areas]
    confidence = config.confidence_level
    sums = [
        column for name in key_areas for column in (counted_column(name), sufficient_column(name))
    ]
    missing = sorted(set(sums) - set(counts.columns))
    if missing:
        raise KeyError(f"key-area counts lack the columns {missing}")

    def long_form(grouped: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        frames = [
            grouped.loc[:, [*keys, counted_column(name), sufficient_column(name)]]
            .rename(columns={counted_column(name): "n", sufficient_column(name): "sufficient"})
            .assign(key_area=name)
            for name in key_areas
        ]
        long = pd.concat(frames, ignore_index=True)
        # As before: a key area without counted cases has no row (n = 0 on the grid below).
        return long[long["n"] > 0]

    areas = sorted(counts["area"].dropna().unique())
    grid = pd.DataFrame(
        [(AREA_SCOPE, a, p, k) for a in areas for p in PROVIDERS for k in key_areas]
        + [(NATIONAL_SCOPE, None, p, k) for p in PROVIDERS for k in key_areas],
        columns=["scope", "area", "provider", "key_area"],
    )
    by_area = long_form(
        counts.groupby(["area", "provider"], observed=True)[sums].sum().reset_index(),
        ["area", "provider"],
    ).assign(scope=AREA_SCOPE)
    national = long_form(
        counts.groupby(["provider"], observed=True)[sums].sum().reset_index(), ["provider"]
    ).assign(scope=NATIONAL_SCOPE)
    national["area"] = pd.Series(pd.NA, index=national.index, dtype="string")
    by_area["area"] = by_area["area"].astype("string")
    grid["area"] = grid["area"].astype("string")
    counts = grid.merge(
        pd.concat([by_area, national], ignore_index=True),
        on=["scope", "area", "provider", "key_area"],
        how="left",
    )
    counts["n"] = counts["n"].fillna(0).astype(int)
    counts["sufficient"] = counts["sufficient"].fillna(0).astype(int)
    scores = _score_rows(counts, bands, confidence).astype(dtypes(RatingSchema))
    ratings = _with_overall_rows(scores, key_areas, bands).drop(columns=["_lower", "_upper"])
    ratings = ratings.astype(dtypes(RatingSchema)).loc[:, list(RATING_COLUMNS)]
    return check_frame(ratings.reset_index(drop=True), RatingSchema)
