"""The bulletin's significance findings as data, and the statistics that compare a model with them."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from probation_pipeline.stats.findings import (
    FindingsError,
    bulletin_findings,
    compare_selections,
    effect_directions,
    final_model_tests,
    published_directions,
    selections_from_summaries,
)
from probation_pipeline.stats.models import (
    DEFAULT_CANDIDATES,
    fit_assessment_models,
    model_frame,
    model_levels,
)
from probation_pipeline.stats.stepwise import collapse_patterns
from probation_pipeline_tests.stats.test_models import REFERENCE, synthetic_records


@pytest.fixture(scope="module")
def models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_assessment_models(synthetic_records(), REFERENCE)


def test_bulletin_findings_are_the_section_2_selections():
    findings = bulletin_findings(REFERENCE)
    assert list(findings) == list(REFERENCE.question_ids)
    assert set(findings["barriers"]) == {"provider", "gender"}
    assert set(findings["diversity"]) == {"provider", "age_group", "ethnic_group", "ogrs_band"}
    assert set(findings["harm_children"]) == {"provider", "rosh_level"}
    assert all(set(v) <= set(DEFAULT_CANDIDATES) for v in findings.values())


def test_a_findings_file_naming_an_unknown_question_is_rejected(tmp_path):
    for source in REFERENCE.folder.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    (tmp_path / "bulletin_findings.csv").write_text("question_id,variable\nbarrier,provider\n")
    from probation_pipeline.reference import Reference

    with pytest.raises(FindingsError, match="barrier"):
        bulletin_findings(Reference(tmp_path))


def test_compare_selections_ignores_entry_order_and_names_the_differences():
    findings = {"a": ("provider", "gender"), "b": ("provider", "ogrs_band"), "c": ("provider",)}
    selections = {"a": ("gender", "provider"), "b": ("provider", "rosh_level")}
    frame = compare_selections(selections, findings).set_index("question_id")
    assert frame["matches"].tolist() == [True, False, False]
    assert (frame.loc["b", "missing"], frame.loc["b", "extra"]) == ("ogrs_band", "rosh_level")
    assert frame.loc["c", "selected"] == "" and frame.loc["c", "missing"] == "provider"


def test_selections_are_read_back_from_the_summaries(models):
    selections = selections_from_summaries(models.summaries)
    assert selections == {q: r.selected for q, r in models.results.items()}


def test_final_model_tests_repeat_the_stepwise_statistics(models):
    # The last entry's score statistic is the entry test at the model before it, and the
    # removal test of the last variable is the likelihood ratio of the last step.
    frame = model_frame(synthetic_records(), REFERENCE)
    levels = model_levels(REFERENCE, DEFAULT_CANDIDATES)
    result = models.results["harm_public"]
    assert len(result.selected) >= 2
    patterns = collapse_patterns(frame, "harm_public", DEFAULT_CANDIDATES, levels=levels)
    last = result.steps[-1]
    before = [step.variable for step in result.steps[:-1]]
    entry = {t.variable: t for t in final_model_tests(patterns, before, DEFAULT_CANDIDATES)}
    assert entry[last.variable].kind == "enter"
    assert entry[last.variable].statistic == pytest.approx(last.statistic, rel=1e-5)
    assert entry[last.variable].df == last.df
    tests = {
        t.variable: t for t in final_model_tests(patterns, result.selected, DEFAULT_CANDIDATES)
    }
    assert all(tests[v].kind == "remove" for v in result.selected)
    assert all(tests[v].p_value < 0.10 for v in result.selected)
    others = [t for t in tests.values() if t.kind == "enter"]
    assert others and all(t.p_value >= 0.05 for t in others)
    assert all(t.log10_margin > 0 for t in tests.values())


def test_published_directions_account_for_provider():
    directions = published_directions(REFERENCE)
    # Table 2 (diversity): Other 42.1% against White 76.9%, in both providers.
    estimate, z = directions[("diversity", "ethnic_group=Other")]
    assert estimate < 0 and z < -2
    # Table 7: High/Very high RoSH (NPS only) is 4.7 points above Low pooled, but within NPS it
    # is no better than Medium, and Medium is well below Low in the CRC: given provider the
    # tables imply a negative effect, which is what the additive models estimate.
    cells = REFERENCE.bulletin_tables
    high = cells[
        (cells["question_id"] == "harm_children")
        & (cells["variable"] == "rosh_level")
        & (cells["level"] == "High/Very high")
        & (cells["provider"] == "All")
    ]
    low = cells[
        (cells["question_id"] == "harm_children")
        & (cells["variable"] == "rosh_level")
        & (cells["level"] == "Low")
        & (cells["provider"] == "All")
    ]
    assert float(high["pct_yes"].iloc[0]) > float(low["pct_yes"].iloc[0])
    assert directions[("harm_children", "rosh_level=High/Very high")][0] < 0
    assert directions[("barriers", "provider=NPS")][0] > 0


def test_effect_directions_flag_a_term_against_the_published_direction():
    coefficients = pd.DataFrame(
        {
            "question_id": ["diversity", "diversity", "diversity"],
            "term": ["constant", "ethnic_group=Other", "ethnic_group=Mixed"],
            "estimate": [1.0, 0.5, 0.4],
        }
    )
    directions = effect_directions(coefficients, REFERENCE).set_index("term")
    assert "constant" not in directions.index
    assert not directions.loc["ethnic_group=Other", "agrees"]
    # Mixed is 0.3 points below White in Table 2: no direction to contradict.
    assert abs(directions.loc["ethnic_group=Mixed", "published_z"]) < 1
    assert directions.loc["ethnic_group=Mixed", "agrees"]
