"""Dedup, validation rules, quarantine and accounting on hand-written extracts."""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probation_pipeline.extracts.reader import read_extract
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.accounting import pooled_total, unaccounted_rows
from probation_pipeline.records.area import prepare_area_cases, prepare_areas
from probation_pipeline.records.pooling import pool_areas
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline.records.schema import case_record_schema, record_domains
from probation_pipeline.stats.subgroups import subgroup_counts
from probation_pipeline_tests.extract_fixtures import v2_row, write_v2
from probation_pipeline_tests.shipped import ANSWERS, REFERENCE

PSEUDO = Pseudonymiser("test-key")
INSPECTION = "gwent-2017-01"


def _area(tmp_path: Path, files: dict[str, list[dict[str, str]]], area: str = "gwent"):
    frames = [
        read_extract(write_v2(tmp_path, inspection, rows), PSEUDO, ANSWERS).rows
        for inspection, rows in files.items()
    ]
    return prepare_area_cases(
        area, pd.concat(frames, ignore_index=True), REFERENCE, registered_versions()
    )


def _closes(result) -> bool:
    return bool((unaccounted_rows(result.accounting) == 0).all())


def test_clean_rows_are_kept_with_derived_variables(tmp_path):
    result = _area(
        tmp_path,
        {
            INSPECTION: [
                v2_row(INSPECTION, "K000001"),
                v2_row(
                    INSPECTION,
                    "K000002",
                    sentence_type="Licence",
                    provider="NPS",
                    provider_name="NPS Wales",
                    rosh_level="Very high",
                    ogrs3_score="91",
                    mappa_eligible="Yes",
                    mappa_category="2",
                    ethnicity="Not stated",
                ),
            ]
        },
    )
    cases = result.cases
    assert list(cases.columns) == list(record_domains(REFERENCE, registered_versions()).columns)
    assert result.quarantine.empty and _closes(result)
    second = cases.iloc[1]
    assert second["supervision_type"] == "Post-custody"
    assert second["ogrs_band"] == "Very high" and second["rosh_level"] == "Very high"
    assert pd.isna(second["ethnic_group"])  # Not stated = missing
    assert second["mappa_category"] == 2 and second["mappa_eligible"]
    assert cases.iloc[0]["age"] == 26 and cases.iloc[0]["age_group"] == "25-29"
    assert pd.isna(cases.iloc[0]["harm_known_adults"])
    case_record_schema(record_domains(REFERENCE, registered_versions())).validate(cases)


BROKEN_ROWS = {
    "age_at_least_18": {"date_of_birth": "2000-01-01"},
    "crc_never_high_rosh": {"rosh_level": "High"},
    "mappa_eligible_only_nps": {"mappa_eligible": "Yes", "mappa_category": "1"},
    "mappa_category_only_when_eligible": {"mappa_category": "2"},
    "sentence_before_fieldwork": {"sentence_date": "2017-02-01"},
    "provider isin": {"provider": "Private"},
    "gender isin": {"sex": "Unknown"},
    "sentence_type isin": {"sentence_type": "Fine"},
    "rosh_level isin": {"rosh_level": "Extreme"},
    "ogrs3_score less_than_or_equal_to": {"ogrs3_score": "100"},
    "ogrs3_score is not a whole number": {"ogrs3_score": "high"},
    "diversity answer is not Yes/No": {"q_diversity": "Maybe"},
    "ethnicity is not an ONS 2011 label": {"ethnicity": "Martian"},
    "pcc_area_matches_folder": {"pcc_area": "Durham"},
    "provider_name_matches_area": {"provider_name": "Durham Tees Valley CRC"},
    "inspection_id_matches_file": {"inspection_id": "gwent-2016-01"},
    "capital letter and six digits": {"case_ref": "123"},
    "sentence date is not a date": {"sentence_date": ""},
}


@pytest.mark.parametrize("rule", list(BROKEN_ROWS))
def test_each_rule_quarantines_the_row_that_breaks_it(tmp_path, rule):
    changes = dict(BROKEN_ROWS[rule])
    case_ref = changes.pop("case_ref", "K000002")
    result = _area(
        tmp_path,
        {INSPECTION: [v2_row(INSPECTION, "K000001"), v2_row(INSPECTION, case_ref, **changes)]},
    )
    assert len(result.cases) == 1
    assert len(result.quarantine) == 1
    entry = result.quarantine.iloc[0]
    assert rule in entry["rule"], entry["rule"]
    assert entry["source_file"] == "gwent/gwent-2017-01.csv" and entry["source_line"] == 3
    assert entry["inspection_id"] == INSPECTION
    assert _closes(result)
    # What passes the ingestion schema satisfies the stored record's (not checked again per area).
    case_record_schema(record_domains(REFERENCE, registered_versions())).validate(result.cases)


def test_latest_inspection_kept_and_earlier_superseded(tmp_path):
    earlier = "gwent-2015-06"
    result = _area(
        tmp_path,
        {
            earlier: [v2_row(earlier, f"K10000{i}", sentence_date="2014-10-01") for i in range(3)],
            INSPECTION: [v2_row(INSPECTION, "K000001"), v2_row(INSPECTION, "K100001")],
        },
    )
    assert set(result.cases["inspection_id"]) == {INSPECTION}
    row = result.accounting.iloc[0]
    assert (row["raw_rows"], row["superseded"], row["kept"]) == (5, 3, 2)
    assert _closes(result)


def test_exact_duplicate_counted_once(tmp_path):
    row = v2_row(INSPECTION, "K000001")
    result = _area(tmp_path, {INSPECTION: [row, row, row, v2_row(INSPECTION, "K000002")]})
    accounting = result.accounting.iloc[0]
    assert (accounting["kept"], accounting["exact_duplicates"], accounting["quarantined"]) == (
        2,
        2,
        0,
    )
    assert _closes(result)


def test_conflicting_duplicate_quarantines_both_rows(tmp_path):
    result = _area(
        tmp_path,
        {
            INSPECTION: [
                v2_row(INSPECTION, "K000001"),
                v2_row(INSPECTION, "K000001", sex="Female"),
                v2_row(INSPECTION, "K000002"),
            ]
        },
    )
    assert len(result.cases) == 1
    assert result.quarantine["rule"].str.startswith("conflicting duplicate").tolist() == [
        True,
        True,
    ]
    assert result.quarantine["source_line"].tolist() == [2, 3]
    assert _closes(result)


def test_case_in_two_areas_is_quarantined_in_both(tmp_path):
    gwent = _area(
        tmp_path, {INSPECTION: [v2_row(INSPECTION, "K000001"), v2_row(INSPECTION, "K000002")]}
    )
    kent_id = "kent-2016-10"
    kent = _area(
        tmp_path,
        {
            kent_id: [
                v2_row(
                    kent_id,
                    "K000001",
                    provider_name="Kent, Surrey and Sussex CRC",
                    sentence_date="2016-01-04",
                ),
                v2_row(kent_id, "K000003", sentence_date="2016-01-04"),
            ]
        },
        area="kent",
    )
    areas = {"gwent": gwent, "kent": kent}
    pooled = pool_areas(
        {area: pa.Table.from_pandas(a.cases, preserve_index=False) for area, a in areas.items()},
        {area: a.quarantine for area, a in areas.items()},
        {area: a.accounting for area, a in areas.items()},
        {area: subgroup_counts(a.cases, REFERENCE) for area, a in areas.items()},
        REFERENCE,
    )
    assert pooled.records.num_rows == 2
    assert pooled.recounted == ("gwent", "kent")
    assert pooled.counts.equals(subgroup_counts(pooled.records.to_pandas(), REFERENCE))
    moved = pooled.quarantine
    assert sorted(moved["area"]) == ["gwent", "kent"]
    assert (moved["rule"] == "case in the latest inspections of several areas").all()
    total = pooled_total(pooled.accounting)
    assert (total["raw_rows"], total["kept"], total["quarantined"]) == (4, 2, 2)
    assert (unaccounted_rows(pooled.accounting) == 0).all()


@settings(max_examples=25, deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from(["clean", "duplicate", "conflict", "broken", "earlier"]),
        min_size=1,
        max_size=12,
    )
)
def test_accounting_closes_whatever_the_mix(tmp_path_factory, kinds):
    tmp_path = tmp_path_factory.mktemp("mix")
    latest, earlier = [], []
    for i, kind in enumerate(kinds):
        row = v2_row(INSPECTION, f"K{i:06d}")
        if kind == "duplicate":
            latest.append(row)
        elif kind == "conflict":
            latest.append(v2_row(INSPECTION, f"K{i:06d}", sex="Female"))
        elif kind == "broken":
            row = v2_row(INSPECTION, f"K{i:06d}", rosh_level="High")
        elif kind == "earlier":
            earlier.append(v2_row("gwent-2015-06", f"K{i:06d}", sentence_date="2014-10-01"))
            continue
        latest.append(row)
    files = {INSPECTION: latest} | ({"gwent-2015-06": earlier} if earlier else {})
    result = _area(tmp_path, files)
    accounting = result.accounting.iloc[0]
    assert accounting["raw_rows"] == len(latest) + len(earlier)
    assert _closes(result)
    expected_kept = kinds.count("clean") + kinds.count("duplicate") if latest else len(earlier)
    assert accounting["kept"] == expected_kept


def _rows(tmp_path: Path, inspection: str, rows: list[dict[str, str]]) -> pd.DataFrame:
    return read_extract(write_v2(tmp_path / inspection, inspection, rows), PSEUDO, ANSWERS).rows


def test_areas_prepared_together_are_as_each_prepared_alone(tmp_path):
    """One typing and validation pass over several areas gives each area's own result: a case
    reference in two areas is no conflict within either, and each area keeps its quarantine."""
    raws = {
        "gwent": pd.concat(
            [
                _rows(tmp_path, "gwent-2016-05", [v2_row("gwent-2016-05", "K000009")]),
                _rows(
                    tmp_path,
                    "gwent-2017-01",
                    [
                        v2_row("gwent-2017-01", "K000001"),
                        v2_row("gwent-2017-01", "K000002", ogrs3_score="abc"),
                        v2_row("gwent-2017-01", "K000003"),
                        v2_row("gwent-2017-01", "K000003", sex="Female"),
                    ],
                ),
            ],
            ignore_index=True,
        ),
        "durham": _rows(tmp_path, "durham-2017-02", [v2_row("durham-2017-02", "D000001")]).iloc[
            0:0
        ],
        "london": _rows(
            tmp_path,
            "london-2017-10",
            [
                v2_row("london-2017-10", "K000001"),
                v2_row("london-2017-10", "L000002", provider="CRC", rosh_level="High"),
                v2_row("london-2017-10", "L000003"),
                v2_row("london-2017-10", "L000003"),
            ],
        ),
    }
    together = prepare_areas(raws, REFERENCE, registered_versions())
    assert list(together) == list(raws)
    for area, raw in raws.items():
        alone = prepare_area_cases(area, raw, REFERENCE, registered_versions())
        for part in ("cases", "quarantine", "accounting"):
            pd.testing.assert_frame_equal(getattr(together[area], part), getattr(alone, part))
    gwent, london = together["gwent"], together["london"]
    assert gwent.quarantine["rule"].str.contains("conflicting duplicate").sum() == 2
    assert gwent.quarantine["rule"].str.contains("ogrs3_score").sum() == 1
    assert london.quarantine["rule"].tolist() == ["crc_never_high_rosh"]
    assert len(gwent.cases) == 1 and len(london.cases) == 2  # K000001 kept in both
    assert int(gwent.accounting["superseded"].iloc[0]) == 1
    assert int(london.accounting["exact_duplicates"].iloc[0]) == 1
    assert together["durham"].cases.empty and together["durham"].quarantine.empty
