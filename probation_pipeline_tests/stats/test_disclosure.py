import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probation_pipeline.stats.disclosure import (
    DisclosureConfigError,
    IncompleteRowError,
    apply_disclosure_control,
    disclosure_notes,
)
from probation_pipeline.stats.rounding import percent_half_up_series
from probation_pipeline.stats.tables import area_judgement_tables, render_bulletin_layout
from probation_pipeline_tests.stats.records_factory import answers, make_records, reference

CONFIG = reference().disclosure
PROVIDERS = ("All", "CRC", "NPS")


def triple(
    crc: tuple[int, int] | None, nps: tuple[int, int], level: str = "Female"
) -> pd.DataFrame:
    """One row of a table: CRC (n, yes) or None when not applicable, NPS (n, yes); All = sum."""
    crc_n, crc_yes = crc if crc is not None else (0, 0)
    cells = {"All": (crc_n + nps[0], crc_yes + nps[1]), "CRC": (crc_n, crc_yes), "NPS": nps}
    frame = pd.DataFrame(
        {
            "area": "kent",
            "question_id": "barriers",
            "variable": "gender",
            "level": level,
            "provider": list(PROVIDERS),
            "n": pd.array([cells[p][0] for p in PROVIDERS], dtype="Int64"),
            "yes": pd.array([cells[p][1] for p in PROVIDERS], dtype="Int64"),
            "applicable": pd.array([True, crc is not None, True], dtype="boolean"),
        }
    )
    frame.loc[~frame["applicable"], ["n", "yes"]] = pd.NA
    frame["pct_yes"] = percent_half_up_series(frame["yes"], frame["n"])
    return frame


def shown(result: pd.DataFrame) -> dict[str, tuple[str, str]]:
    return {
        p: (n, pct)
        for p, n, pct in zip(
            result["provider"], result["n_display"], result["pct_display"], strict=True
        )
    }


def test_rows_without_small_bases_are_published_in_full() -> None:
    result = apply_disclosure_control(triple((5, 2), (40, 30)), CONFIG)
    assert shown(result) == {"All": ("45", "71.1"), "CRC": ("5", "40.0"), "NPS": ("40", "75.0")}
    assert not result["withheld"].any()
    assert result["suppression"].isna().all()


def test_small_base_is_withheld_and_its_sibling_too() -> None:
    result = apply_disclosure_control(triple((4, 1), (40, 30)), CONFIG)
    # CRC 4 < 5 (primary); NPS withheld so CRC cannot be worked out from All - NPS.
    assert shown(result) == {"All": ("44", "70.5"), "CRC": ("4", "[c]"), "NPS": ("40", "[c]")}
    assert result["suppression"].tolist() == [pd.NA, "primary", "secondary"]
    withheld = result[result["withheld"]]
    assert withheld[["yes", "pct_yes"]].isna().all().all()
    assert result["n"].tolist() == [44, 4, 40]  # bases are always published


def test_total_at_100_percent_is_withheld_too() -> None:
    # All 100% would show that every CRC and NPS case was Yes.
    result = apply_disclosure_control(triple((2, 2), (30, 30)), CONFIG)
    assert shown(result) == {"All": ("32", "[c]"), "CRC": ("2", "[c]"), "NPS": ("30", "[c]")}
    assert result["suppression"].tolist() == ["secondary", "primary", "secondary"]


def test_not_applicable_and_empty_cells() -> None:
    high_rosh = apply_disclosure_control(triple(None, (3, 2), level="High/Very high"), CONFIG)
    # All = NPS when the CRC cell cannot exist, so All goes with NPS.
    assert shown(high_rosh) == {"All": ("3", "[c]"), "CRC": ("[z]", "[z]"), "NPS": ("3", "[c]")}
    empty = apply_disclosure_control(triple((0, 0), (12, 6)), CONFIG)
    assert shown(empty) == {"All": ("12", "50.0"), "CRC": ("0", "[x]"), "NPS": ("12", "50.0")}


def test_threshold_comes_from_the_config() -> None:
    table = triple((6, 3), (40, 30))
    assert not apply_disclosure_control(table, CONFIG)["withheld"].any()
    assert apply_disclosure_control(table, replace(CONFIG, min_base=10))["withheld"].sum() == 2


def test_incomplete_row_is_refused() -> None:
    with pytest.raises(IncompleteRowError):
        apply_disclosure_control(triple((4, 1), (40, 30)).iloc[:2], CONFIG)


def test_notes_explain_every_symbol() -> None:
    notes = disclosure_notes(CONFIG)
    assert list(notes) == ["[c]", "[z]", "[x]"]
    assert all(len(meaning) > 20 for meaning in notes.values())
    with pytest.raises(DisclosureConfigError, match=r"disclosure\.yaml"):
        disclosure_notes(replace(CONFIG, shorthand={"[c]": "withheld"}))


def feasible_yes(result: pd.DataFrame) -> set[tuple[int, int, int]]:
    """Every (All, CRC, NPS) yes triple a reader could hold true, given only what is published.

    Reader model: every n is published; a visible percentage gives its yes count exactly; a
    withheld yes is any value in 0..n; [z] and [x] cells are 0; All = CRC + NPS.
    """
    cells = {row.provider: row for row in result.itertuples(index=False)}

    def options(provider: str) -> range:
        cell = cells[provider]
        if cell.n_display == "[z]":
            return range(0, 1)
        n = int(cell.n_display)
        if cell.pct_display == "[c]":
            return range(0, n + 1)
        if cell.pct_display == "[x]":
            return range(0, 1)
        return range(int(cell.yes), int(cell.yes) + 1)

    return {
        (a, c, s)
        for a, c, s in itertools.product(options("All"), options("CRC"), options("NPS"))
        if a == c + s
    }


@settings(max_examples=200, deadline=None)
@given(
    crc=st.none() | st.integers(0, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    nps=st.integers(0, 12).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    min_base=st.integers(1, 8),
)
def test_no_withheld_value_can_be_recovered(crc, nps, min_base: int) -> None:
    table = triple(crc, nps)
    result = apply_disclosure_control(table, replace(CONFIG, min_base=min_base))
    # Every small base is withheld.
    small = table["applicable"] & table["n"].between(1, min_base - 1)
    assert result.loc[small.fillna(False), "withheld"].all()
    # A row with no small base is left alone.
    if not small.any():
        assert not result["withheld"].any()
    # No withheld yes count is pinned by All = CRC + NPS.
    feasible = feasible_yes(result)
    true_values = tuple(int(v) if pd.notna(v) else 0 for v in table["yes"])
    assert true_values in feasible
    for position, withheld in enumerate(result["withheld"]):
        if withheld:
            assert len({values[position] for values in feasible}) > 1


# Tables with subgroup rows: the levels of a variable plus the cases with it missing add up to the
# All-cases row, per provider.
LEVELS = ("Male", "Female")


def gender_table(
    cells: dict[tuple[str, str], tuple[int, int]], missing: dict[str, tuple[int, int]]
) -> pd.DataFrame:
    """All-cases and gender rows from (level, provider) -> (n, yes) for CRC/NPS and missing cases."""
    rows = []
    for level in ("All cases", *LEVELS):
        for provider in PROVIDERS:
            parts = ("CRC", "NPS") if provider == "All" else (provider,)
            levels = LEVELS if level == "All cases" else (level,)
            n = sum(cells[(lv, p)][0] for lv in levels for p in parts)
            yes = sum(cells[(lv, p)][1] for lv in levels for p in parts)
            if level == "All cases":
                n += sum(missing[p][0] for p in parts)
                yes += sum(missing[p][1] for p in parts)
            rows.append(("all" if level == "All cases" else "gender", level, provider, n, yes))
    frame = pd.DataFrame(rows, columns=["variable", "level", "provider", "n", "yes"])
    frame.insert(0, "question_id", "barriers")
    frame.insert(0, "area", "kent")
    frame["n"] = frame["n"].astype("Int64")
    frame["yes"] = frame["yes"].astype("Int64")
    frame["applicable"] = pd.array([True] * len(frame), dtype="boolean")
    frame["pct_yes"] = percent_half_up_series(frame["yes"], frame["n"])
    return frame


def pinned_in_gender_table(result: pd.DataFrame) -> list[tuple[str, str]]:
    """Withheld (level, provider) cells whose yes count every consistent table agrees on.

    Brute force over the yes counts of the CRC and NPS cells of both levels and of the missing
    cases (the only free quantities), keeping those that reproduce every published number.
    """
    cell = {(r.level, r.provider): r for r in result.itertuples(index=False)}
    n = {key: int(r.n) for key, r in cell.items()}
    missing_n = {p: n[("All cases", p)] - n[("Male", p)] - n[("Female", p)] for p in ("CRC", "NPS")}
    free = [(lv, p) for lv in LEVELS for p in ("CRC", "NPS")]
    ranges = [np.arange(n[key] + 1) for key in free] + [
        np.arange(missing_n[p] + 1) for p in ("CRC", "NPS")
    ]
    grids = [g.ravel() for g in np.meshgrid(*ranges, indexing="ij")]
    values = dict(zip(free, grids[:4], strict=True))
    values[("All cases", "CRC")] = values[("Male", "CRC")] + values[("Female", "CRC")] + grids[4]
    values[("All cases", "NPS")] = values[("Male", "NPS")] + values[("Female", "NPS")] + grids[5]
    for level in ("All cases", *LEVELS):
        values[(level, "All")] = values[(level, "CRC")] + values[(level, "NPS")]
    consistent = np.ones(len(grids[0]), dtype=bool)
    for key, r in cell.items():
        if r.pct_display not in ("[c]", "[x]"):
            consistent &= values[key] == int(r.yes)
    assert consistent.any()
    return [
        key
        for key, r in cell.items()
        if r.withheld and len(np.unique(values[key][consistent])) == 1
    ]


small_cell = st.integers(0, 4).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))


@settings(max_examples=200, deadline=None)
@given(
    cells=st.fixed_dictionaries({(lv, p): small_cell for lv in LEVELS for p in ("CRC", "NPS")}),
    missing=st.fixed_dictionaries(
        {
            p: st.integers(0, 2).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))
            for p in ("CRC", "NPS")
        }
    ),
    min_base=st.integers(2, 4),
)
def test_no_withheld_value_can_be_recovered_from_rows_and_level_sums(
    cells, missing, min_base
) -> None:
    result = apply_disclosure_control(
        gender_table(cells, missing), replace(CONFIG, min_base=min_base)
    )
    small = result["n"].between(1, min_base - 1)
    assert result.loc[small, "withheld"].all()
    assert pinned_in_gender_table(result) == []


def test_withheld_level_is_protected_from_the_level_sum() -> None:
    # Female CRC 2/3 is small; Male CRC and All-cases CRC would give it away (no missing gender).
    table = gender_table(
        {
            ("Male", "CRC"): (20, 15),
            ("Female", "CRC"): (3, 2),
            ("Male", "NPS"): (10, 7),
            ("Female", "NPS"): (6, 3),
        },
        {"CRC": (0, 0), "NPS": (0, 0)},
    )
    result = apply_disclosure_control(table, CONFIG)
    withheld = set(
        result.loc[result["withheld"], ["level", "provider"]].itertuples(index=False, name=None)
    )
    assert ("Female", "CRC") in withheld
    assert len(withheld) >= 2
    assert pinned_in_gender_table(result) == []
    # Row sums alone leave it exposed through the level sum.
    rows_only = apply_disclosure_control(table, replace(CONFIG, protect_level_sums=False))
    assert ("Female", "CRC") in pinned_in_gender_table(rows_only)


def test_joint_sums_are_audited_exactly() -> None:
    # Each sum alone leaves the four withheld cells free, but together they force Male CRC = 0,
    # Male NPS = 1, Female CRC = 1, Female NPS = 2 (a 2 x 2 block with known margins).
    table = gender_table(
        {
            ("Male", "CRC"): (2, 0),
            ("Male", "NPS"): (2, 1),
            ("Female", "CRC"): (2, 1),
            ("Female", "NPS"): (2, 2),
        },
        {"CRC": (0, 0), "NPS": (0, 0)},
    )
    result = apply_disclosure_control(table, replace(CONFIG, min_base=3))
    assert pinned_in_gender_table(result) == []
    assert result["withheld"].sum() > 4


def test_area_tables_render_with_display_columns() -> None:
    records = make_records(
        answers("barriers", 30, 10, provider="NPS")
        + answers("barriers", 2, 1, provider="CRC", gender="Female")
        + answers("barriers", 20, 5, provider="CRC")
    )
    controlled = apply_disclosure_control(area_judgement_tables(records, reference()), CONFIG)
    wide = render_bulletin_layout(controlled, "barriers", "n_display", "pct_display")
    female = wide[wide["level"] == "Female"].iloc[0]
    assert (female["CRC n"], female["CRC % yes"]) == ("3", "[c]")
    high = wide[wide["level"] == "High/Very high"].iloc[-1]
    assert (high["CRC n"], high["CRC % yes"]) == ("[z]", "[z]")
    first = wide.iloc[0]
    assert (first["All n"], first["All % yes"]) == ("68", "76.5")  # 52/68
