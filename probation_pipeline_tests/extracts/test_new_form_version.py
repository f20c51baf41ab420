"""Adding a form version is one entry in `extracts/versions.py`: the reader recognises the file and
the case record schema accepts its name, so nothing is quarantined for being new."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from probation_pipeline.extracts import versions
from probation_pipeline.extracts.errors import UnknownFormVersionError
from probation_pipeline.extracts.reader import read_extract
from probation_pipeline.records.area import prepare_area_cases
from probation_pipeline.records.pseudonym import Pseudonymiser
from probation_pipeline.reference import Reference
from probation_pipeline_tests.extract_fixtures import REFERENCE_DIR, v2_row, write_v3
from probation_pipeline_tests.shipped import ANSWERS

INSPECTION = "gwent-2017-01"
# The fixture: a v3 export with one column renamed.
V4 = replace(
    versions.V3,
    name="v4",
    columns={
        ("q_individual_diversity" if header == "q_diversity" else header): column
        for header, column in versions.V3.columns.items()
    },
)


def _v4_file(raw_dir: Path) -> Path:
    rows = [
        v2_row(INSPECTION, "K000001"),
        v2_row(INSPECTION, "K000002", provider="NPS", q_diversity="No"),
    ]
    path = write_v3(raw_dir, INSPECTION, rows)
    header, rest = path.read_text().split("\n", 1)
    path.write_text(header.replace("q_diversity", "q_individual_diversity") + "\n" + rest)
    return path


@pytest.fixture
def with_v4(monkeypatch: pytest.MonkeyPatch) -> None:
    # The one change a new version needs: its entry in the registry.
    monkeypatch.setattr(versions, "FORM_VERSIONS", (*versions.FORM_VERSIONS, V4))


def test_a_v4_file_is_read_and_nothing_is_quarantined(tmp_path: Path, with_v4: None) -> None:
    read = read_extract(_v4_file(tmp_path), Pseudonymiser("test-key"), ANSWERS)
    assert set(read.rows["form_version"]) == {"v4"}
    result = prepare_area_cases(
        "gwent", read.rows, Reference(REFERENCE_DIR), versions.registered_versions()
    )
    assert result.quarantine.empty
    assert len(result.cases) == 2
    assert result.cases["diversity"].tolist() == [True, False]
    assert set(result.cases["form_version"]) == {"v4"}


def test_the_schema_takes_form_versions_from_the_registry(tmp_path: Path, with_v4: None) -> None:
    # Without the registry's names the same rows would break the record's form_version domain.
    read = read_extract(_v4_file(tmp_path), Pseudonymiser("test-key"), ANSWERS)
    result = prepare_area_cases(
        "gwent", read.rows, Reference(REFERENCE_DIR), (versions.V1, versions.V2, versions.V3)
    )
    assert result.cases.empty
    assert result.quarantine["rule"].str.startswith("form_version isin").all()


def test_without_the_entry_the_header_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormVersionError):
        read_extract(_v4_file(tmp_path), Pseudonymiser("test-key"), ANSWERS)
