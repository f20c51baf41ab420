import shutil
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.reference import Reference
from probation_pipeline.stats.reproduction import (
    COMPARISON_COLUMNS,
    ErratumError,
    bulletin_applies,
    compare_with_bulletin,
    describe_mismatches,
    expected_cells,
)
from probation_pipeline.stats.subgroups import subgroup_counts
from probation_pipeline.stats.tables import judgement_tables
from probation_pipeline_tests.cells import only_row
from probation_pipeline_tests.stats.records_factory import REFERENCE_DIR, make_records, reference

REF = reference()
BULLETIN_AREAS = sorted(
    REF.pcc_areas.loc[REF.pcc_areas["in_bulletin_2018_01"] == "yes", "area_slug"]
)


def test_expected_cells_are_the_455_published_cells_with_errata() -> None:
    cells = expected_cells(REF)
    assert len(cells) == 455
    assert len(BULLETIN_AREAS) == 14

    def one(table: int, variable: str, level: str, provider: str) -> pd.Series:
        return only_row(cells, table=table, variable=variable, level=level, provider=provider)

    corrected = one(7, "age_group", "25-29", "All")
    assert (corrected["expected_n"], corrected["expected_yes"], corrected["erratum"]) == (
        235,
        174,
        True,
    )
    assert cells["erratum"].sum() == 1
    # Half-up ties of CONSISTENCY.md (b).
    assert (
        one(4, "ethnic_group", "Asian", "CRC")[["expected_n", "expected_yes"]] == [32, 22]
    ).all()
    assert (
        one(6, "ethnic_group", "Mixed", "NPS")[["expected_n", "expected_yes"]] == [16, 13]
    ).all()
    # No dash cells: CRC High/Very high RoSH is not a published cell.
    assert not (
        (cells["provider"] == "CRC")
        & (cells["level"] == "High/Very high")
        & (cells["variable"] == "rosh_level")
    ).any()


def test_all_equals_crc_plus_nps_in_every_expected_row() -> None:
    # Holds in the corrected bulletin (CONSISTENCY.md (b)); the misprint 253 would break it.
    cells = expected_cells(REF)
    wide = cells.pivot_table(
        index=["table", "variable", "level"],
        columns="provider",
        values=["expected_n", "expected_yes"],
    )
    both = wide.dropna()
    for measure in ("expected_n", "expected_yes"):
        assert (both[(measure, "All")] == both[(measure, "CRC")] + both[(measure, "NPS")]).all()


def _reference_with_errata(tmp_path: Path, errata: str) -> Reference:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    (folder / "errata.csv").write_text(errata)
    return Reference(folder)


def test_an_erratum_that_does_not_match_the_print_is_refused(tmp_path: Path) -> None:
    header = "table,question_id,variable,level,provider,field,printed,corrected,reason\n"
    stale = _reference_with_errata(
        tmp_path, header + "7,harm_children,age_group,25-29,All,n,999,235,stale\n"
    )
    with pytest.raises(ErratumError, match="999"):
        expected_cells(stale)


def test_without_the_erratum_the_misprinted_cell_has_no_count(tmp_path: Path) -> None:
    header = "table,question_id,variable,level,provider,field,printed,corrected,reason\n"
    with pytest.raises(ValueError, match="253"):
        expected_cells(_reference_with_errata(tmp_path, header))


def _tables_as_published() -> pd.DataFrame:
    """A stand-in for judgement_tables that holds exactly the published counts."""
    cells = expected_cells(REF)
    return cells.rename(columns={"expected_n": "n", "expected_yes": "yes"}).assign(
        pct_yes=lambda t: t["printed_pct"].astype(float)
    )[["question_id", "variable", "level", "provider", "n", "yes", "pct_yes"]]


def test_comparison_of_the_published_counts_matches_everywhere() -> None:
    comparison = compare_with_bulletin(_tables_as_published(), REF)
    assert tuple(comparison.columns) == COMPARISON_COLUMNS
    assert len(comparison) == 455
    assert comparison["matches"].all()
    assert describe_mismatches(comparison) == []


def test_comparison_lists_exactly_the_cell_that_is_off() -> None:
    tables = _tables_as_published()
    off = (
        (tables["question_id"] == "diversity")
        & (tables["variable"] == "gender")
        & (tables["level"] == "Female")
        & (tables["provider"] == "NPS")
    )
    tables.loc[off, "yes"] -= 1
    comparison = compare_with_bulletin(tables, REF)
    mismatches = comparison[~comparison["matches"]]
    assert len(mismatches) == 1
    row = mismatches.iloc[0]
    assert (row["table"], row["question_id"], row["variable"], row["level"], row["provider"]) == (
        2, "diversity", "gender", "Female", "NPS",
    )  # fmt: skip
    assert row["actual_yes"] == row["expected_yes"] - 1
    assert row["actual_n"] == row["expected_n"]
    [sentence] = describe_mismatches(comparison)
    assert sentence.startswith("Table 2 diversity gender=Female NPS")


def test_comparison_flags_a_missing_cell_and_a_wrong_n() -> None:
    tables = _tables_as_published()
    tables = tables.drop(index=tables.index[0])  # Table 1, all, All
    tables.loc[tables.index[-1], "n"] += 5  # Table 7, last row
    comparison = compare_with_bulletin(tables, REF)
    mismatches = comparison[~comparison["matches"]]
    assert len(mismatches) == 2
    assert pd.isna(mismatches.iloc[0]["actual_n"])


def test_comparison_runs_on_real_judgement_tables() -> None:
    records = make_records([{"barriers": True, "provider": "NPS"}])
    comparison = compare_with_bulletin(judgement_tables(records, REF), REF)
    assert len(comparison) == 455
    assert not comparison["matches"].any()


def bulletin_records(**overrides: dict) -> pd.DataFrame:
    """One case from each bulletin area, fieldwork within the window."""
    rows = [
        {
            "area": area,
            "inspection_id": f"{area}-2017-03",
            "fieldwork_start": pd.Timestamp("2017-03-06"),
        }
        | overrides.get(area, {})
        for area in BULLETIN_AREAS
    ]
    return make_records(rows)


def test_bulletin_applies_to_its_own_inspections() -> None:
    applies, reason = bulletin_applies(bulletin_records(), REF)
    assert applies, reason
    assert reason.startswith("applies")


@pytest.mark.parametrize(
    ("records", "reason"),
    [
        (bulletin_records().iloc[1:], "missing: ['cumbria']"),
        (
            pd.concat([bulletin_records(), make_records([{"area": "essex"}])], ignore_index=True),
            "not in the bulletin: ['essex']",
        ),
        (
            bulletin_records(
                london={
                    "inspection_id": "london-2018-09",
                    "fieldwork_start": pd.Timestamp("2018-09-03"),
                }
            ),
            "london-2018-09",
        ),
        (
            pd.concat(
                [
                    bulletin_records(),
                    make_records([{"area": "kent", "inspection_id": "kent-2016-03"}]),
                ],
                ignore_index=True,
            ),
            "several inspections pooled for ['kent']",
        ),
        (bulletin_records().iloc[:0], "no case records"),
    ],
)
def test_bulletin_does_not_apply_otherwise(records: pd.DataFrame, reason: str) -> None:
    applies, message = bulletin_applies(records, REF)
    assert not applies
    assert message.startswith("does not apply")
    assert reason in message
    # The checks ask the same of the subgroup counts.
    assert bulletin_applies(subgroup_counts(records, REF), REF) == (applies, message)


def test_bulletin_scope_of_subgroup_counts_counts_their_cases() -> None:
    records = pd.concat([bulletin_records(), bulletin_records()], ignore_index=True)
    counts = subgroup_counts(records, REF)
    assert len(counts) < len(records)
    assert bulletin_applies(counts, REF) == bulletin_applies(records, REF)
    assert "28 cases" in bulletin_applies(counts, REF)[1]


@pytest.mark.parametrize(
    ("start", "applies"),
    [("2016-03-01", True), ("2017-12-31", True), ("2016-02-29", False), ("2018-01-01", False)],
)
def test_fieldwork_window_is_inclusive(start: str, applies: bool) -> None:
    records = bulletin_records(gwent={"fieldwork_start": pd.Timestamp(start)})
    assert bulletin_applies(records, REF)[0] is applies
