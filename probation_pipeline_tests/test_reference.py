"""Reference data is parsed once, into typed settings that fail at load naming file and field."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from probation_pipeline.ratings.rules import rate_providers
from probation_pipeline.reference import Reference, ReferenceDataError
from probation_pipeline_tests.extract_fixtures import REFERENCE_DIR
from probation_pipeline_tests.stats.records_factory import answers, make_records


def _edited(tmp_path: Path, file: str, old: str, new: str) -> Reference:
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, folder)
    path = folder / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new))
    return Reference(folder)


def test_the_shipped_reference_loads() -> None:
    reference = Reference(REFERENCE_DIR)
    ratings = reference.ratings
    assert [area.name for area in ratings.key_areas] == ["engagement", "desistance", "keeping_safe"]
    assert ratings.key_areas[1].questions == ("desistance_post",)
    assert [band.min_share for band in ratings.bands] == [
        Fraction(4, 5),
        Fraction(13, 20),
        Fraction(1, 2),
        0,
    ]
    assert reference.disclosure.min_base == 5
    assert reference.operations.sensor_interval_seconds == 5
    assert reference.bulletin.publication_id == "bulletin-2018-01"


# Per file: (text replaced, replacement, the field the error must name).
BAD_SETTINGS: dict[str, list[tuple[str, str, str]]] = {
    "ratings.yaml": [
        ("min_share: 0.65", "min_share: 0.85", "bands"),
        ("min_share: 0.65", "min_share: high", "bands[1].min_share"),
        ("{rating: Good, min_share: 0.65}", "{min_share: 0.65}", "bands[1].rating"),
        ("min_share: 0.0", "min_share: 0.1", "bands"),
        ("case_rule: every_answered_question_yes", "case_rule: majority", "case_rule"),
        ("  desistance:\n    label: Factors", "  other:\n    label: Factors", "key_area"),
    ],
    "disclosure.yaml": [
        ("min_base: 5", "min_base: 0", "min_base"),
        ("min_base: 5", "min_base: '5'", "min_base"),
        ("min_base: 5", "threshold: 5", "min_base"),
    ],
    "operations.yaml": [
        ("interval_seconds: 5", "interval_seconds: soon", "raw_sensor.interval_seconds"),
    ],
    "bulletin_2018_01.yaml": [
        ("fieldwork_start_to: 2017-12-31", "fieldwork_start_to: end", "fieldwork_start_to"),
    ],
    "questions.csv": [
        ("desistance_pre,3,desistance,no", "desistance_pre,3,desistance,maybe", "rated"),
    ],
}


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [(file, *case) for file, cases in BAD_SETTINGS.items() for case in cases],
)
def test_a_bad_setting_fails_at_load_naming_file_and_field(
    tmp_path: Path, file: str, old: str, new: str, field: str
) -> None:
    reference = _edited(tmp_path, file, old, new)
    loaders = {
        "ratings.yaml": lambda: reference.ratings,
        "questions.csv": lambda: reference.ratings,
        "disclosure.yaml": lambda: reference.disclosure,
        "operations.yaml": lambda: reference.operations,
        "bulletin_2018_01.yaml": lambda: reference.bulletin,
    }
    with pytest.raises(ReferenceDataError) as raised:
        loaders[file]()
    assert raised.value.field == field
    assert re.match(r"^[a-z_0-9]+\.(yaml|csv): ", str(raised.value))


def test_changing_a_band_in_reference_changes_the_ratings(tmp_path: Path) -> None:
    # 13 of 20 barriers answers Yes (65%): Good with the shipped bands.
    records = make_records(
        answers("barriers", 13, 7, provider="CRC")
        + answers("desistance_post", 20, 0, provider="CRC")
        + answers("harm_public", 20, 0, provider="CRC")
    )

    def crc_rating(reference: Reference) -> str:
        ratings = rate_providers(records, reference.ratings)
        national = ratings[(ratings["scope"] == "national") & (ratings["provider"] == "CRC")]
        return str(national.loc[national["key_area"] == "overall", "band"].iloc[0])

    assert crc_rating(Reference(REFERENCE_DIR)) == "Good"
    raised = _edited(tmp_path, "ratings.yaml", "min_share: 0.65", "min_share: 0.70")
    assert crc_rating(raised) == "Requires improvement"


def test_key_area_questions_come_from_questions_csv(tmp_path: Path) -> None:
    reference = _edited(
        tmp_path,
        "questions.csv",
        "desistance_pre,3,desistance,no",
        "desistance_pre,3,desistance,yes",
    )
    assert reference.ratings.key_areas[1].questions == ("desistance_pre", "desistance_post")
