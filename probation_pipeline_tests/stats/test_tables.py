import pandas as pd
import pytest

from probation_pipeline.stats.tables import (
    TABLE_COLUMNS,
    ImpossibleCellError,
    UnknownLevelError,
    area_judgement_tables,
    judgement_tables,
    markdown_preview,
    render_bulletin_layout,
)
from probation_pipeline_tests.cells import only_row
from probation_pipeline_tests.stats.records_factory import answers, make_records, reference

REF = reference()


def cell(table: pd.DataFrame, question: str, variable: str, level: str, provider: str) -> pd.Series:
    return only_row(table, question_id=question, variable=variable, level=level, provider=provider)


@pytest.fixture
def ties() -> pd.DataFrame:
    """NPS 13/16 and CRC 22/32 on harm_public: the bulletin's half-up ties."""
    return make_records(
        answers("harm_public", 13, 3, provider="NPS", ethnic_group="Mixed")
        + answers("harm_public", 22, 10, provider="CRC", ethnic_group="Asian")
    )


def test_grid_is_every_question_subgroup_and_provider_in_bulletin_order(ties) -> None:
    table = judgement_tables(ties, REF)
    assert tuple(table.columns) == TABLE_COLUMNS
    assert len(table) == 7 * 22 * 3
    bulletin = REF.bulletin_tables
    expected = bulletin[["question_id", "variable", "level", "provider"]].reset_index(drop=True)
    actual = table[["question_id", "variable", "level", "provider"]].astype(str)
    pd.testing.assert_frame_equal(actual, expected)


def test_half_up_ties_and_all_equals_crc_plus_nps(ties) -> None:
    table = judgement_tables(ties, REF)
    nps = cell(table, "harm_public", "ethnic_group", "Mixed", "NPS")
    crc = cell(table, "harm_public", "ethnic_group", "Asian", "CRC")
    total = cell(table, "harm_public", "all", "All cases", "All")
    assert (nps["n"], nps["yes"], nps["pct_yes"]) == (16, 13, 81.3)
    assert (crc["n"], crc["yes"], crc["pct_yes"]) == (32, 22, 68.8)
    assert (total["n"], total["yes"], total["pct_yes"]) == (48, 35, 72.9)  # 72.916...


def test_wilson_interval_in_percent_rounded_to_one_decimal(ties) -> None:
    table = judgement_tables(ties, REF)
    nps = cell(table, "harm_public", "ethnic_group", "Mixed", "NPS")
    # statsmodels proportion_confint(13, 16, method="wilson") = (0.569911, 0.934084)
    assert (nps["ci_lower"], nps["ci_upper"]) == (57.0, 93.4)


def test_unanswered_cases_are_outside_the_base() -> None:
    records = make_records(answers("barriers", 2, 1) + [{"barriers": None}] * 4)
    row = cell(judgement_tables(records, REF), "barriers", "all", "All cases", "CRC")
    assert (row["n"], row["yes"], row["pct_yes"]) == (3, 2, 66.7)


def test_missing_demographics_count_in_all_cases_only() -> None:
    records = make_records(
        answers("diversity", 3, 1, gender="Female", age_group="18-20")
        + answers("diversity", 1, 1, gender="Male", age_group=None, ethnic_group=None)
    )
    table = judgement_tables(records, REF)
    assert cell(table, "diversity", "all", "All cases", "All")["n"] == 6
    age = table[(table["question_id"] == "diversity") & (table["variable"] == "age_group")]
    assert age.loc[age["provider"] == "All", "n"].sum() == 4
    assert cell(table, "diversity", "age_group", "18-20", "CRC")["n"] == 4
    ethnic = table[(table["question_id"] == "diversity") & (table["variable"] == "ethnic_group")]
    assert ethnic.loc[ethnic["provider"] == "CRC", "n"].sum() == 4
    assert cell(table, "diversity", "gender", "Male", "All")["yes"] == 1


def test_high_and_very_high_are_merged_and_crc_cell_is_not_applicable() -> None:
    records = make_records(
        answers("harm_children", 1, 0, provider="NPS", rosh_level="High", ogrs_band="High")
        + answers(
            "harm_children", 0, 1, provider="NPS", rosh_level="Very high", ogrs_band="Very high"
        )
        + answers("harm_children", 1, 0, provider="CRC", rosh_level="Medium", ogrs_band="Very high")
    )
    table = judgement_tables(records, REF)
    nps = cell(table, "harm_children", "rosh_level", "High/Very high", "NPS")
    assert (nps["n"], nps["yes"], nps["pct_yes"]) == (2, 1, 50.0)
    crc = cell(table, "harm_children", "rosh_level", "High/Very high", "CRC")
    assert not crc["applicable"]
    assert pd.isna(crc["n"]) and pd.isna(crc["yes"]) and pd.isna(crc["pct_yes"])
    # OGRS High/Very high is an ordinary cell, applicable for the CRC.
    ogrs = cell(table, "harm_children", "ogrs_band", "High/Very high", "CRC")
    assert ogrs["applicable"] and (ogrs["n"], ogrs["yes"]) == (1, 1)
    assert table["applicable"].sum() == len(table) - 7


def test_question_nobody_answered_in_an_area_has_n_zero_and_no_percentage() -> None:
    records = make_records(
        answers("harm_children", 3, 1, area="kent")
        + answers("barriers", 1, 1, area="gwent", inspection_id="gwent-2017-04")
    )
    table = area_judgement_tables(records, REF)
    assert list(table.columns) == [*TABLE_COLUMNS, "area"]
    assert list(dict.fromkeys(table["area"])) == ["gwent", "kent"]
    gwent = table[table["area"] == "gwent"]
    row = cell(gwent, "harm_children", "all", "All cases", "All")
    assert (row["n"], row["yes"]) == (0, 0)
    assert pd.isna(row["pct_yes"]) and pd.isna(row["ci_lower"]) and pd.isna(row["ci_upper"])
    kent = cell(table[table["area"] == "kent"], "harm_children", "all", "All cases", "All")
    assert (kent["n"], kent["yes"], kent["pct_yes"]) == (4, 3, 75.0)


def test_area_tables_add_up_to_the_pooled_table(ties) -> None:
    records = pd.concat(
        [ties, make_records(answers("harm_public", 2, 3, area="gwent", provider="NPS"))],
        ignore_index=True,
    )
    pooled = judgement_tables(records, REF)
    summed = (
        area_judgement_tables(records, REF)
        .groupby(["question_id", "variable", "level", "provider"], sort=False)[["n", "yes"]]
        .sum(min_count=1)
    )
    pd.testing.assert_series_equal(
        summed["n"].reset_index(drop=True), pooled["n"], check_names=False
    )


def test_unknown_level_fails_loudly() -> None:
    records = make_records(answers("barriers", 1, 0, gender="Unknown"))
    with pytest.raises(UnknownLevelError, match="gender"):
        judgement_tables(records, REF)


def test_case_without_provider_fails_loudly() -> None:
    records = make_records(answers("barriers", 1, 0, provider=None))
    with pytest.raises(UnknownLevelError, match="no provider"):
        judgement_tables(records, REF)


def test_case_in_an_impossible_cell_fails_loudly() -> None:
    records = make_records(answers("barriers", 1, 0, provider="CRC", rosh_level="Very high"))
    with pytest.raises(ImpossibleCellError, match="CRC"):
        judgement_tables(records, REF)


def test_wide_layout_of_one_question(ties) -> None:
    wide = render_bulletin_layout(judgement_tables(ties, REF), "harm_public")
    assert list(wide.columns) == [
        "variable", "group", "level",
        "All n", "All % yes", "CRC n", "CRC % yes", "NPS n", "NPS % yes",
    ]  # fmt: skip
    assert len(wide) == 22
    first = wide.iloc[0]
    assert (first["group"], first["level"], first["All n"], first["All % yes"]) == (
        "All cases", "All cases", 48, 72.9,
    )  # fmt: skip
    mixed = wide[wide["level"] == "Mixed"].iloc[0]
    assert (mixed["group"], mixed["NPS n"], mixed["NPS % yes"], mixed["CRC n"]) == (
        "Ethnic group", 16, 81.3, 0,
    )  # fmt: skip
    high = wide[(wide["variable"] == "rosh_level") & (wide["level"] == "High/Very high")].iloc[0]
    assert pd.isna(high["CRC n"])


def test_wide_layout_rejects_unknown_question_and_several_areas(ties) -> None:
    with pytest.raises(KeyError):
        render_bulletin_layout(judgement_tables(ties, REF), "no_such_question")
    two_areas = pd.concat(
        [ties, make_records(answers("barriers", 1, 0, area="gwent"))], ignore_index=True
    )
    with pytest.raises(ValueError, match="one area"):
        render_bulletin_layout(area_judgement_tables(two_areas, REF), "barriers")


def test_markdown_preview_shows_the_all_cases_row_of_each_question(ties) -> None:
    preview = markdown_preview(judgement_tables(ties, REF), REF)
    lines = preview.splitlines()
    assert lines[0] == "| Question | All n | All % yes | CRC n | CRC % yes | NPS n | NPS % yes |"
    assert len(lines) == 2 + 7
    assert "| Harm to the public | 48 | 72.9 | 32 | 68.8 | 16 | 81.3 |" in lines
    assert "| Barriers to engagement | 0 | [x] | 0 | [x] | 0 | [x] |" in lines
