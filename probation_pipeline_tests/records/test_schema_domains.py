"""The case record schema's domains and judgement columns come from the reference data and the
form versions, not from literals."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from probation_pipeline.extracts.versions import V1, V2, V3
from probation_pipeline.records.columns import UnknownJudgementError
from probation_pipeline.records.schema import case_record_schema, record_domains
from probation_pipeline.reference import Reference
from probation_pipeline_tests.extract_fixtures import REFERENCE_DIR
from probation_pipeline_tests.stats.records_factory import make_records


def _reference_with(tmp_path: Path, file: str, old: str, new: str) -> Reference:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    path = folder / file
    path.write_text(path.read_text().replace(old, new))
    return Reference(folder)


def test_domains_are_the_reference_values() -> None:
    domains = record_domains(Reference(REFERENCE_DIR), (V1, V2, V3))
    allowed = dict(domains.allowed)
    assert allowed["form_version"] == ("v1", "v2", "v3")
    assert allowed["age_group"] == ("18-20", "21-24", "25-29", "30-39", "40-49", "50+")
    assert allowed["ethnic_group"] == ("White", "Mixed", "Asian", "Black", "Other")
    assert dict(domains.ogrs_band_floors) == {"Low": 0, "Medium": 50, "High": 75, "Very high": 90}
    assert domains.high_rosh_levels == ("High", "Very high")


def test_judgements_are_the_questions_then_their_stages_the_versions_carry() -> None:
    domains = record_domains(Reference(REFERENCE_DIR), (V1, V2, V3))
    questions = Reference(REFERENCE_DIR).question_ids
    stages = ("harm_public_post", "harm_known_adults_post", "harm_children_post")
    assert domains.answers == (*questions, *stages)
    columns = domains.columns
    assert columns.index("mappa_category") + 1 == columns.index(questions[0])
    assert columns[-3:] == (stages[-1], "source_file", "source_line")
    schema = case_record_schema(domains)
    assert tuple(schema.columns) == columns
    assert all(str(schema.columns[answer].dtype) == "boolean" for answer in domains.answers)
    # Without v3, its post-stage judgements are no columns of the record.
    assert record_domains(Reference(REFERENCE_DIR), (V1, V2)).answers == questions


def test_a_question_row_adds_its_judgement_column(tmp_path: Path) -> None:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    with (folder / "questions.csv").open("a") as questions:
        questions.write("plan,8,engagement,yes,Plan,Was the plan sufficient?\n")
    v4 = replace(V3, name="v4", columns={**V3.columns, "q_plan": "plan"})
    domains = record_domains(Reference(folder), (V1, V2, V3, v4))
    assert domains.answers[:8] == (*Reference(REFERENCE_DIR).question_ids, "plan")
    assert dict(domains.allowed)["form_version"] == ("v1", "v2", "v3", "v4")
    assert "plan" in case_record_schema(domains).columns


def test_a_judgement_that_is_no_question_is_refused() -> None:
    v4 = replace(V3, name="v4", columns={**V3.columns, "q_plan": "plan"})
    with pytest.raises(UnknownJudgementError, match="v4 maps a column to 'plan'"):
        record_domains(Reference(REFERENCE_DIR), (V1, V2, V3, v4))


def test_moving_an_ogrs_floor_in_reference_moves_the_rule(tmp_path: Path) -> None:
    records = _records({"ogrs3_score": 72, "ogrs_band": "Medium"})
    assert _failed_checks(_schema(Reference(REFERENCE_DIR)), records) == set()
    moved = _reference_with(
        tmp_path, "ogrs_bands.csv", "Medium,50,74,Medium\nHigh,75,", "Medium,50,69,Medium\nHigh,70,"
    )
    assert _failed_checks(_schema(moved), records) == {"ogrs_band_agrees_with_score"}


def test_a_new_age_group_in_reference_is_allowed(tmp_path: Path) -> None:
    reference = _reference_with(tmp_path, "age_groups.csv", "50+,50,", "50-64,50,64\n65+,65,")
    records = _records({"age": 70, "age_group": "65+"})
    assert _failed_checks(_schema(reference), records) == set()
    assert _failed_checks(_schema(Reference(REFERENCE_DIR)), records) == {
        "isin(['18-20', '21-24', '25-29', '30-39', '40-49', '50+'])"
    }


def _schema(reference: Reference):
    return case_record_schema(record_domains(reference, (V1, V2, V3)))


def _records(row: dict) -> pd.DataFrame:
    records = make_records([row])
    records["case_id"] = pd.array(["0123456789abcdef0123"], dtype="string")
    return records


def _failed_checks(schema, records: pd.DataFrame) -> set[str]:
    try:
        schema.validate(records, lazy=True)
    except Exception as errors:  # pandera.errors.SchemaErrors
        return set(errors.failure_cases["check"].astype(str))
    return set()
