"""Disclosure control of the per-area ratings (apply_ratings_disclosure)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from probation_pipeline.publish.writer import publish_publication
from probation_pipeline.ratings.disclosure import (
    OVERALL_WITHHELD_COLUMNS,
    RATING_WITHHELD_COLUMNS,
    apply_ratings_disclosure,
)
from probation_pipeline.ratings.rules import rate_providers
from probation_pipeline.reference import DisclosureConfig, KeyArea, RatingsConfig
from probation_pipeline.stats.disclosure import CONFIDENTIAL, NOT_AVAILABLE
from probation_pipeline_tests.cells import only_row
from probation_pipeline_tests.publish.conftest import REFERENCE, make_bundle

# Two key areas of one question each, so each (area, provider, key area) count is set directly.
RATINGS_CONFIG = RatingsConfig(
    key_areas=(
        KeyArea("engagement", "Engagement", ("q_eng",)),
        KeyArea("safety", "Safety", ("q_safe",)),
    ),
    bands=REFERENCE.ratings.bands,
    confidence_level=0.95,
)
KEY_AREAS = ("engagement", "safety")
QUESTION = {"engagement": "q_eng", "safety": "q_safe"}
DISCLOSURE = DisclosureConfig(min_base=5)

Counts = dict[tuple[str, str, str], tuple[int, int]]


def rated(counts: Counts) -> pd.DataFrame:
    """rate_providers on records giving (n, sufficient) per (area, provider, key area)."""
    rows = []
    for (area, provider, key_area), (n, sufficient) in counts.items():
        for index in range(n):
            rows.append(
                {
                    "area": area,
                    "provider": provider,
                    "q_eng": None,
                    "q_safe": None,
                    QUESTION[key_area]: index < sufficient,
                }
            )
    return rate_providers(pd.DataFrame(rows), RATINGS_CONFIG)


def full(counts: Counts, areas: tuple[str, ...] = ("a", "b", "c")) -> Counts:
    """Every area, provider and key area at (40, 30) unless `counts` says otherwise."""
    base = {(a, p, k): (40, 30) for a in areas for p in ("CRC", "NPS") for k in KEY_AREAS}
    return base | counts


def cell(result: pd.DataFrame, area: str | None, provider: str, key_area: str) -> pd.Series:
    return only_row(result, area=area, provider=provider, key_area=key_area)


def disclosed_overall(
    counts: Counts, provider: str, driven_by: str
) -> tuple[pd.DataFrame, pd.Series]:
    """The ratings of `full(counts)` after disclosure control, and area a's overall row of
    `provider`; first checks that `driven_by` drove that rating before disclosure."""
    ratings = rated(full(counts))
    assert cell(ratings, "a", provider, "overall")["driven_by"] == driven_by
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    return result, cell(result, "a", provider, "overall")


def test_no_small_base_publishes_everything() -> None:
    ratings = rated(full({}))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    assert not result["withheld"].any()
    assert result["suppression"].isna().all()
    assert cell(result, "a", "CRC", "engagement")["pct_display"] == "75.0"
    pd.testing.assert_frame_equal(result.loc[:, ratings.columns], ratings)


def test_primary_cell_and_the_smallest_other_area_are_withheld() -> None:
    ratings = rated(full({("a", "CRC", "engagement"): (3, 1), ("c", "CRC", "engagement"): (8, 6)}))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    a, b, c = (cell(result, area, "CRC", "engagement") for area in "abc")
    assert (a["suppression"], a["pct_display"]) == ("primary", CONFIDENTIAL)
    assert (c["suppression"], c["pct_display"]) == ("secondary", CONFIDENTIAL)
    assert not b["withheld"] and b["pct_display"] == "75.0"
    for row in (a, c):
        assert all(pd.isna(row[column]) for column in RATING_WITHHELD_COLUMNS)
        assert row["n"] in (3, 8)  # bases stay published
    national = cell(result, None, "CRC", "engagement")
    assert not national["withheld"] and national["sufficient"] == 37
    # The other key area and the other provider are untouched.
    assert not cell(result, "a", "CRC", "safety")["withheld"]
    assert not result[result["provider"].eq("NPS")]["withheld"].any()


def test_secondary_ties_go_to_the_first_area_name() -> None:
    ratings = rated(full({("c", "NPS", "safety"): (2, 2)}))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    assert cell(result, "a", "NPS", "safety")["suppression"] == "secondary"
    assert not cell(result, "b", "NPS", "safety")["withheld"]


def test_two_primary_cells_protect_each_other() -> None:
    ratings = rated(full({("a", "CRC", "safety"): (3, 1), ("b", "CRC", "safety"): (4, 3)}))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    column = result[result["provider"].eq("CRC") & result["key_area"].eq("safety")]
    assert list(column["suppression"].fillna("")) == ["primary", "primary", "", ""]


def test_two_withheld_cells_at_zero_percent_get_a_third() -> None:
    # national - visible = 0 would show both withheld areas at 0%.
    ratings = rated(full({("a", "CRC", "safety"): (3, 0), ("b", "CRC", "safety"): (4, 0)}))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    assert cell(result, "c", "CRC", "safety")["suppression"] == "secondary"


def test_overall_driven_by_a_withheld_key_area_is_withheld_with_its_driver() -> None:
    # Area a's CRC engagement (1 of 4) is the lowest key area, so it drives the overall rating.
    result, overall = disclosed_overall(
        {("a", "CRC", "engagement"): (4, 1), ("b", "CRC", "engagement"): (9, 6)},
        "CRC",
        "engagement",
    )
    assert (overall["suppression"], overall["pct_display"]) == ("primary", CONFIDENTIAL)
    assert all(pd.isna(overall[column]) for column in OVERALL_WITHHELD_COLUMNS)
    # Area b's overall is driven by a secondary cell: withheld too, as secondary.
    assert cell(result, "b", "CRC", "overall")["suppression"] == "secondary"
    assert not cell(result, "c", "CRC", "overall")["withheld"]


def test_overall_is_withheld_when_a_key_area_it_does_not_repeat_is() -> None:
    # 4 of 4 sufficient is above the driver (30 of 40): a visible overall row would say that the
    # withheld score is at least 75%, i.e. 4 of 4.
    result, overall = disclosed_overall(
        {("a", "NPS", "safety"): (4, 4), ("b", "NPS", "safety"): (6, 3)}, "NPS", "engagement"
    )
    assert (overall["suppression"], overall["pct_display"]) == ("secondary", CONFIDENTIAL)
    assert pd.isna(overall["driven_by"]) and pd.isna(overall["n"]) and pd.isna(overall["band"])
    assert not cell(result, "a", "NPS", "engagement")["withheld"]


def test_empty_cell_is_not_available_and_needs_no_protection() -> None:
    ratings = rated({k: v for k, v in full({}).items() if k != ("a", "CRC", "safety")})
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    empty = cell(result, "a", "CRC", "safety")
    assert empty["n"] == 0 and empty["pct_display"] == NOT_AVAILABLE and not empty["withheld"]
    unrated = cell(result, "a", "CRC", "overall")
    assert unrated["pct_display"] == NOT_AVAILABLE and not unrated["withheld"]
    assert not result["withheld"].any()


def test_a_lone_area_leaves_only_the_national_cell_to_withhold() -> None:
    ratings = rated(full({("a", "CRC", "engagement"): (2, 1)}, areas=("a",)))
    result = apply_ratings_disclosure(ratings, DISCLOSURE)
    assert cell(result, None, "CRC", "engagement")["suppression"] == "secondary"
    assert cell(result, None, "CRC", "overall")["withheld"]
    assert not result[result["provider"].eq("NPS")]["withheld"].any()


def _unknown_ranges(column: pd.DataFrame, national: pd.Series) -> list[tuple[int, int]]:
    """Range of each withheld area `sufficient` consistent with the published national total."""
    hidden = column[column["withheld"]]
    known = int(national["sufficient"]) - int(column[~column["withheld"]]["sufficient"].sum())
    hidden_n = int(hidden["n"].sum())
    return [
        (max(0, known - (hidden_n - int(n))), min(int(n), known)) for n in hidden["n"].astype(int)
    ]


# Combinations left out have n = 0 (every area present has some case).
counts_strategy = st.dictionaries(
    st.tuples(
        st.sampled_from("abcde"), st.sampled_from(("CRC", "NPS")), st.sampled_from(KEY_AREAS)
    ),
    st.integers(1, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(counts=counts_strategy, min_base=st.integers(1, 8))
def test_no_withheld_value_can_be_worked_out(counts: Counts, min_base: int) -> None:
    ratings = rated(counts)
    result = apply_ratings_disclosure(ratings, DisclosureConfig(min_base=min_base))
    assert list(result.columns[: len(ratings.columns)]) == list(ratings.columns)
    assert len(result) == len(ratings)

    withheld = result["withheld"]
    # Nothing withheld stays in any column; visible rows are published unchanged.
    for column in RATING_WITHHELD_COLUMNS:
        assert result.loc[withheld, column].isna().all()
    overall = result["key_area"].eq("overall")
    for column in OVERALL_WITHHELD_COLUMNS:
        assert result.loc[withheld & overall, column].isna().all()
    assert (result["pct_display"].eq(CONFIDENTIAL) == withheld).all()
    pd.testing.assert_frame_equal(
        result.loc[~withheld, ratings.columns], ratings.loc[~withheld.to_numpy()]
    )

    cells = result[~overall]
    area_cells = cells[cells["scope"].eq("area")]
    small = area_cells["n"].between(1, min_base - 1)
    assert area_cells.loc[small, "withheld"].all()
    assert (area_cells.loc[small, "suppression"] == "primary").all()
    for (provider, key_area), column in area_cells.groupby(["provider", "key_area"]):
        national = cell(result, None, str(provider), str(key_area))
        # The national n and sufficient are the sums over areas.
        assert int(cell(ratings, None, str(provider), str(key_area))["n"]) == column["n"].sum()
        if national["withheld"]:
            assert column["withheld"].any()
            continue
        assert column["withheld"].sum() != 1
        for low, high in _unknown_ranges(column, national):
            assert low < high
        if not column["withheld"].any():
            assert not national["withheld"]

    # An overall row is withheld exactly when one of its (rated) provider's key areas is.
    for _, group in result.groupby(["scope", "area", "provider"], dropna=False):
        row = group[group["key_area"].eq("overall")].iloc[0]
        rated_overall = not pd.isna(ratings.loc[row.name, "n"])
        assert bool(row["withheld"]) == (rated_overall and bool(group["withheld"].any()))


def test_sample_sized_bases_withhold_nothing() -> None:
    # The shipped sample's smallest area base is 16, far above the default threshold.
    ratings = rated(full({("a", "CRC", "engagement"): (16, 9)}))
    assert not apply_ratings_disclosure(ratings, DisclosureConfig(min_base=5))["withheld"].any()


def test_publication_shows_withheld_ratings_as_confidential(tmp_path: Path) -> None:
    ratings = rated(full({("a", "CRC", "engagement"): (4, 1), ("b", "CRC", "engagement"): (9, 6)}))
    shown = apply_ratings_disclosure(ratings, REFERENCE.disclosure)
    bundle = dataclasses.replace(make_bundle(), ratings=shown)
    result = publish_publication(bundle, tmp_path)
    folder = tmp_path / result.publication_id
    for published in (
        pd.read_csv(folder / "ratings.csv", keep_default_na=False, dtype=str),
        pd.read_parquet(folder / "ratings.parquet").astype("string").fillna(""),
    ):
        hidden = published[published["pct_display"] == CONFIDENTIAL]
        assert len(hidden) == 4  # a and b engagement, a and b overall
        for column in RATING_WITHHELD_COLUMNS:
            assert (hidden[column] == "").all(), column
        assert set(hidden["withheld"].str.lower()) == {"true"}
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "Not rated" not in report
    assert f"<td>{CONFIDENTIAL}</td>" in report
