"""The sample generator: exact calibration, determinism, formats and defects.

Calibration is checked on the shipped files with an independent reader (independent_reader.py), so
a bug shared between the generator and its own bookkeeping cannot hide.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from probation_pipeline.records.columns import (
    record_columns,
    record_dtypes,
)
from probation_pipeline.sample.__main__ import main
from probation_pipeline.sample.calibrated import DEFAULT_SEED, LATEST_INSPECTIONS
from probation_pipeline.sample.cases import dates_of_birth, form_version_for
from probation_pipeline.sample.defects import expected_defects
from probation_pipeline.sample.margins import (
    TargetError,
    headline_targets,
    pct_half_up,
    published_cells,
    yes_count,
)
from probation_pipeline.sample.scale import scale_case_records, write_scale_sample
from probation_pipeline_tests.sample.independent_reader import kept_cases, read_file, tabulate
from probation_pipeline_tests.shipped import RAW, REFERENCE


@pytest.fixture(scope="module")
def shipped() -> tuple[list[dict], Counter]:
    return kept_cases(RAW)


# --- targets -----------------------------------------------------------------------------------


def test_half_up_ties_are_rounded_up_from_exact_counts() -> None:
    # CONSISTENCY.md (b): these ties print as 68.8 / 81.3; round() gives 81.2 for 39/48.
    assert pct_half_up(22, 32) == "68.8"
    assert pct_half_up(39, 48) == "81.3"
    assert yes_count(48, "81.3") == 39
    assert yes_count(235, "74.0") == 174


def test_yes_count_rejects_a_percentage_no_integer_reaches() -> None:
    with pytest.raises(TargetError):
        yes_count(253, "74.0")  # the Table 7 misprint, before the erratum


def test_published_cells_are_455_with_the_erratum_applied() -> None:
    cells = published_cells(REFERENCE)
    assert len(cells) == 455
    fixed = cells[
        (cells["question_id"] == "harm_children")
        & (cells["level"] == "25-29")
        & (cells["provider"] == "All")
    ]
    assert fixed[["n", "yes"]].values.tolist() == [[235, 174]]


# --- calibrated sample (shipped files) ----------------------------------------------------------


def test_shipped_sample_reproduces_every_published_cell(shipped) -> None:
    cases, _ = shipped
    table = tabulate(cases)
    cells = published_cells(REFERENCE)
    got = [
        table.get((c.question_id, c.variable, c.level, c.provider), (0, 0))
        for c in cells.itertuples()
    ]
    mismatches = [
        (c.question_id, c.variable, c.level, c.provider, g, (c.n, c.yes))
        for c, g in zip(cells.itertuples(), got, strict=True)
        if g != (c.n, c.yes)
    ]
    assert mismatches == []
    # And the printed percentages, rounded half-up from the exact counts.
    assert all(
        pct_half_up(g[1], g[0]) == Decimal(c.pct_yes).quantize(Decimal("0.1")).to_eng_string()
        for c, g in zip(cells.itertuples(), got, strict=True)
    )


def test_shipped_sample_meets_the_headline_counts(shipped) -> None:
    cases, _ = shipped
    headline = headline_targets(REFERENCE)
    mappa = Counter(case["mappa"] for case in cases)
    assert len(cases) == headline["total_cases"]
    assert sum(c["provider"] == "CRC" for c in cases) == headline["crc_cases"]
    assert sum(c["provider"] == "NPS" for c in cases) == headline["nps_cases"]
    assert sum(c["gender"] == "Female" for c in cases) == headline["female_cases"]
    assert (
        sum(c["sentence_type"] == "Licence" for c in cases)
        == headline["post_release_custody_cases"]
    )
    high = [c for c in cases if c["rosh_level"] == "High/Very high"]
    assert len(high) == headline["rosh_high_or_very_high_cases"]
    assert {c["provider"] for c in high} == {"NPS"}
    assert mappa["Yes"] == headline["mappa_eligible_cases"]
    assert {c["provider"] for c in cases if c["mappa"] == "Yes"} == {"NPS"}
    # The printed 26% holds on the cases whose MAPPA status is known (CONSISTENCY.md D2).
    known = mappa["Yes"] + mappa["No"]
    share = (Decimal(100 * mappa["Yes"]) / known).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    assert mappa[""] > 0 and share == 26


def test_shipped_files_are_the_fifteen_inspections_in_their_form_versions() -> None:
    files = sorted(RAW.glob("*/*.csv"))
    versions = {path.stem: read_file(path)[0] for path in files}
    assert len(files) == 15
    assert versions["london-2016-09"] == "v2"
    for area, year, month, _ in LATEST_INSPECTIONS:
        expected = (
            "v1" if (year, month) < (2016, 9) else "v3" if (year, month) >= (2017, 7) else "v2"
        )
        assert versions[f"{area}-{year}-{month:02d}"] == expected
    assert sorted(v for v in versions.values()).count("v1") == 4
    assert not [p for p in RAW.rglob("*") if p.is_file() and p.suffix != ".csv"]


def test_v1_files_have_bom_and_crlf_and_v2_files_do_not() -> None:
    v1 = (RAW / "durham" / "durham-2016-04.csv").read_bytes()
    v2 = (RAW / "gwent" / "gwent-2017-01.csv").read_bytes()
    assert v1.startswith(b"\xef\xbb\xbf") and b"\r\n" in v1
    assert not v2.startswith(b"\xef\xbb\xbf") and b"\r\n" not in v2


def test_v1_cases_are_exactly_the_cases_without_a_barriers_judgement(shipped) -> None:
    cases, _ = shipped
    v1 = [c for c in cases if c["version"] == "v1"]
    assert len(v1) == 211
    assert Counter(c["provider"] for c in v1) == {"CRC": 138, "NPS": 73}
    assert all(c["barriers"] is not None for c in cases if c["version"] != "v1")


def test_every_defect_is_dropped_or_quarantined_as_documented(shipped) -> None:
    _, dropped = shipped
    expected: Counter = Counter()
    for defect in expected_defects():
        expected[defect.rule] += defect.rows
    expected["superseded"] = 203
    assert dropped == expected


def test_kept_case_references_are_unique_across_areas(shipped) -> None:
    cases, _ = shipped
    assert len({c["case_ref"] for c in cases}) == len(cases)


# --- scale mode ----------------------------------------------------------------------------------


def test_scale_case_records_follow_the_record_contract() -> None:
    records = scale_case_records(3000, 6, seed=5, reference=REFERENCE)
    # The bulletin's questions and the v3 post stages: the judgements of the sample's versions.
    answers = (
        *REFERENCE.bulletin_question_ids,
        "harm_public_post",
        "harm_known_adults_post",
        "harm_children_post",
    )
    assert records.dtypes.astype(str).to_dict() == record_dtypes(answers)
    assert list(records.columns) == list(record_columns(answers))
    assert records["case_id"].is_unique
    assert records["area"].nunique() == 6
    assert (records["age"].dropna() >= 18).all()
    crc = records["provider"] == "CRC"
    assert not records.loc[crc, "rosh_level"].isin(["High", "Very high"]).any()
    assert not records.loc[crc, "mappa_eligible"].fillna(False).any()
    assert set(records["form_version"]) == {"v1", "v2", "v3"}
    assert records.loc[records["form_version"] == "v1", "barriers"].isna().all()


def test_scale_mode_is_deterministic_and_its_files_parse(tmp_path: Path) -> None:
    first = write_scale_sample(tmp_path / "a", 2500, 6, seed=3, reference=REFERENCE)
    second = write_scale_sample(tmp_path / "b", 2500, 6, seed=3, reference=REFERENCE)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    rows = [row for path in first for row in read_file(path)[1]]
    assert len(rows) == 2500
    assert {read_file(path)[0] for path in first} == {"v1", "v2", "v3"}
    assert not [row for row in rows if row["problems"]]
    records = scale_case_records(2500, 6, seed=3, reference=REFERENCE)
    pd.testing.assert_frame_equal(records, scale_case_records(2500, 6, seed=3, reference=REFERENCE))


@pytest.mark.slow
def test_shipped_sample_is_the_output_of_the_documented_command(tmp_path: Path) -> None:
    assert main(["calibrated", "--out", str(tmp_path), "--seed", str(DEFAULT_SEED)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.csv"))
    shipped = sorted(p.relative_to(RAW) for p in RAW.rglob("*.csv"))
    assert written == shipped
    assert all((tmp_path / p).read_bytes() == (RAW / p).read_bytes() for p in written)


# --- building blocks -----------------------------------------------------------------------------


def test_dates_of_birth_give_exactly_the_age_on_the_sentence_date() -> None:
    rng = np.random.default_rng(0)
    sentenced = pd.Series(pd.to_datetime("2016-02-29") + pd.to_timedelta(np.arange(2000), "D"))
    age = pd.Series(pd.array(rng.integers(18, 80, 2000), dtype="Int64"))
    age[5] = pd.NA
    born = dates_of_birth(rng, age, sentenced)
    completed = [
        s.year - b.year - ((s.month, s.day) < (b.month, b.day))
        for s, b in zip(sentenced, born, strict=True)
        if not pd.isna(b)
    ]
    assert completed == [a for a in age if not pd.isna(a)]
    assert pd.isna(born[5])


def test_form_version_follows_the_fieldwork_month() -> None:
    assert form_version_for(date(2016, 8, 29)) == "v1"
    assert form_version_for(date(2016, 9, 5)) == "v2"
    assert form_version_for(date(2017, 6, 26)) == "v2"
    assert form_version_for(date(2017, 7, 3)) == "v3"
