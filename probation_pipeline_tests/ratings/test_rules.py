from dataclasses import replace
from fractions import Fraction

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from probation_pipeline.ratings.rules import (
    RATING_COLUMNS,
    band_of_counts,
    case_sufficiency,
    rate_providers,
)
from probation_pipeline.reference import KeyArea
from probation_pipeline_tests.stats.records_factory import make_records, reference

CONFIG = reference().ratings
BANDS = CONFIG.bands


@pytest.mark.parametrize(
    ("sufficient", "n", "band"),
    [
        (8, 10, "Outstanding"),  # 80% exactly
        (7999, 10000, "Good"),  # 79.99%
        (13, 20, "Good"),  # 65% exactly
        (6499, 10000, "Requires improvement"),  # 64.99%
        (1, 2, "Requires improvement"),  # 50% exactly
        (4999, 10000, "Inadequate"),
        (0, 3, "Inadequate"),
        (10, 10, "Outstanding"),
        (0, 0, None),
    ],
)
def test_bands_at_their_edges(sufficient: int, n: int, band: str | None) -> None:
    assert band_of_counts([sufficient], [n], BANDS) == [band]


def test_bands_are_exact_fractions_of_the_config() -> None:
    assert [b.min_share for b in BANDS] == [Fraction(4, 5), Fraction(13, 20), Fraction(1, 2), 0]


def case(provider: str = "CRC", area: str = "kent", **answers: bool | None) -> dict:
    return {"provider": provider, "area": area, **answers}


ALL_YES = {"barriers": True, "desistance_post": True, "harm_public": True}


def test_case_is_sufficient_when_every_answered_question_of_the_area_is_yes() -> None:
    records = make_records(
        [
            case(barriers=True, diversity=False),
            case(barriers=True, diversity=None),
            case(barriers=None, diversity=None),
            case(harm_public=True, harm_known_adults=True, harm_children=False),
            case(harm_public=True, harm_children=True, desistance_pre=False),
        ]
    )
    sufficiency = case_sufficiency(records, CONFIG)
    assert list(sufficiency.columns) == [
        "area",
        "provider",
        "engagement",
        "desistance",
        "keeping_safe",
    ]
    assert sufficiency["engagement"].tolist() == [False, True, pd.NA, pd.NA, pd.NA]
    assert sufficiency["keeping_safe"].tolist() == [pd.NA, pd.NA, pd.NA, False, True]
    # desistance_pre is not part of the standard (pre-allocation is the NPS's court work).
    assert sufficiency["desistance"].isna().all()


def scored(records: pd.DataFrame) -> pd.DataFrame:
    return rate_providers(records, CONFIG)


def row(
    ratings: pd.DataFrame, key_area: str, provider: str = "CRC", area: str | None = "kent"
) -> pd.Series:
    where = (ratings["key_area"] == key_area) & (ratings["provider"] == provider)
    where &= ratings["area"].isna() if area is None else ratings["area"] == area
    rows = ratings[where]
    assert len(rows) == 1
    return rows.iloc[0]


def cases(n_yes: int, n_no: int, question: str, **fields: object) -> list[dict]:
    return [case(**fields, **{question: True})] * n_yes + [
        case(**fields, **{question: False})
    ] * n_no


def test_rating_is_driven_by_the_lowest_key_area() -> None:
    records = make_records(
        cases(9, 1, "barriers") + cases(6, 4, "desistance_post") + cases(8, 2, "harm_public")
    )
    ratings = scored(records)
    assert tuple(ratings.columns) == RATING_COLUMNS
    assert row(ratings, "engagement")["band"] == "Outstanding"
    assert row(ratings, "keeping_safe")["band"] == "Outstanding"
    overall = row(ratings, "overall")
    assert (overall["driven_by"], overall["band"], overall["n"], overall["sufficient"]) == (
        "desistance", "Requires improvement", 10, 6,
    )  # fmt: skip
    assert overall["pct"] == 60.0


def test_equal_lowest_shares_are_attributed_in_config_order() -> None:
    records = make_records(
        cases(1, 1, "barriers") + cases(2, 2, "desistance_post") + cases(3, 0, "harm_public")
    )
    assert row(scored(records), "overall")["driven_by"] == "engagement"


def test_intervals_are_wilson_in_percent() -> None:
    records = make_records(
        cases(6, 4, "desistance_post") + cases(1, 0, "barriers") + cases(1, 0, "harm_public")
    )
    desistance = row(scored(records), "desistance")
    lower, upper = proportion_confint(6, 10, alpha=0.05, method="wilson")
    assert desistance["ci_lower"] == pytest.approx(100 * lower, abs=0.05)
    assert desistance["ci_upper"] == pytest.approx(100 * upper, abs=0.05)
    assert (desistance["ci_lower"], desistance["ci_upper"]) == (31.3, 83.2)
    assert desistance["share"] == 0.6


def test_boundary_flag() -> None:
    # 900/1000: interval 88.0-91.7, inside Outstanding. 9/10: 59.6-98.2, crosses 65% and 80%.
    big = make_records(
        cases(900, 100, "barriers", area="kent")
        + cases(1000, 0, "desistance_post", area="kent")
        + cases(1000, 0, "harm_public", area="kent")
    )
    small = make_records(
        cases(9, 1, "barriers", area="gwent") + cases(5, 0, "desistance_post", area="gwent")
    )
    ratings = scored(pd.concat([big, small], ignore_index=True))
    assert not row(ratings, "engagement", area="kent")["crosses_boundary"]
    assert not row(ratings, "overall", area="kent")["crosses_boundary"]
    assert row(ratings, "engagement", area="gwent")["crosses_boundary"]


def test_overall_flag_considers_every_key_area_that_could_be_lowest() -> None:
    # Engagement 700/1000 (Good, 67.1-72.8) is lowest; keeping safe 8/10 (Outstanding, but its
    # interval 49.0-94.3 reaches below 65%) could be the lowest with another sample.
    records = make_records(
        cases(700, 300, "barriers") + cases(1000, 0, "desistance_post") + cases(8, 2, "harm_public")
    )
    ratings = scored(records)
    assert not row(ratings, "engagement")["crosses_boundary"]
    overall = row(ratings, "overall")
    assert (overall["driven_by"], overall["band"]) == ("engagement", "Good")
    assert overall["crosses_boundary"]


def test_national_rows_pool_the_areas_per_provider() -> None:
    records = make_records(
        cases(3, 1, "barriers", area="kent")
        + cases(1, 3, "barriers", area="gwent")
        + cases(2, 0, "barriers", area="gwent", provider="NPS")
    )
    ratings = scored(records)
    national = row(ratings, "engagement", area=None)
    assert (national["scope"], national["n"], national["sufficient"], national["pct"]) == (
        "national",
        8,
        4,
        50.0,
    )
    assert row(ratings, "engagement", provider="NPS", area=None)["n"] == 2
    assert list(dict.fromkeys(ratings["area"].dropna())) == ["gwent", "kent"]
    assert len(ratings) == (2 + 1) * 2 * 4


def test_provider_without_cases_in_a_key_area_is_not_rated() -> None:
    ratings = scored(make_records(cases(3, 1, "barriers") + cases(2, 0, "desistance_post")))
    safe = row(ratings, "keeping_safe")
    assert safe["n"] == 0 and pd.isna(safe["band"]) and pd.isna(safe["pct"])
    overall = row(ratings, "overall")
    assert pd.isna(overall["band"]) and pd.isna(overall["driven_by"])


def test_mapping_comes_from_the_config() -> None:
    areas = tuple(
        KeyArea(a.name, a.label, ("desistance_pre",)) if a.name == "desistance" else a
        for a in CONFIG.key_areas
    )
    config = replace(CONFIG, key_areas=areas)
    records = make_records(cases(1, 3, "desistance_pre") + cases(4, 0, "desistance_post"))
    assert row(rate_providers(records, config), "desistance")["sufficient"] == 1
    assert row(rate_providers(records, CONFIG), "desistance")["sufficient"] == 4
