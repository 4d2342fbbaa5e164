"""Participant-level impact: estimators against the synthetic truth, statsmodels and hand work.

Where the expected numbers come from:
- the true effects: ``truth.json`` written beside the default synthetic inputs by
  ``evaluation.data.synthetic.impact_truth`` (the participants' observed rate less the mean of
  their true probability of work without the programme);
- the cross-check: statsmodels' ``TreatmentEffect`` (``ipw`` and ``ipw_ra`` with
  ``effect_group=1``), an independent implementation of weighting estimators of the ATT;
- matching: a deliberately plain loop over participants, written here, against the vectorised
  library code;
- balance, E-value, gross-to-net and headline numbers: worked by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import mannwhitneyu
from statsmodels.treatment.treatment_effects import TreatmentEffect

from evaluation.data.inputs import load_inputs
from evaluation.metrics.balance import c_statistic
from evaluation.metrics.impact import (
    ImpactEstimate,
    Shares,
    balance_table,
    balance_verdict,
    build_analysis_frame,
    common_support,
    deadweight_shares,
    doubly_robust_att,
    e_value,
    estimate_impact,
    gross_to_net,
    headline,
    ipw_att,
    nearest_neighbour_att,
    propensity,
)
from evaluation.params import load_params
from tests.conftest import ROOT, params_copy

SOUTH_YORKSHIRE = "E47000002"
ROTHERHAM = "E08000018"
BARNSLEY = "E08000016"


@pytest.fixture(scope="module")
def sy(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The South Yorkshire run's validated participants and pool, its parameters and the truth."""
    path = params_copy("south_yorkshire_2025-26", synthetic_dir, tmp_path_factory.mktemp("impact"))
    params = load_params(path)
    inputs = load_inputs(path, params)
    truth = json.loads((synthetic_dir / "truth.json").read_text(encoding="utf-8"))["impact"]["by_area"]
    return params, inputs.participants.frame, inputs.comparison_pool.frame, truth


def _frame(sy, codes: tuple[str, ...]) -> pd.DataFrame:
    params, participants, pool, _ = sy
    return build_analysis_frame(participants, pool, area_codes=codes, data_cutoff=params.period.data_cutoff)


@pytest.fixture(scope="module")
def sy_design(sy):
    frame = _frame(sy, sy[0].area_codes)
    return frame, propensity(frame)


@pytest.mark.parametrize("key", [SOUTH_YORKSHIRE, ROTHERHAM])
def test_analysis_frame_matches_the_truths_cohort(sy, key):
    # truth.json counts the eligible starters and their observed rate with the same rule.
    codes = sy[0].area_codes if key == SOUTH_YORKSHIRE else (key,)
    before = sy[1].copy()
    frame = _frame(sy, codes)
    pd.testing.assert_frame_equal(sy[1], before)  # the inputs are not changed
    treated = frame[frame["treated"] == 1]
    assert len(treated) == sy[3][key]["treated"]
    assert treated["outcome"].mean() == pytest.approx(sy[3][key]["observed_rate"], abs=1e-6)
    assert set(frame["entry_quarter"]) <= {"2025/26 Q1", "2025/26 Q2"}


def _people(n: int, reasons: list[str], **columns) -> dict:
    """Covariate columns of ``n`` people as validated tables hold them (one reason each)."""
    base = {
        "area_code": pd.array(["E08000018"] * n, dtype="string"),
        "age": pd.array([30] * n, dtype="Int64"),
        "sex": pd.array(["Female"] * n, dtype="string"),
        "ethnicity": pd.array(["White: Irish"] * n, dtype="string"),
        "disability": pd.array(["No"] * n, dtype="string"),
        "health_condition_type": pd.array(["None"] * n, dtype="string"),
        "inactivity_reason": pd.array(reasons, dtype="string"),
        "months_inactive": pd.array([12] * n, dtype="Int64"),
        "benefits": pd.array(["None"] * n, dtype="string"),
        "imd_decile": pd.array([3] * n, dtype="Int64"),
        "carer": pd.array([False] * n, dtype="boolean"),
        "lone_parent": pd.array([False] * n, dtype="boolean"),
        "social_housing": pd.array([False] * n, dtype="boolean"),
    }
    return base | columns


def test_analysis_frame_by_hand():
    # 7 participants (all started 1 May 2025, cut-off 15 Feb 2026: 182 days' follow-up) and 10
    # pool members, minimum 2 of each group per level.
    # Reasons (participants, pool): Caring (3, 3), Sick (3, 2), Retired (1, 3), Student (0, 1).
    # Retired and Student are small: pooled they hold (1, 4), still under 2 participants, so the
    # pool folds into the most common level, Caring (6 people against Sick's 5).
    reasons_p = ["Caring"] * 3 + ["Sick"] * 3 + ["Retired"]
    reasons_c = ["Caring"] * 3 + ["Sick"] * 2 + ["Retired"] * 3 + ["Student"]
    participants = pd.DataFrame(
        {
            "participant_id": pd.array([f"P{i}" for i in range(7)], dtype="string"),
            "start_date": pd.to_datetime(["2025-05-01"] * 7),
            # Jobs 10 and 200 days after the start: only the first is within 182 days.
            "job_start_date": pd.to_datetime(["2025-05-11", "2025-11-17", None, None, None, None, None]),
            "job_evidenced": pd.array([True, True, False, False, False, False, None], dtype="boolean"),
            **_people(
                7, reasons_p, carer=pd.array([True, None, False, False, False, False, False], dtype="boolean")
            ),
        }
    )
    pool = pd.DataFrame(
        {
            "person_id": pd.array([f"C{i}" for i in range(10)], dtype="string"),
            "entry_date": pd.to_datetime(["2025-05-01"] * 9 + ["2026-01-01"]),  # the last entered too late
            "in_work_6m": pd.array([True, False] * 5, dtype="boolean"),
            "in_work_12m": pd.array([None] * 10, dtype="boolean"),
            **_people(
                10,
                [*reasons_c, "Caring"],
                months_inactive=pd.array([6, None, 24, 12, 12, 12, 12, 12, 12, 12], dtype="Int64"),
            ),
        }
    )
    frame = build_analysis_frame(
        participants, pool, area_codes=["E08000018"], data_cutoff=dt.date(2026, 2, 15), min_level_count=2
    )
    assert frame["unit_id"].tolist() == [*(f"P{i}" for i in range(7)), *(f"C{i}" for i in range(9))]
    assert frame["treated"].tolist() == [1] * 7 + [0] * 9
    assert frame["outcome"].tolist() == [1.0] + [0.0] * 6 + [1.0, 0.0] * 4 + [1.0]
    reason = frame["inactivity_reason"]
    assert isinstance(reason.dtype, pd.CategoricalDtype)  # one byte a row, not a string pointer
    assert list(reason.cat.categories) == ["Caring (and small groups)", "Sick"]
    assert reason.tolist() == (
        ["Caring (and small groups)"] * 3 + ["Sick"] * 3 + ["Caring (and small groups)"] * 4
        + ["Sick"] * 2 + ["Caring (and small groups)"] * 4
    )  # fmt: skip
    # Carer: participants Yes, Not recorded, then No; every pool member No. "Yes" and "Not
    # recorded" hold one participant each (under 2) and no controls: pooled, then folded into No.
    assert frame["carer"].tolist() == ["No (and small groups)"] * 16
    assert frame["ethnic_group"].tolist() == ["White"] * 16
    # Months inactive: one pool member missing; the median of the other 15 values (6, 24, 13 x 12) is 12.
    assert frame["months_inactive_missing"].tolist() == [0.0] * 8 + [1.0] + [0.0] * 7
    assert frame["months_inactive"].iloc[8] == 12.0
    assert frame["log_months_inactive"].iloc[7] == pytest.approx(math.log(7))
    assert "imd_decile_missing" not in frame.columns


@pytest.mark.parametrize("key", [SOUTH_YORKSHIRE, ROTHERHAM])
def test_every_estimator_covers_the_true_att(sy, sy_design, key):
    frame, model = sy_design if key == SOUTH_YORKSHIRE else (None, None)
    if frame is None:
        frame = _frame(sy, (key,))
        model = propensity(frame)
    truth = sy[3][key]["att"]
    estimates = estimate_impact(frame, model)
    assert len(estimates) == 4
    for est in estimates:
        assert not est.refused, est.refusal
        assert est.lower <= truth <= est.upper, (est.method, est.att, est.lower, est.upper, truth)
        assert est.outcome_counterfactual == pytest.approx(est.outcome_treated - est.att)
        assert est.matched_treated >= 60
        assert est.method and est.variance_method


def test_ipw_equals_statsmodels_treatment_effect(sy, sy_design):
    # statsmodels TreatmentEffect.ipw(effect_group=1) with the same fitted Logit: same estimator,
    # so equal to rounding (tolerance 1e-9). support="none" because statsmodels does not trim.
    frame, model = sy_design
    mine = ipw_att(frame, model, support="none")
    x = pd.DataFrame(model.design, columns=model.params.index)
    select = sm.Logit(frame["treated"].to_numpy(), x).fit(disp=0)
    te = TreatmentEffect(
        sm.OLS(frame["outcome"].to_numpy(), x), frame["treated"].to_numpy(), results_select=select
    )
    att, pom0, _ = te.ipw(effect_group=1, return_results=False)
    assert mine.att == pytest.approx(att, abs=1e-9)
    assert mine.outcome_counterfactual == pytest.approx(pom0, abs=1e-9)
    # The doubly robust estimate against statsmodels' IPW regression adjustment for the ATT, a
    # different doubly robust estimator (linear outcome model): both consistent, so they agree
    # to well within their standard error; stated tolerance 1 percentage point.
    dr = doubly_robust_att(frame, model, support="none")
    ipwra, _, _ = te.ipw_ra(effect_group=1, return_results=False)
    assert abs(dr.att - ipwra) < 0.01
    assert abs(dr.att - ipwra) < 0.25 * dr.se


def test_ipw_sandwich_equals_statsmodels_gmm_standard_error():
    # statsmodels' GMM clips scores to [0.01, 0.99], so its standard error is compared on a
    # simulated frame whose scores all lie inside (checked); tolerance 0.1% of the SE.
    from benchmarks.impact_simulation import simulate

    frame = simulate(7, n=2500)
    model = propensity(frame)
    assert model.scores.min() > 0.01 and model.scores.max() < 0.99
    mine = ipw_att(frame, model, support="none")
    x = pd.DataFrame(model.design, columns=model.params.index)
    select = sm.Logit(frame["treated"].to_numpy(), x).fit(disp=0)
    te = TreatmentEffect(
        sm.OLS(frame["outcome"].to_numpy(), x), frame["treated"].to_numpy(), results_select=select
    )
    res = te.ipw(effect_group=1)
    assert mine.att == pytest.approx(res.effect[0], abs=1e-8)
    assert mine.se == pytest.approx(res.sd[0], rel=1e-3)


def _toy(n_t: int = 40, n_c: int = 200, seed: int = 3) -> tuple[pd.DataFrame, object]:
    rng = np.random.default_rng(seed)
    n = n_t + n_c
    frame = pd.DataFrame(
        {
            "treated": np.r_[np.ones(n_t, int), np.zeros(n_c, int)],
            "outcome": (rng.random(n) < 0.3).astype(float),
            "age": rng.uniform(16, 65, n),  # continuous, so no two scores tie
        }
    )
    frame["age"] += 6 * frame["treated"]
    return frame, propensity(frame, formula="treated ~ age")


def _plain_matching(frame: pd.DataFrame, eta: np.ndarray, k: int, caliper: float):
    """Matching with replacement and Abadie-Imbens variance, one participant at a time."""
    t = frame["treated"].to_numpy() == 1
    y = frame["outcome"].to_numpy()
    controls = list(np.flatnonzero(~t))
    weight = dict.fromkeys(controls, 0.0)
    weight_sq = dict.fromkeys(controls, 0.0)
    diffs = []
    for i in np.flatnonzero(t):
        near = sorted(controls, key=lambda j: abs(eta[j] - eta[i]))[:k]
        near = [j for j in near if abs(eta[j] - eta[i]) <= caliper]
        if not near:
            continue
        for j in near:
            weight[j] += 1 / len(near)
            weight_sq[j] += 1 / len(near) ** 2
        diffs.append(y[i] - np.mean([y[j] for j in near]))
    att = float(np.mean(diffs))
    total = sum((d - att) ** 2 for d in diffs)
    for j in controls:
        if weight[j] > 0:  # conditional variance from the 2 nearest other controls: J/(J+1)(Y - mean)^2
            others = sorted((c for c in controls if c != j), key=lambda c: abs(eta[c] - eta[j]))[:2]
            sigma2 = 2 / 3 * (y[j] - np.mean([y[c] for c in others])) ** 2
            total += (weight[j] ** 2 - weight_sq[j]) * sigma2
    return att, math.sqrt(total) / len(diffs), weight


def test_matching_with_replacement_equals_a_plain_loop():
    frame, model = _toy()
    eta = model.logit.to_numpy()
    caliper = 0.2 * eta.std(ddof=1)
    est = nearest_neighbour_att(frame, model, k=3, support="none", min_treated=10)
    att, se, weight = _plain_matching(frame, eta, 3, caliper)
    assert est.unmatched == 1  # one participant has no control within the caliper
    assert est.att == pytest.approx(att, abs=1e-12)
    assert est.se == pytest.approx(se, abs=1e-12)
    for j, w in weight.items():
        assert est.weights.iloc[j] == pytest.approx(w)
    assert "propensity score treated as known" in est.variance_method


def test_matching_without_replacement_equals_a_plain_greedy_loop():
    frame, model = _toy(n_t=60, n_c=90, seed=5)
    eta = model.logit.to_numpy()
    t = frame["treated"].to_numpy() == 1
    caliper = 0.2 * eta.std(ddof=1)
    free = set(np.flatnonzero(~t))
    pairs = {}
    for i in sorted(np.flatnonzero(t), key=lambda i: -eta[i]):  # highest score first
        if free:
            j = min(free, key=lambda j: (abs(eta[j] - eta[i]), j))
            if abs(eta[j] - eta[i]) <= caliper:
                pairs[i] = j
                free.remove(j)
    y = frame["outcome"].to_numpy()
    diffs = np.array([y[i] - y[j] for i, j in pairs.items()])
    est = nearest_neighbour_att(frame, model, replace=False, support="none", min_treated=10)
    assert est.matched_treated == len(pairs)
    assert est.unmatched == t.sum() - len(pairs)
    assert est.att == pytest.approx(diffs.mean())
    assert est.se == pytest.approx(diffs.std(ddof=1) / math.sqrt(len(diffs)))
    assert set(np.flatnonzero(est.weights.to_numpy()[~t] > 0)) == {j - t.sum() for j in pairs.values()}


def test_barnsley_alone_is_refused_below_the_minimum(sy):
    # truth.json: 59 eligible Barnsley starters, one short of the default minimum of 60.
    frame = _frame(sy, (BARNSLEY,))
    assert int(frame["treated"].sum()) == sy[3][BARNSLEY]["treated"] == 59
    model = propensity(frame)
    for est in estimate_impact(frame, model):
        assert est.refused and est.att is None and est.lower is None
        assert est.refusal.startswith("Too few participants (")
        assert est.refusal.endswith("the minimum is 60.")
        assert headline(est) == est.refusal
    est = ipw_att(frame, model)
    assert f"({est.matched_treated})" in est.refusal
    assert not ipw_att(frame, model, min_treated=30).refused  # the minimum is configurable


def _tiny() -> pd.DataFrame:
    """Three participants and four non-participants, every covariate the balance table reads."""
    frame = pd.DataFrame(
        {
            "treated": [1, 1, 1, 0, 0, 0, 0],
            "outcome": [1.0, 0, 1, 0, 0, 1, 0],
            "age": [20.0, 30, 40, 30, 40, 50, 60],
            "months_inactive": [12.0] * 7,
            "imd_decile": [3.0] * 7,
            "carer": ["Yes", "Yes", "No", "Yes", "No", "No", "No"],
        }
    )
    for col in ("sex", "ethnic_group", "disability", "health_condition_type", "inactivity_reason"):
        frame[col] = "Same"
    for col in ("benefits", "lone_parent", "social_housing", "area_code", "entry_quarter"):
        frame[col] = "Same"
    return frame


@pytest.mark.parametrize("categorical", [False, True])
def test_standardised_differences_by_hand(categorical):
    frame = _tiny()
    if categorical:  # as the analysis frame holds text; a level no row holds is not a row of the table
        frame["carer"] = pd.Categorical(frame["carer"], categories=["Maybe", "No", "Yes"])
        frame["sex"] = frame["sex"].astype("category")
    table = balance_table(frame, weights=pd.Series([1.0, 1, 1, 1, 1, 0, 0]))
    age = table[table["covariate"] == "age"].iloc[0]
    # Age: treated 20, 30, 40: mean 30, variance (100 + 0 + 100) / 2 = 100.
    # Controls 30, 40, 50, 60: mean 45, variance (225 + 25 + 25 + 225) / 3 = 166.667.
    # SMD = (30 - 45) / sqrt((100 + 166.667) / 2) = -15 / 11.5470 = -1.29904.
    assert age["smd_before"] == pytest.approx(-1.299038, abs=1e-6)
    assert age["variance_ratio_before"] == pytest.approx(100 / (500 / 3))
    # After: controls weighted 1, 1, 0, 0: mean 35, same denominator: -5 / 11.5470 = -0.43301.
    # Weighted variance of 30, 40 (reliability weights): 50 / (2 - 2/2) = 50; ratio 100 / 50 = 2.
    assert age["smd_after"] == pytest.approx(-0.433013, abs=1e-6)
    assert age["variance_ratio_after"] == pytest.approx(2.0)
    carer = table[table["covariate"] == "carer"]
    assert list(carer["level"]) == ["Yes"]  # a yes/no covariate appears once
    # Carer: treated 2 of 3 (variance 3/2 * 2/9 = 1/3), controls 1 of 4 (variance 4/3 * 3/16 = 1/4).
    # SMD = (2/3 - 1/4) / sqrt((1/3 + 1/4) / 2) = 0.416667 / 0.540062 = 0.771517.
    assert carer["smd_before"].iloc[0] == pytest.approx(0.771517, abs=1e-6)
    # After: controls 1 of 2 are carers: (2/3 - 1/2) / 0.540062 = 0.308607.
    assert carer["smd_after"].iloc[0] == pytest.approx(0.308607, abs=1e-6)
    assert (table.loc[table["level"] == "Same", "smd_before"] == 0).all()


def test_balance_verdict_names_failing_covariates():
    achieved, failing, text = balance_verdict(balance_table(_tiny()))
    assert not achieved
    assert failing == ["age", "carer: Yes"]  # largest first: 1.30, then 0.77
    assert text.startswith("Balance not achieved") and "age (1.30)" in text
    good = balance_table(_tiny(), weights=pd.Series([1.0, 1, 1, 0, 0, 0, 0]))
    good["smd_after"] = [0.05 * (-1) ** i for i in range(len(good))]
    verdict = balance_verdict(good)
    assert verdict.achieved and verdict.failing == []
    assert verdict.text.startswith("Balance achieved")


def test_weighting_balances_the_default_data(sy_design):
    # With rare participation the logit's score equations make p/(1-p) weights balance nearly
    # exactly; matching 4:1 on 337 participants balances to within 0.1 SD on this data.
    frame, model = sy_design
    for est in (ipw_att(frame, model), nearest_neighbour_att(frame, model)):
        verdict = balance_verdict(balance_table(frame, weights=est.weights))
        assert verdict.achieved, verdict.text


def test_propensity_drops_aliased_columns_and_accepts_a_formula(sy_design):
    frame, model = sy_design
    # Every disabled person has a condition type, so "None" duplicates disability "No".
    assert "C(health_condition_type)[T.None]" in model.dropped
    assert model.converged and 0.5 < model.c_statistic < 1
    custom = propensity(frame, formula="treated ~ age + C(area_code)")
    assert custom.formula == "treated ~ age + C(area_code)" and len(custom.params) == 5


def test_c_statistic_by_hand_and_against_scipy():
    # Participants score 3 and 5, non-participants 1, 3 and 4. Pairs (6): 3 > 1, 3 = 3 (half),
    # 3 < 4, 5 > 1, 5 > 3, 5 > 4: 4.5 of 6 = 0.75.
    score, treated = np.array([3.0, 1, 5, 3, 4]), np.array([True, False, True, False, False])
    assert c_statistic(score, treated) == 0.75
    assert c_statistic(score, ~treated) == 0.25  # the other group's view
    # scipy's Mann-Whitney U (participants first) over n1 n0, with many ties, either group the larger.
    rng = np.random.default_rng(4)
    for n1, n0 in ((300, 5000), (4000, 700)):
        score = rng.integers(0, 40, n1 + n0).astype(float)
        treated = np.r_[np.ones(n1, bool), np.zeros(n0, bool)]
        u = mannwhitneyu(score[treated], score[~treated]).statistic
        assert c_statistic(score, treated) == pytest.approx(u / (n1 * n0), abs=1e-15)


def test_common_support_trims_treated_outside_the_controls_range():
    frame = pd.DataFrame({"treated": [1, 1, 1, 0, 0, 0], "outcome": 0.0, "x": [0.0, 5, 9, 1, 3, 6]})
    model = propensity(frame, formula="treated ~ x")
    support = common_support(frame, model)
    # Logit rises with x; controls span x = 1 to 6, so the participants at 0 and 9 are off support.
    assert support.trimmed == 2
    assert support.keep.tolist() == [False, True, False, True, True, True]
    assert common_support(frame, model, rule="none").trimmed == 0
    with pytest.raises(ValueError, match="needs both"):
        propensity(frame[frame["treated"] == 1], formula="treated ~ x")


def _estimate(att: float, lower: float, upper: float, p1: float) -> ImpactEstimate:
    return ImpactEstimate(
        method="Test", att=att, lower=lower, upper=upper, se=(upper - lower) / 3.92, treated=100,
        matched_treated=100, controls_used=100, unmatched=0, trimmed=0, outcome_treated=p1,
        outcome_counterfactual=p1 - att, variance_method="Test", note="",
    )  # fmt: skip


def test_e_value_by_hand():
    # p1 = 0.30, p0 = 0.15: RR = 2, E = 2 + sqrt(2 * 1) = 3.41421.
    # Lower limit 0.05: RR = 0.30 / 0.25 = 1.2, E = 1.2 + sqrt(1.2 * 0.2) = 1.68990.
    ev = e_value(_estimate(0.15, 0.05, 0.25, 0.30))
    assert ev.risk_ratio == pytest.approx(2.0)
    assert ev.point == pytest.approx(3.414214, abs=1e-6)
    assert ev.interval == pytest.approx(1.689898, abs=1e-6)
    assert "3.41" in ev.text and "1.69" in ev.text
    assert e_value(_estimate(0.05, -0.02, 0.12, 0.30)).interval == 1.0


def test_gross_to_net_by_hand(sy):
    # South Yorkshire's parameters: leakage 0.05 / 0.10 / 0.20, displacement 0.10 / 0.25 / 0.40,
    # substitution 0 / 0.05 / 0.10 (low / central / high), multiplier 1.
    add = sy[0].additionality
    result = gross_to_net(
        100, deadweight=Shares(0.3, 0.4, 0.5), leakage=add.leakage, displacement=add.displacement,
        substitution=add.substitution, multiplier=add.multiplier, cost=1_000_000,
    )  # fmt: skip
    # Central: 100 x 0.6 x 0.90 x 0.75 x 0.95 = 38.475; low net uses the high shares:
    # 100 x 0.5 x 0.80 x 0.60 x 0.90 = 21.6; high net the low ones: 100 x 0.7 x 0.95 x 0.90 x 1.0 = 59.85.
    assert result.net.central == pytest.approx(38.475)
    assert result.net.low == pytest.approx(21.6)
    assert result.net.high == pytest.approx(59.85)
    assert result.cost_per_net.central == pytest.approx(1_000_000 / 38.475)
    steps = result.table["step"].tolist()
    assert [s.split(" (")[0] for s in steps[1:5]] == [
        "less deadweight", "less leakage", "less displacement", "less substitution",
    ]  # fmt: skip
    assert result.table["central"].iloc[1] == pytest.approx(60.0)  # gross less 40% deadweight


def test_deadweight_from_an_estimate():
    # Participants 30% in work, counterfactual 15%: half the outcomes would have happened anyway;
    # the interval 5 to 25 points gives (0.30 - 0.25) / 0.30 = 1/6 to (0.30 - 0.05) / 0.30 = 5/6.
    shares = deadweight_shares(_estimate(0.15, 0.05, 0.25, 0.30))
    assert (shares.low, shares.central, shares.high) == pytest.approx((1 / 6, 0.5, 5 / 6))


def test_headline_states_the_range_and_its_significance():
    text = headline(_estimate(0.12, 0.05, 0.20, 0.30))
    assert text.startswith(
        "Participants were between 5 and 20 percentage points more likely to be in work six months "
        "after starting than similar non-participants."
    )
    assert "statistically significant" in text and "does not cover" in text
    unclear = headline(_estimate(0.04, -0.03, 0.11, 0.30))
    assert "between 3 percentage points less likely and 11 percentage points more likely" in unclear
    assert "not statistically significant" in unclear


def test_estimates_are_frozen(sy_design):
    frame, model = sy_design
    est = ipw_att(frame, model)
    with pytest.raises(dataclasses.FrozenInstanceError):
        est.att = 0.0  # type: ignore[misc]


@pytest.mark.slow
def test_simulation_coverage(tmp_path):
    # 200 seeded replications of the benchmark's generator with 600 people each (about 80
    # participants, near the minimum cohort), run as its command with one BLAS thread.
    # Acceptance criterion: every estimator's 95% interval covers the true ATT in 90% to 98% of
    # replications. The larger size (2,500) is in the recorded benchmark, with 1,000 replications.
    out = tmp_path / "impact_simulation.json"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "benchmarks.impact_simulation", "--replications", "200", "--n", "600", "--out", str(out)],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["replications"] == 200
    study = result["by_sample_size"]["600"]
    assert len(study["estimators"]) == 4
    for name, s in study["estimators"].items():
        assert s["refused"] == 0, name
        assert 0.90 <= s["coverage"] <= 0.98, (name, s)
        assert abs(s["bias"]) < 0.01, (name, s)  # under 1 percentage point
