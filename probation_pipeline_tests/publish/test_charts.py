"""The assessment chart: right data, labelled, deterministic SVG."""

from __future__ import annotations

import dataclasses

from probation_pipeline.publish.charts import (
    ASSESSMENT_FIGURE_TITLE,
    assessment_by_provider_data,
    assessment_by_provider_svg,
)
from probation_pipeline_tests.publish.conftest import REFERENCE, make_bundle


def test_data_is_whole_sample_crc_and_nps_in_table_order() -> None:
    bundle = make_bundle()
    data = assessment_by_provider_data(bundle.judgement_tables, bundle.questions)
    assert len(data) == 14
    assert list(data["question_id"].drop_duplicates()) == list(REFERENCE.question_ids)
    barriers = data[data["question_id"] == "barriers"].set_index("provider")["pct_yes"]
    # Fixture, barriers, all cases: CRC 22/40 = 55.0%, NPS 34/51 = 66.7%.
    assert barriers.to_dict() == {"CRC": 55.0, "NPS": 66.7}


def test_svg_is_labelled_accessible_and_deterministic() -> None:
    bundle = make_bundle()
    data = assessment_by_provider_data(bundle.judgement_tables, bundle.questions)
    svg = assessment_by_provider_svg(data)
    assert svg == assessment_by_provider_svg(data)
    assert svg.startswith("<svg ") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert f'aria-label="{ASSESSMENT_FIGURE_TITLE}"' in svg
    assert f"<title>{ASSESSMENT_FIGURE_TITLE}</title>" in svg
    # Text stays text (fonttype none): axis labels, question labels and values are searchable.
    for text in ("Cases judged sufficient (% yes)", "Question", "Barriers to engagement"):
        assert text in svg
    assert "55.0%" in svg and "66.7%" in svg
    assert "<dc:date>" not in svg


def test_withheld_value_is_shown_as_its_shorthand() -> None:
    bundle = make_bundle()
    tables = bundle.judgement_tables.copy()
    cell = (
        (tables["question_id"] == "diversity")
        & (tables["variable"] == "all")
        & (tables["provider"] == "CRC")
    )
    tables.loc[cell, "pct_display"] = "[x]"
    bundle = dataclasses.replace(bundle, judgement_tables=tables)
    data = assessment_by_provider_data(bundle.judgement_tables, bundle.questions)
    svg = assessment_by_provider_svg(data)
    assert "[x]" in svg
    assert "57.4%" not in svg  # the diversity CRC value must not leak into the chart
