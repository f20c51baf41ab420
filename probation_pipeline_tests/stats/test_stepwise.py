"""Forward stepwise logistic regression: hand-computed cases and agreement with statsmodels."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from probation_pipeline.stats.stepwise import (
    CONSTANT,
    EmptyLevelWarning,
    RedundantBlockWarning,
    SeparationWarning,
    StepwiseInputError,
    collapse_patterns,
    fit_binomial,
    forward_stepwise,
)

A_LEVELS = ["none", "one", "both"]


def proxy_data(seed: int = 8, n: int = 600) -> pd.DataFrame:
    """y depends on b and c; a is a noisy count of b and c, so it enters first and later leaves."""
    rng = np.random.default_rng(seed)
    b = rng.random(n) < 0.5
    c = rng.random(n) < 0.5
    count = b.astype(int) + c.astype(int)
    noisy = np.where(rng.random(n) < 0.15, rng.integers(0, 3, n), count)
    eta = -0.6 + 0.9 * b + 0.9 * c
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame(
        {
            "y": pd.array(y, dtype="boolean"),
            "a": pd.array(np.array(A_LEVELS)[noisy], dtype="string"),
            "b": pd.array(np.where(b, "yes", "no"), dtype="string"),
            "c": pd.array(np.where(c, "yes", "no"), dtype="string"),
        }
    )


def mixed_data(seed: int = 1, n: int = 3000) -> pd.DataFrame:
    """Three categorical candidates (3, 2 and 4 levels), effects of p and r, missing values."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "p": rng.choice(["x", "y", "z"], n),
            "q": rng.choice(["m", "f"], n),
            "r": rng.choice(["t", "u", "v", "w"], n),
        }
    )
    eta = -0.3 + 0.8 * (frame.p == "y") - 0.5 * (frame.p == "z") + 0.4 * (frame.r == "v")
    y = pd.array(rng.random(n) < 1 / (1 + np.exp(-eta)), dtype="boolean")
    y[rng.random(n) < 0.05] = pd.NA
    frame = frame.astype("string")
    frame.loc[rng.random(n) < 0.1, "q"] = pd.NA
    frame.insert(0, "y", y)
    return frame


def dummies(frame: pd.DataFrame, levels: dict[str, list[str]], reference: dict[str, str]):
    """Case-level design with a constant and indicators, for statsmodels."""
    columns = {"const": np.ones(len(frame))}
    for variable, variable_levels in levels.items():
        for level in variable_levels:
            if level != reference[variable]:
                columns[f"{variable}={level}"] = (frame[variable] == level).to_numpy(float)
    return pd.DataFrame(columns, index=frame.index)


def quiet_stepwise(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return forward_stepwise(*args, **kwargs)


# ---------------------------------------------------------------------------- collapse


def test_collapse_counts_cases_and_yes_per_pattern_after_listwise_deletion():
    frame = pd.DataFrame(
        {
            "y": pd.array([True, False, True, True, None, False], dtype="boolean"),
            "v": pd.array(["a", "a", "b", "a", "b", None], dtype="string"),
            "w": pd.array(["k", "k", "k", "l", "l", "l"], dtype="string"),
        }
    )
    patterns = collapse_patterns(frame, "y", ["v", "w"])
    # Rows 4 (outcome missing) and 5 (v missing) go; patterns (a,k): 2 cases 1 yes,
    # (a,l): 1 case 1 yes, (b,k): 1 case 1 yes.
    got = {
        (
            patterns.codings["v"].levels[patterns.codes["v"][i]],
            patterns.codings["w"].levels[patterns.codes["w"][i]],
        ): (patterns.cases[i], patterns.yes[i])
        for i in range(patterns.n_patterns)
    }
    assert got == {("a", "k"): (2, 1), ("a", "l"): (1, 1), ("b", "k"): (1, 1)}
    assert patterns.n_cases == 4
    assert patterns.n_excluded == 2


def test_value_outside_given_levels_is_an_error():
    frame = pd.DataFrame({"y": [True, False], "v": ["a", "c"]})
    with pytest.raises(StepwiseInputError, match="'c'"):
        collapse_patterns(frame, "y", ["v"], levels={"v": ["a", "b"]})


def test_reference_that_is_not_a_level_is_an_error():
    frame = pd.DataFrame({"y": [True, False], "v": ["a", "b"]})
    with pytest.raises(StepwiseInputError, match="reference level 'c'"):
        collapse_patterns(frame, "y", ["v"], reference_levels={"v": "c"})


def test_level_without_cases_is_dropped_with_a_warning():
    frame = mixed_data()
    with pytest.warns(EmptyLevelWarning, match="level\\(s\\) s of r"):
        patterns = collapse_patterns(frame, "y", ["r"], levels={"r": ["s", "t", "u", "v", "w"]})
    assert patterns.codings["r"].levels == ("t", "u", "v", "w")
    assert patterns.codings["r"].reference == "t"
    assert patterns.codings["r"].dropped_levels == ("s",)


# ---------------------------------------------------------------------------- fitting


def test_constant_only_fit_is_the_logit_of_the_proportion():
    # 30 yes out of 40: estimate log(3), variance 1 / (n p (1 - p)) = 1 / 7.5.
    params, covariance, log_likelihood, converged, _ = fit_binomial(
        np.ones((1, 1)), np.array([40.0]), np.array([30.0])
    )
    assert params[0] == pytest.approx(math.log(3), abs=1e-12)
    assert covariance[0, 0] == pytest.approx(1 / 7.5, abs=1e-12)
    assert log_likelihood == pytest.approx(30 * math.log(0.75) + 10 * math.log(0.25), abs=1e-9)
    assert converged


def test_score_statistic_equals_statsmodels_glm_score_test():
    frame = mixed_data().dropna()
    levels = {"p": ["x", "y", "z"], "r": ["t", "u", "v", "w"]}
    reference = {"p": "x", "r": "t"}
    y = frame["y"].to_numpy(float)
    design = dummies(frame, levels, reference)
    result = quiet_stepwise(frame, "y", ["p", "q", "r"], levels={**levels, "q": ["f", "m"]})
    first, second = result.steps[:2]
    assert (first.variable, second.variable) == ("p", "r")

    # Step 1: from the constant-only fit, add block p.
    constant = design[["const"]]
    fit0 = sm.GLM(y, constant, family=sm.families.Binomial()).fit()
    expected = sm.GLM(y, constant, family=sm.families.Binomial()).score_test(
        fit0.params, exog_extra=design[["p=y", "p=z"]]
    )
    assert first.statistic == pytest.approx(np.asarray(expected[0]).item(), rel=1e-9)
    assert first.df == 2
    assert first.p_value == pytest.approx(np.asarray(expected[1]).item(), rel=1e-6)

    # Step 2: from the fit with p, add block r.
    with_p = design[["const", "p=y", "p=z"]]
    fit1 = sm.GLM(y, with_p, family=sm.families.Binomial()).fit()
    expected = sm.GLM(y, with_p, family=sm.families.Binomial()).score_test(
        fit1.params, exog_extra=design[["r=u", "r=v", "r=w"]]
    )
    assert second.statistic == pytest.approx(np.asarray(expected[0]).item(), rel=1e-6)
    assert second.df == 3


def test_final_fit_equals_statsmodels_logit_on_the_selected_variables():
    frame = mixed_data()
    result = quiet_stepwise(frame, "y", ["p", "q", "r"])
    assert result.selected == ("p", "r")
    used = frame.dropna()
    design = dummies(used, {"p": ["x", "y", "z"], "r": ["t", "u", "v", "w"]}, {"p": "x", "r": "t"})
    logit = sm.Logit(used["y"].to_numpy(float), design).fit(disp=0, tol=1e-12)
    terms = [c.term for c in result.coefficients]
    assert terms == [CONSTANT, "p=y", "p=z", "r=u", "r=v", "r=w"]
    estimates = np.array([c.estimate for c in result.coefficients])
    std_errors = np.array([c.std_error for c in result.coefficients])
    np.testing.assert_allclose(estimates, logit.params.to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(std_errors, logit.bse.to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        [c.p_value for c in result.coefficients], logit.pvalues.to_numpy(), rtol=1e-5, atol=1e-12
    )
    ci = np.exp(logit.conf_int().to_numpy())
    np.testing.assert_allclose([c.ci_lower for c in result.coefficients], ci[:, 0], rtol=1e-6)
    np.testing.assert_allclose([c.ci_upper for c in result.coefficients], ci[:, 1], rtol=1e-6)
    assert result.minus2_log_likelihood == pytest.approx(-2 * logit.llf, abs=1e-6)
    assert result.null_minus2_log_likelihood == pytest.approx(-2 * logit.llnull, abs=1e-6)
    assert result.n_used == len(used)
    n = len(used)
    cox_snell = 1 - math.exp(2 * (logit.llnull - logit.llf) / n)
    nagelkerke = cox_snell / (1 - math.exp(2 * logit.llnull / n))
    assert result.nagelkerke_r2 == pytest.approx(nagelkerke, rel=1e-8)


def test_explicit_reference_category_changes_coding_not_fit():
    frame = mixed_data()
    default = quiet_stepwise(frame, "y", ["p", "q", "r"])
    other = quiet_stepwise(frame, "y", ["p", "q", "r"], reference_levels={"p": "z"})
    assert [c.term for c in other.coefficients][:3] == [CONSTANT, "p=x", "p=y"]
    assert other.minus2_log_likelihood == pytest.approx(default.minus2_log_likelihood, abs=1e-9)
    by_term = {c.term: c.estimate for c in default.coefficients}
    z_vs_x = {c.term: c.estimate for c in other.coefficients}["p=x"]
    assert z_vs_x == pytest.approx(-by_term["p=z"], abs=1e-6)


# ---------------------------------------------------------------------------- the procedure


def test_entry_then_removal_sequence_with_statistics_from_statsmodels():
    frame = proxy_data()
    result = quiet_stepwise(frame, "y", ["a", "b", "c"], levels={"a": A_LEVELS})
    assert [(s.action, s.variable) for s in result.steps] == [
        ("enter", "a"),
        ("enter", "b"),
        ("enter", "c"),
        ("remove", "a"),
    ]
    assert result.selected == ("b", "c")
    assert result.stop_reason == "no remaining variable meets the entry criterion"

    y = frame["y"].to_numpy(float)
    design = dummies(
        frame,
        {"a": A_LEVELS, "b": ["no", "yes"], "c": ["no", "yes"]},
        {"a": "none", "b": "no", "c": "no"},
    )
    blocks = {"a": ["a=one", "a=both"], "b": ["b=yes"], "c": ["c=yes"]}

    def llf(model):
        columns = ["const", *(col for v in model for col in blocks[v])]
        return sm.Logit(y, design[columns]).fit(disp=0, tol=1e-12).llf

    # -2LL after each step is that of the model after the step.
    models = [("a",), ("a", "b"), ("a", "b", "c"), ("b", "c")]
    for step, model in zip(result.steps, models, strict=True):
        assert step.minus2_log_likelihood == pytest.approx(-2 * llf(model), abs=1e-6)
    # The removal statistic is twice the log-likelihood difference, df = block size.
    removal = result.steps[3]
    assert removal.statistic == pytest.approx(
        2 * (llf(("a", "b", "c")) - llf(("b", "c"))), abs=1e-6
    )
    assert removal.df == 2
    assert removal.p_value > 0.10
    assert all(s.p_value < 0.05 for s in result.steps[:3])


def test_stricter_entry_threshold_selects_less():
    frame = proxy_data()
    result = quiet_stepwise(frame, "y", ["a", "b", "c"], entry=1e-6, removal=1e-5)
    assert result.selected == ("a",)


def test_entry_above_removal_is_rejected():
    with pytest.raises(StepwiseInputError, match="entry <= removal"):
        forward_stepwise(proxy_data(), "y", ["a"], entry=0.2, removal=0.1)


def test_separation_is_warned_and_recorded():
    frame = mixed_data()
    # Every case at level w of r answers yes: quasi-complete separation once r enters.
    frame.loc[frame["r"] == "w", "y"] = True
    with pytest.warns(SeparationWarning, match="separation"):
        result = forward_stepwise(frame, "y", ["p", "q", "r"])
    assert "r" in result.selected
    assert any("separation" in message for message in result.warnings)
    assert not result.converged
    estimate = {c.term: c for c in result.coefficients}["r=w"]
    assert estimate.estimate > 10  # heading for +infinity, stopped at 20 iterations
    assert estimate.std_error > 100


def test_redundant_block_is_warned_and_never_enters():
    frame = mixed_data()
    frame["p_copy"] = frame["p"].map({"x": "one", "y": "two", "z": "three"}).astype("string")
    with pytest.warns(RedundantBlockWarning, match="p_copy adds nothing given p"):
        result = forward_stepwise(frame, "y", ["p", "p_copy", "q", "r"])
    assert result.selected == ("p", "r")
    assert any("p_copy adds nothing" in message for message in result.warnings)


def test_partly_redundant_block_is_tested_on_its_new_columns_only():
    # u is p with level y split at random: given p, only one of u's three columns is new.
    frame = mixed_data(n=4000)
    rng = np.random.default_rng(5)
    split = (frame["p"] == "y") & (rng.random(len(frame)) < 0.5)
    frame["u"] = frame["p"].where(~split, "y2").astype("string")
    with pytest.warns(RedundantBlockWarning) as record:
        result = forward_stepwise(frame, "y", ["p", "u"], entry=0.99, removal=0.995)
    messages = [str(w.message) for w in record]
    assert messages == list(result.warnings)
    assert any("u has 2 of 3 columns redundant given p" in m for m in messages)
    assert any("p adds nothing given u" in m for m in messages)
    # With a lax entry threshold u enters after p on its one new column; then p, which adds
    # no parameter to u, leaves (0 df, p = 1), and p cannot re-enter.
    assert [(s.action, s.variable, s.df) for s in result.steps] == [
        ("enter", "p", 2),
        ("enter", "u", 1),
        ("remove", "p", 0),
    ]
    assert result.steps[2].p_value == 1.0
    assert [c.term for c in result.coefficients] == [CONSTANT, "u=y", "u=y2", "u=z"]


def test_constant_outcome_gives_an_empty_result_with_a_warning():
    frame = mixed_data()
    frame["y"] = pd.array([True] * len(frame), dtype="boolean")
    with pytest.warns(SeparationWarning, match="outcome is constant"):
        result = forward_stepwise(frame, "y", ["p", "q", "r"])
    assert result.selected == ()
    assert result.coefficients == ()
    assert math.isnan(result.nagelkerke_r2)


@pytest.mark.parametrize("statistic", [1500.0, 5e4, 1e6])
def test_log_p_value_stays_finite_and_exact_where_the_p_value_underflows(statistic):
    from scipy import special

    from probation_pipeline.stats.stepwise import chi2_log_sf

    # df = 2: P(chi2 > x) = exp(-x / 2) exactly; df = 1: 2 * Phi(-sqrt(x)).
    assert chi2_log_sf(statistic, 2) == pytest.approx(-statistic / 2, rel=1e-12)
    expected = math.log(2) + special.log_ndtr(-math.sqrt(statistic))
    assert chi2_log_sf(statistic, 1) == pytest.approx(expected, rel=1e-10)
    # Ordering survives underflow: more df, same statistic, larger p.
    assert chi2_log_sf(statistic, 6) > chi2_log_sf(statistic, 2)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(60, 400))
def test_case_level_and_pattern_level_agree_on_random_data(seed, n):
    """Invariant: fitting on covariate patterns is fitting on the cases (statsmodels Logit)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "p": rng.choice(["x", "y", "z"], n),
            "q": rng.choice(["m", "f"], n),
        }
    ).astype("string")
    is_y, is_m = (frame.p == "y").to_numpy(dtype=float), (frame.q == "m").to_numpy(dtype=float)
    eta = rng.normal(0, 1) * is_y + rng.normal(0, 1) * is_m
    frame["y"] = pd.array(rng.random(n) < 1 / (1 + np.exp(-eta)), dtype="boolean")
    # Keep to data where every cell of p x q has both answers: no separation, finite MLE.
    cells = frame.groupby(["p", "q"])["y"].agg(["min", "max", "size"])
    assume(len(cells) == 6 and bool((cells["min"] != cells["max"]).all()))
    # Lax thresholds so that most examples fit a model with both blocks.
    result = quiet_stepwise(frame, "y", ["p", "q"], entry=0.99, removal=0.995)
    design = dummies(frame, {"p": ["x", "y", "z"], "q": ["f", "m"]}, {"p": "x", "q": "f"})
    columns = [
        "const",
        *(f"{v}={lv}" for v in result.selected for lv in {"p": ["y", "z"], "q": ["m"]}[v]),
    ]
    logit = sm.Logit(frame["y"].to_numpy(float), design[columns]).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(
        [c.estimate for c in result.coefficients], logit.params, rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(
        [c.std_error for c in result.coefficients], logit.bse, rtol=0, atol=1e-6
    )
    assert result.minus2_log_likelihood == pytest.approx(-2 * logit.llf, abs=1e-6)
    # Shuffling the cases changes nothing.
    shuffled = quiet_stepwise(
        frame.sample(frac=1, random_state=seed % 1000), "y", ["p", "q"], entry=0.99, removal=0.995
    )
    assert shuffled.steps == result.steps


def two_by_two() -> pd.DataFrame:
    """Level a: 1 yes of 5; level b: 1 yes of 14."""
    return pd.DataFrame(
        {
            "v": ["a"] * 5 + ["b"] * 14,
            "y": [True] + [False] * 4 + [True] + [False] * 13,
        }
    )


def test_score_statistic_of_a_binary_variable_is_pearsons_chi_square():
    # 2x2 table [[1, 4], [1, 13]], n = 19: X² = n (ad - bc)² / (r1 r2 c1 c2) = 19 * 81 / 2380.
    result = forward_stepwise(two_by_two(), "y", ["v"], entry=0.99, removal=0.995)
    assert result.steps[0].statistic == pytest.approx(19 * 81 / 2380, rel=1e-6)
    assert result.steps[0].df == 1


def test_stop_when_removal_would_repeat_an_earlier_model():
    # Score p = 0.421 < 0.43 lets v enter; its likelihood-ratio p = 0.447 > 0.43 would remove it,
    # giving back the constant-only model: the procedure stops with v in, as SPSS does.
    result = forward_stepwise(two_by_two(), "y", ["v"], entry=0.43, removal=0.43)
    assert [(s.action, s.variable) for s in result.steps] == [("enter", "v")]
    assert result.selected == ("v",)
    assert result.stop_reason == "removing v would repeat an earlier model"


def test_newton_steps_never_lower_the_log_likelihood_under_separation():
    # Age bands of a 38-case model from a small scale sample: the reference and four of five
    # other levels all Yes. The plain Newton step from the constant-only start jumped to a
    # log-likelihood of about -4e11 (and the pseudo-R² then overflowed).
    matrix = np.vstack([np.zeros(5), np.eye(5)])
    matrix = np.column_stack([np.ones(6), matrix])
    cases = np.array([3.0, 2.0, 13.0, 7.0, 7.0, 6.0])
    yes = np.array([3.0, 1.0, 13.0, 5.0, 7.0, 6.0])
    _, _, constant_only, _, _ = fit_binomial(matrix[:, :1], cases, yes)
    params, _, log_likelihood, converged, _ = fit_binomial(matrix, cases, yes)
    assert math.isfinite(log_likelihood)
    assert log_likelihood >= constant_only
    # Levels 1 and 3 are estimable: their fitted shares are the observed ones.
    fitted = 1 / (1 + np.exp(-(matrix @ params)))
    assert fitted[1] == pytest.approx(0.5, abs=1e-6)
    assert fitted[3] == pytest.approx(5 / 7, abs=1e-6)
    assert not converged  # the separated levels head for +infinity


def test_constant_only_model_has_a_pseudo_r2_of_plus_zero():
    frame = mixed_data()
    frame["y"] = pd.array(np.random.default_rng(3).random(len(frame)) < 0.5, dtype="boolean")
    result = quiet_stepwise(frame, "y", ["p", "q", "r"], entry=1e-12)
    assert result.selected == ()
    assert math.copysign(1.0, result.nagelkerke_r2) == 1.0
    assert math.copysign(1.0, result.cox_snell_r2) == 1.0
