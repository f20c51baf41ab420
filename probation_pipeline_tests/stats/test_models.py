"""Assessment models: the bulletin's conventions around the stepwise procedure."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from probation_pipeline.contracts import check_frame
from probation_pipeline.stats.models import (
    COEFFICIENT_STATISTICS,
    DEFAULT_CANDIDATES,
    ModelCoefficientSchema,
    ModelStepSchema,
    ModelSummarySchema,
    UnknownLevelError,
    fit_assessment_models,
    model_frame,
    summarise_selection,
)
from probation_pipeline.stats.stepwise import CONSTANT, EmptyLevelWarning
from probation_pipeline_tests.shipped import REFERENCE

CANDIDATES = DEFAULT_CANDIDATES


def synthetic_records(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """The model columns of case records: unmerged OGRS/RoSH, NPS-only High/Very high RoSH,
    answers driven by provider and OGRS band, about 20% of barriers unanswered."""
    rng = np.random.default_rng(seed)
    nps = rng.random(n) < 0.37

    def draw(levels, shares):
        return np.asarray(levels, dtype=object)[rng.choice(len(levels), size=n, p=shares)]

    frame = pd.DataFrame(
        {
            "provider": np.where(nps, "NPS", "CRC"),
            "gender": draw(["Male", "Female"], [0.85, 0.15]),
            "age_group": draw(
                ["18-20", "21-24", "25-29", "30-39", "40-49", "50+"],
                [0.06, 0.14, 0.22, 0.29, 0.17, 0.12],
            ),
            "ethnic_group": draw(
                ["White", "Black", "Asian", "Mixed", "Other"], [0.78, 0.1, 0.05, 0.05, 0.02]
            ),
            "supervision_type": draw(["Community sentence", "Post-custody"], [0.5, 0.5]),
            "ogrs_band": draw(["Low", "Medium", "High", "Very high"], [0.45, 0.3, 0.18, 0.07]),
            "rosh_level": np.where(
                nps,
                draw(["Low", "Medium", "High", "Very high"], [0.1, 0.4, 0.42, 0.08]),
                draw(["Low", "Medium"], [0.4, 0.6]),
            ),
        }
    ).astype("string")
    frame.loc[rng.random(n) < 0.03, "ethnic_group"] = pd.NA
    frame.loc[rng.random(n) < 0.05, "ogrs_band"] = pd.NA
    high_ogrs = frame["ogrs_band"].isin(["High", "Very high"]).to_numpy()
    for question in REFERENCE.question_ids:
        eta = 0.3 + 0.8 * nps - 0.6 * high_ogrs
        answers = pd.array(rng.random(n) < 1 / (1 + np.exp(-eta)), dtype="boolean")
        answers[rng.random(n) < (0.2 if question == "barriers" else 0.02)] = pd.NA
        frame[question] = answers
    return frame


@pytest.fixture(scope="module")
def models():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_assessment_models(synthetic_records(), REFERENCE)


def test_frames_fit_their_models(models):
    check_frame(models.steps, ModelStepSchema)
    check_frame(models.coefficients, ModelCoefficientSchema)
    check_frame(models.summaries, ModelSummarySchema)
    assert list(models.summaries["question_id"]) == list(REFERENCE.question_ids)
    assert set(models.steps["action"]) <= {"enter", "remove"}


def test_true_effects_are_selected_first(models):
    for question, result in models.results.items():
        assert result.selected[:2] in {("provider", "ogrs_band"), ("ogrs_band", "provider")}, (
            question
        )
    summary = models.summaries.set_index("question_id").loc["barriers"]
    assert summary["selected"].startswith(("provider; ogrs_band", "ogrs_band; provider"))


def test_listwise_deletion_per_question(models):
    records = synthetic_records()
    known = records[list(CANDIDATES)].notna().all(axis=1)
    expected = {q: int((known & records[q].notna()).sum()) for q in REFERENCE.question_ids}
    assert dict(zip(models.summaries["question_id"], models.summaries["n_used"], strict=True)) == (
        expected
    )


def test_high_and_very_high_are_merged_and_reference_is_the_first_bulletin_level(models):
    terms = set(models.coefficients["term"])
    assert "ogrs_band=High/Very high" in terms
    assert not any(term.endswith(("=High", "=Very high")) for term in terms)
    # References (no term): CRC, Male, 18-20, White, Community sentence, Low, Low.
    for reference_level in ("provider=CRC", "ogrs_band=Low", "gender=Male", "age_group=18-20"):
        assert reference_level not in terms


def test_final_coefficients_equal_statsmodels_logit(models):
    frame = model_frame(synthetic_records(), REFERENCE).dropna(subset=["harm_public", *CANDIDATES])
    result = models.results["harm_public"]
    columns = {"const": np.ones(len(frame))}
    for variable in result.selected:
        coding = result.codings[variable]
        for level in coding.indicator_levels:
            columns[f"{variable}={level}"] = (frame[variable] == level).to_numpy(float)
    design = pd.DataFrame(columns)
    logit = sm.Logit(frame["harm_public"].to_numpy(float), design).fit(disp=0, tol=1e-12)
    got = models.coefficients[models.coefficients["question_id"] == "harm_public"]
    assert list(got["term"]) == [CONSTANT, *list(design.columns[1:])]
    np.testing.assert_allclose(got["estimate"], logit.params, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got["std_error"], logit.bse, rtol=0, atol=1e-6)
    np.testing.assert_allclose(got["odds_ratio"], np.exp(logit.params), rtol=1e-6)


def test_explicit_reference_level_is_used():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = fit_assessment_models(
            synthetic_records(), REFERENCE, reference_levels={"provider": "NPS"}
        )
    assert "provider=CRC" in set(models.coefficients["term"])
    assert "provider=NPS" not in set(models.coefficients["term"])


def test_level_with_no_cases_is_dropped_with_a_warning():
    records = synthetic_records()
    records.loc[records["ethnic_group"] == "Other", "ethnic_group"] = pd.NA
    with pytest.warns(EmptyLevelWarning, match="Other of ethnic_group"):
        models = fit_assessment_models(records, REFERENCE)
    assert models.summaries["warnings"].str.contains("Other of ethnic_group").all()


def test_unknown_level_is_an_error_naming_the_value():
    records = synthetic_records(n=200)
    records.loc[2, "gender"] = pd.NA  # missing is fine and must not be blamed
    records.loc[5, "gender"] = "Unknown"
    with pytest.raises(UnknownLevelError, match="gender has value 'Unknown' \\(row 5\\)"):
        fit_assessment_models(records, REFERENCE)
    records = synthetic_records(n=200)
    records.loc[7, "ogrs_band"] = "Extreme"
    with pytest.raises(UnknownLevelError, match="ogrs_band has value 'Extreme' \\(row 7\\)"):
        fit_assessment_models(records, REFERENCE)


@pytest.mark.parametrize(
    ("selected", "sentence"),
    [
        (
            ("provider", "ogrs_band"),
            "Differences by provider and OGRS band were significant when accounting for the "
            "other variables.",
        ),
        (
            ("age_group",),
            "Differences by age group were significant when accounting for the other variables.",
        ),
        (
            ("rosh_level", "ethnic_group", "supervision_type"),
            "Differences by RoSH level, ethnic group and supervision type were significant when "
            "accounting for the other variables.",
        ),
        (
            (),
            "No subgroup difference was significant when accounting for the relationships "
            "between the variables.",
        ),
    ],
)
def test_summarise_selection(selected, sentence):
    assert summarise_selection(selected) == sentence


def test_summary_text_follows_the_selection(models):
    for row in models.summaries.itertuples():
        selected = tuple(row.selected.split("; ")) if row.selected else ()
        assert row.summary_text == summarise_selection(selected)
        assert 0 < row.nagelkerke_r2 < 1


def _fit_quietly(records: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_assessment_models(records, REFERENCE, CANDIDATES)


def test_separated_terms_have_a_note_and_no_infinite_or_huge_values():
    records = synthetic_records(n=600, seed=5)
    # Every NPS case answers barriers yes: provider separates the outcome completely.
    records.loc[records["provider"] == "NPS", "barriers"] = True
    fitted = _fit_quietly(records)
    barriers = fitted.coefficients[fitted.coefficients["question_id"] == "barriers"]
    provider = barriers[barriers["term"].str.startswith("provider")]
    assert len(provider) == 1
    assert provider["note"].iloc[0].startswith("not estimable: (quasi-)complete separation")
    assert provider[list(COEFFICIENT_STATISTICS)].isna().all(axis=None)
    numbers = fitted.coefficients[list(COEFFICIENT_STATISTICS)].to_numpy(dtype=float)
    assert not np.isinf(numbers).any()
    # Every estimate left is a usable one; the others carry their note.
    estimated = fitted.coefficients["note"] == ""
    assert (fitted.coefficients.loc[estimated, "std_error"] <= 100).all()
    assert fitted.coefficients.loc[~estimated, list(COEFFICIENT_STATISTICS)].isna().all(axis=None)


def test_estimable_terms_have_an_empty_note(models):
    assert (models.coefficients["note"] == "").all()


def test_question_with_no_answers_or_a_constant_outcome_says_so():
    records = synthetic_records(n=300, seed=9)
    records["barriers"] = pd.array([pd.NA] * len(records), dtype="boolean")
    records["diversity"] = pd.array([True] * len(records), dtype="boolean")
    fitted = _fit_quietly(records)
    summaries = fitted.summaries.set_index("question_id")
    assert "no case answered the question" in summaries.loc["barriers", "summary_text"]
    assert "gave the same answer" in summaries.loc["diversity", "summary_text"]
    assert fitted.coefficients[
        fitted.coefficients["question_id"].isin(["barriers", "diversity"])
    ].empty
