"""The do-nothing baseline: recovery of known effects, inference, cross-checks, refusals, MDE.

Expected values come from: ``inputs/truth.json`` of the default synthetic run (the effect the
generator built into each council's series, ``area_effects``); effects injected into series here
(``benchmarks.baseline_simulation.inject`` and ``controlled_series``); statsmodels fits of the
same regression (the difference-in-differences cross-check); and the formulas in the docstrings
(the survey SE is half the published 95% interval over 1.96; MDE = (critical + z_0.8) x SE).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from benchmarks.baseline_simulation import controlled_series, inject, null_series
from evaluation.data import synthetic_spec as spec
from evaluation.data.validate import read_and_validate
from evaluation.errors import EvaluationError
from evaluation.metrics.baseline import (
    BaselineEstimate,
    DetectableEffect,
    detectability,
    difference_in_differences,
    event_study,
    interrupted_time_series,
    minimum_detectable_effect,
    supplied_baseline,
    synthetic_control,
    triangulate,
    triangulation_reading,
)
from evaluation.metrics.baseline_did import _did_panel

ROOT = Path(__file__).parent.parent
SY = tuple(c.code for c in spec.SOUTH_YORKSHIRE)
NE = tuple(spec.NE_COUNCILS)
CMP = spec.COMPARISON_AREAS
SY_START, NE_START = spec.SY_PROGRAMME_START, spec.NE_PROGRAMME_START
LATEST = "2025-12-31"  # synthetic_spec.AREA_SERIES_LAST_END


@pytest.fixture(scope="module")
def areas(synthetic_dir: Path) -> pd.DataFrame:
    return read_and_validate(synthetic_dir / "area_statistics.csv", "area_statistics").frame


@pytest.fixture(scope="module")
def truth(synthetic_dir: Path) -> dict:
    return json.loads((synthetic_dir / "truth.json").read_text(encoding="utf-8"))["area_effects"]


def true_effect(truth: dict, codes: tuple[str, ...], end: str = LATEST) -> float:
    """The generator's built-in effect summed over the councils for the period ending ``end``."""
    return sum(truth[c]["effect_by_period_end"].get(end, 0.0) for c in codes)


def its(frame: pd.DataFrame, codes: tuple[str, ...], start: dt.date, **kw) -> BaselineEstimate:
    return interrupted_time_series(frame, area_codes=codes, programme_start=start, **kw)


def did(frame: pd.DataFrame, codes: tuple[str, ...], start, comparison=CMP, **kw) -> BaselineEstimate:
    return difference_in_differences(
        frame, treated_codes=codes, comparison_codes=comparison, programme_start=start, **kw
    )


def sc(frame: pd.DataFrame, codes, start: dt.date, donors=CMP, **kw) -> BaselineEstimate:
    return synthetic_control(frame, treated_code=codes, donor_codes=donors, programme_start=start, **kw)


# Acceptance 1: known effects are covered -------------------------------------------------------------------


def test_default_data_south_yorkshire_every_method_covers_the_true_effect(areas, truth):
    # truth.json: the four councils' effects for the period ending 31 December 2025 (about 297).
    target = true_effect(truth, SY)
    assert 290 < target < 305
    for e in (its(areas, SY, SY_START), did(areas, SY, SY_START), sc(areas, SY, SY_START)):
        assert e.lower <= target <= e.upper, e.method
        assert e.post_periods == ("2025-06-30", "2025-09-30", "2025-12-31")
        assert e.periods_pre == 33  # 31 March 2017 to 31 March 2025, a quarter apart
    # The mean over the three post periods: about (32 + 139 + 297) / 3 = 156 people.
    mean_target = np.mean([true_effect(truth, SY, end) for end in ("2025-06-30", "2025-09-30", LATEST)])
    for e in (
        its(areas, SY, SY_START, estimand="average"),
        did(areas, SY, SY_START, estimand="average", pretrend=False),
        sc(areas, SY, SY_START, estimand="average", placebos=False),
    ):
        assert e.lower <= mean_target <= e.upper, e.method


def test_default_data_north_east_trend_and_synthetic_control_cover_the_true_effect(areas, truth):
    """On the default seed the North East's latest period sits far above what the comparison areas
    imply (about 22,800 people: a regional shock plus survey error), so the difference-in-
    differences interval misses the built-in effect (about 233) - the 5% a 95% interval is allowed -
    and its own pre-trend slope test flags the North East (p < 0.05). The trend projection's and
    the synthetic control's intervals cover it."""
    target = true_effect(truth, NE)
    assert 225 < target < 240
    for e in (its(areas, NE, NE_START), sc(areas, NE, NE_START)):
        assert e.lower <= target <= e.upper, e.method
    comparison = did(areas, NE, NE_START)
    assert comparison.upper < target
    assert comparison.diagnostics["pretrend_slope_p"] < 0.05


@pytest.mark.parametrize("estimand", ["latest", "average"])
def test_clear_effect_is_recovered_by_every_method(estimand):
    # controlled_series: 10,000 people fewer inactive in every post period, survey SE 0.4% of
    # population, parallel paths, so each method's assumptions hold and the effect is large.
    frame, treated, comparison = controlled_series(7, effect=10_000)
    start = dt.date(2024, 1, 1)
    results = (
        its(frame, treated, start, estimand=estimand),
        did(frame, treated, start, comparison=comparison, estimand=estimand),
        sc(frame, treated, start, donors=comparison, estimand=estimand),
    )
    for e in results:
        assert e.lower <= 10_000 <= e.upper, e.method
        assert e.lower > 0, e.method  # and the data show it
        assert e.periods_post == 4
        assert e.estimand == estimand


def test_supplied_baseline_gap_is_projection_less_observed(areas, truth):
    # A projection equal to the observed count plus the built-in effect gives back that effect
    # exactly; its SE is the survey's alone: sqrt(sum over councils of ((upper - lower) / 3.92)^2).
    rows = areas[areas["area_code"].isin(SY) & (areas["reason"] == "All reasons")]
    post = rows[rows["period_end"] >= pd.Timestamp(SY_START)]
    observed = post.groupby("period_end")["inactive_count"].sum()
    projection = {
        end.date(): float(observed[end]) + true_effect(truth, SY, end.date().isoformat())
        for end in observed.index
    }
    e = supplied_baseline(
        areas,
        area_codes=SY,
        programme_start=SY_START,
        projection=projection,
        source="Health and Growth Accelerator business case (test)",
        version="v1",
    )
    assert e.baseline == "supplied" and "version v1" in e.source
    assert e.effect == pytest.approx(true_effect(truth, SY), abs=1e-6)
    last = post[post["period_end"] == post["period_end"].max()]
    se = np.sqrt(np.sum(((last["ci_upper"] - last["ci_lower"]).astype(float) / (2 * 1.959964)) ** 2))
    assert e.se == pytest.approx(se, rel=1e-6)


def test_supplied_baseline_must_name_its_source(areas):
    with pytest.raises(EvaluationError, match="must say where it came from"):
        supplied_baseline(
            areas, area_codes=SY, programme_start=SY_START, projection={}, source=" ", version="v1"
        )


def test_supplied_baseline_refuses_a_projection_missing_a_period(areas):
    with pytest.raises(
        EvaluationError, match=r"no projection for the survey periods ending 31 December 2025"
    ):
        supplied_baseline(
            areas,
            area_codes=SY,
            programme_start=SY_START,
            projection={"2025-06-30": 1.0, "2025-09-30": 1.0},
            source="test",
            version="v1",
        )


# The estimates move one for one with an effect, and their intervals do not move -------------------


def test_an_injected_effect_shifts_every_estimate_one_for_one():
    # The benchmark's power curve rests on this (benchmarks/baseline_simulation.py, docstring).
    base = null_series(20_000)
    shifted = inject(base, SY, {LATEST: 5_000.0})
    for run in (
        lambda f: its(f, SY, SY_START),
        lambda f: did(f, SY, SY_START, pretrend=False),
        lambda f: sc(f, SY, SY_START, placebos=False),
    ):
        a, b = run(base), run(shifted)
        assert b.effect - a.effect == pytest.approx(5_000, abs=1e-3), a.method
        assert b.upper - b.lower == pytest.approx(a.upper - a.lower, rel=1e-9), a.method


# Acceptance 3: difference-in-differences against statsmodels ------------------------------------------------


def _statsmodels_fit(panel: pd.DataFrame, terms: list[str]):
    formula = f"rate ~ {' + '.join(terms)} + C(area_code) + C(period)"
    return smf.ols(formula, data=panel).fit(cov_type="cluster", cov_kwds={"groups": panel["area_code"]})


def test_did_matches_statsmodels_point_estimates_and_clustered_errors(areas):
    """pyfixest and statsmodels on the same panel: area and period dummies, errors clustered by
    area. Point estimates agree to 1e-8. CRV1 SEs agree to 1e-8 (relative): both scale by
    G/(G-1) x (N-1)/(N-k), with k counting every dummy. The default CRV3 is the leave-one-area-out
    jackknife, sum of (b_g - b)^2 times the same factor; refitting without each area in
    statsmodels gives it to 1e-8."""
    panel, terms, _ = _did_panel(areas, SY, CMP, dict.fromkeys(SY, SY_START), 8)
    ref = _statsmodels_fit(panel, terms)
    crv1 = did(areas, SY, SY_START, vcov="CRV1", pretrend=False)
    crv3 = did(areas, SY, SY_START, pretrend=False)
    # people = -coefficient x the four councils' working-age population in the period / 100
    people = panel[panel["post"]].groupby("period")["population"].sum().to_numpy() / 100
    expected_gaps = -ref.params[terms].to_numpy() * people
    np.testing.assert_allclose(crv1.gaps, expected_gaps, rtol=1e-8)
    assert crv1.effect == pytest.approx(expected_gaps[-1], rel=1e-8)
    assert crv1.se == pytest.approx(ref.bse[terms[-1]] * people[-1], rel=1e-8)
    n, k, g = len(panel), len(ref.params), panel["area_code"].nunique()
    jack = []
    for code in panel["area_code"].unique():
        rest = panel[panel["area_code"] != code]
        formula = f"rate ~ {' + '.join(terms)} + C(area_code) + C(period)"
        jack.append(smf.ols(formula, data=rest).fit().params[terms[-1]])
    factor = g / (g - 1) * (n - 1) / (n - k)
    se3 = np.sqrt(factor * np.sum((np.array(jack) - ref.params[terms[-1]]) ** 2)) * people[-1]
    assert crv3.se == pytest.approx(se3, rel=1e-8)
    assert crv3.effect == pytest.approx(crv1.effect, rel=1e-12)


def test_did_with_absorbed_fixed_effects_gives_the_same_estimate(areas):
    # pyfixest's absorbed area and period effects against the dummies used: same coefficients.
    import pyfixest as pf

    panel, terms, _ = _did_panel(areas, NE, CMP, dict.fromkeys(NE, NE_START), 8)
    absorbed = pf.feols(f"rate ~ {' + '.join(terms)} | area_code + period", data=panel)
    e = did(areas, NE, NE_START, pretrend=False)
    people = panel[panel["post"]].groupby("period")["population"].sum().to_numpy() / 100
    np.testing.assert_allclose(e.gaps, -absorbed.coef()[terms].to_numpy() * people, rtol=1e-8)


def test_staggered_starts_use_a_saturated_regression_equal_to_did2s(areas):
    # South Yorkshire from April 2025, the North East from July 2025: the cohort-by-period
    # regression is numerically Gardner's two-stage estimator (pyfixest.did2s), to 1e-8.
    starts = dict.fromkeys(SY, SY_START) | dict.fromkeys(NE, NE_START)
    e = did(areas, SY + NE, starts, pretrend=False)
    assert "did2s" in e.method
    assert e.diagnostics["did2s_effect"] == pytest.approx(e.effect, rel=1e-8)
    assert e.post_periods == ("2025-06-30", "2025-09-30", "2025-12-31")


def test_event_study_has_leads_and_lags_and_pretrend_tests(areas):
    es = event_study(areas, treated_codes=SY, comparison_codes=CMP, programme_start=SY_START)
    assert list(es.table["rel_time"]) == [-8, -7, -6, -5, -4, -3, -2, 0, 1, 2]
    assert es.leads_tested == 7 and es.clusters == 12
    assert 0 <= es.joint_p <= 1 and 0 <= es.slope_p <= 1


# Acceptance 4: refusals name the area and the periods --------------------------------------------------------


def _drop(frame: pd.DataFrame, code: str, ends: list[str]) -> pd.DataFrame:
    gone = (frame["area_code"] == code) & frame["period_end"].isin(pd.to_datetime(ends))
    return frame[~gone]


def test_series_too_short_is_refused_with_area_and_dates(areas):
    short = areas[areas["period_end"] >= pd.Timestamp("2024-03-31")]
    with pytest.raises(EvaluationError) as err:
        its(short, SY, SY_START)
    text = str(err.value)
    assert (
        "Rotherham (E08000018): only 5 survey periods end before the programme start (1 April 2025)" in text
    )
    assert "31 March 2024 to 31 December 2025" in text and "at least 8" in text


def test_gap_in_the_series_is_refused_naming_the_missing_quarters(areas):
    holed = _drop(areas, "E08000018", ["2023-09-30", "2023-12-31"])
    with pytest.raises(EvaluationError) as err:
        did(holed, SY, SY_START)
    text = str(err.value)
    assert "Rotherham (E08000018): the series has a gap" in text
    assert "30 September 2023, 31 December 2023" in text


def test_comparison_area_missing_periods_is_refused(areas):
    # Dropping the last two periods leaves no gap inside Barnsley's neighbour's series, but it no
    # longer covers the programme areas' periods.
    cut = _drop(areas, "E08000032", ["2025-09-30", "2025-12-31"])
    with pytest.raises(EvaluationError) as err:
        sc(cut, SY, SY_START)
    text = str(err.value)
    assert "comparison area Bradford (E08000032) is missing the survey periods ending" in text
    assert "30 September 2025, 31 December 2025" in text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: its(f, ("E09999999",), SY_START), "no 'All reasons' survey series for area E09999999"),
        (lambda f: its(f, SY, dt.date(2026, 6, 1)), "no survey period ends on or after the programme start"),
        (lambda f: did(f, ("E08000018",), SY_START), "needs at least two programme areas"),
        (
            lambda f: did(f, SY, SY_START, comparison=(*CMP, "E08000018")),
            "both a programme area and a comparison",
        ),
        (lambda f: its(f, SY, SY_START, estimand="peak"), "unknown estimand 'peak'"),
    ],
)
def test_other_refusals(areas, call, message):
    with pytest.raises(EvaluationError, match=message):
        call(areas)


# Acceptance 5: smallest detectable effect, detectability, triangulation -------------------------------------


def test_mde_is_critical_plus_z_power_times_se(areas):
    e = its(areas, SY, SY_START)
    z80 = stats.norm.ppf(0.8)
    assert e.mde == pytest.approx((e.diagnostics["critical_value"] + z80) * e.se, rel=1e-12)
    d = did(areas, SY, SY_START, pretrend=False)
    assert d.mde == pytest.approx((stats.t.ppf(0.975, 11) + z80) * d.se, rel=1e-12)  # 12 areas
    m = minimum_detectable_effect(
        areas, design="interrupted_time_series", treated_codes=SY, programme_start=SY_START
    )
    assert isinstance(m, DetectableEffect) and m.mde == pytest.approx(e.mde)
    assert m.note == "For the latest survey period (2025-12-31)."


def test_neither_target_is_detectable_on_the_default_data(areas):
    """The survey's SE for a district is 1.6% of its working-age population (synthetic_spec), some
    7,700 people summed over South Yorkshire's councils, so no design can see 950 or 2,073."""
    for codes, start, target in ((SY, SY_START, 950), (NE, NE_START, 2_073)):
        for design in ("interrupted_time_series", "difference_in_differences", "synthetic_control"):
            m = minimum_detectable_effect(
                areas, design=design, treated_codes=codes, programme_start=start, comparison_codes=CMP
            )
            assert m.mde > 10 * target
            text = detectability(target, m)
            assert f"the target of {target:,} is smaller than that" in text
            assert "cannot show whether it was met" in text


def test_detectability_wording_both_ways():
    assert detectability(2_073, 24_791.0) == (
        "The data could detect an effect of about 25,000 people or more (80% power, 5% two-sided "
        "test); the target of 2,073 is smaller than that, so the survey cannot show whether it was met."
    )
    assert detectability(950, float("inf")).startswith("The data cannot bound the effect at all")
    assert detectability(2_073, 1_234.0).startswith(
        "The data could detect an effect of about 1,200 people or more (80% power, 5% two-sided test); "
        "the target of 2,073 is larger than that"
    )


def test_triangulation_table_and_reading(areas):
    estimates = [its(areas, SY, SY_START), did(areas, SY, SY_START), sc(areas, SY, SY_START)]
    table = triangulate(estimates)
    assert list(table["method"]) == [e.method for e in estimates]
    assert {"effect", "lower", "upper", "pre_period_check", "mde", "excludes_zero"} <= set(table.columns)
    assert table["pre_period_check"].iloc[1].startswith("pre-trend tests p = ")
    reading = triangulation_reading(estimates, target=950, target_label="South Yorkshire's aim")
    assert "Every interval includes zero" in reading
    assert "The intervals overlap" in reading
    assert "For South Yorkshire's aim: The data could detect an effect of about" in reading
    assert "the target of 950 is smaller than that" in reading


def test_synthetic_control_reports_fit_and_placebos(areas):
    e = sc(areas, "E08000018", SY_START)  # Rotherham alone against the eight comparison areas
    d = e.diagnostics
    assert sum(v for k, v in d.items() if k.startswith("weight_")) == pytest.approx(1, abs=1e-6)
    assert d["placebo_units"] == 8 and d["placebo_min_p"] == pytest.approx(1 / 9)
    assert d["pre_rmspe_points"] > 0 and 0 < d["in_time_p"] <= 1
    assert "back-dated out-of-sample gaps (placebo in time)" in e.interval
    assert d["in_time_references"] == 19  # pretend starts from period 13 to 31 (2 quarters short of 33)


# Acceptance 2: size and smallest detectable effect by simulation --------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("methods", "replications"),
    [(("interrupted_time_series", "difference_in_differences"), 200), (("synthetic_control",), 100)],
)
def test_simulation_size_and_mde(tmp_path, methods, replications):
    """Replications of the project's generator with no effect, South Yorkshire (the benchmark,
    benchmarks/results/baseline_simulation.json, runs 200 of both regions and the staggered
    design): each method rejects no-effect in 2% to 9% of replications, and the library's MDE is
    within 20% of the effect at which simulated power reaches 80%. The synthetic control, with
    19 back-dated refits per replication, runs 100 here to keep the test near three minutes."""
    out = tmp_path / "sim.json"
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "benchmarks.baseline_simulation", "--replications", str(replications),
         "--region", "south_yorkshire", "--methods", *methods, "--out", str(out)],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["replications"] == replications
    assert sorted(result["designs"]) == sorted(f"{m}/south_yorkshire" for m in methods)
    for name, s in result["designs"].items():
        assert 0.02 <= s["size"] <= 0.09, name
        assert 0.8 <= s["mde_ratio_library_to_simulated"] <= 1.2, name
