"""The data-fitness gate: an area that keeps no case or loses too many rows is named, loudly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.extracts.contents import read_area_extracts
from probation_pipeline.extracts.reader import list_extract_files
from probation_pipeline.extracts.versions import registered_versions
from probation_pipeline.records.area import prepare_area_cases
from probation_pipeline.records.fitness import FitnessGate, assess_area, rule_counts
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline_tests.shipped import RAW, REFERENCE, REPO

PSEUDO = Pseudonymiser("test-key")


def _area(tmp_path: Path, area: str, edit=None):
    shutil.copytree(RAW / area, tmp_path / area)
    if edit is not None:
        for path in (tmp_path / area).glob("*.csv"):
            edit(path)
    reads, errors = read_area_extracts(list_extract_files(tmp_path, area), PSEUDO, REFERENCE)
    assert not errors
    raw = pd.concat([r.rows for r in reads], ignore_index=True)
    return raw, prepare_area_cases(area, raw, REFERENCE, registered_versions())


def test_default_gate_is_ten_percent_from_the_reference_data():
    assert FitnessGate.load(REPO / "data" / "reference") == FitnessGate(0.10, 3)
    with pytest.raises(ValueError, match="unknown setting"):
        FitnessGate.from_mapping({"max_share": 0.2})


@pytest.mark.parametrize("area", sorted(p.name for p in RAW.iterdir()))
def test_every_shipped_area_passes_and_loses_under_two_percent(tmp_path, area):
    raw, result = _area(tmp_path, area)
    assert assess_area(area, raw, result, FitnessGate()) is None
    accounting = result.accounting.iloc[0]
    assert accounting["quarantined"] / (accounting["raw_rows"] - accounting["superseded"]) < 0.02


def _under_age(rows: int):
    def edit(path: Path) -> None:
        lines = path.read_text().splitlines()
        body = []
        for i, line in enumerate(lines[1:]):
            fields = line.split(",")
            if i < rows:
                fields[9] = "2010-01-01"  # date_of_birth (v2): a child at sentence
            body.append(",".join(fields))
        path.write_text("\n".join([lines[0], *body]) + "\n")

    return edit


def test_an_area_losing_more_than_the_share_fails_naming_file_share_and_rules(tmp_path):
    raw, result = _area(tmp_path, "gwent", _under_age(12))
    unfit = assess_area("gwent", raw, result, FitnessGate())
    assert unfit is not None
    message = unfit.describe(FitnessGate())
    assert "gwent/gwent-2017-01.csv" in message
    assert "12 of 52 rows (23.1%) quarantined" in message
    assert "age_at_least_18 (12)" in message
    assert "previous inspection" in message


def test_a_share_at_the_limit_passes(tmp_path):
    raw, result = _area(tmp_path, "gwent", _under_age(5))  # 5 of 52 = 9.6%
    assert assess_area("gwent", raw, result, FitnessGate()) is None
    assert assess_area("gwent", raw, result, FitnessGate(max_quarantine_share=0.05)) is not None


def test_an_area_keeping_no_case_fails(tmp_path):
    raw, result = _area(tmp_path, "gwent", _under_age(52))
    unfit = assess_area("gwent", raw, result, FitnessGate(max_quarantine_share=1.0))
    assert unfit is not None and "keeps no case" in unfit.describe(FitnessGate())


def test_rule_counts_split_joined_rules_and_drop_values():
    quarantine = pd.DataFrame(
        {"rule": ["age_at_least_18; age_group_agrees_with_age", "row_read_cleanly: expected 22"]}
    )
    assert rule_counts(quarantine) == {
        "age_at_least_18": 1,
        "age_group_agrees_with_age": 1,
        "row_read_cleanly": 1,
    }
