"""Cohort equity: rates, ratios and readings worked by hand, checked group by group against the
same figure computed on that group's rows alone, a planted difference recovered by the adjusted
comparison, and small groups never read as fine."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from evaluation.data import synthetic_spec
from evaluation.data.validate import RuleContext, read_and_validate
from evaluation.metrics import equity as eq
from evaluation.metrics.equity_models import holm
from evaluation.params import Equity, load_params
from evaluation.published import COUNT_COLUMNS
from tests.journeys import journeys

Z = 1.959963984540054  # the 97.5% point of the standard normal
ROOT = Path(__file__).parent.parent
ROTHERHAM = "E08000018"
WHITE_BRITISH = "White: English, Welsh, Scottish, Northern Irish or British"
COVARIATES = {
    "age": 30,
    "sex": "Male",
    "ethnicity": WHITE_BRITISH,
    "disability": "No",
    "health_condition_type": "None",
    "inactivity_reason": "Long-term sick",
    "carer": False,
    "lone_parent": False,
    "social_housing": False,
}


def people(groups: list[tuple[int, int, int, dict]]) -> pd.DataFrame:
    """Participants from (referred, started, evidenced jobs, characteristics) per group, typed as
    the validated frame: dates datetime64, flags pandas boolean, categories text."""
    rows = []
    for referred, started, jobs, extra in groups:
        for i in range(referred):
            row = {"referral_date": "2025-06-01", **COVARIATES, **extra}
            if i < started:
                row["start_date"] = "2025-06-10"
            if i < jobs:
                row.update(job_start_date="2025-08-01", job_evidenced=True)
            rows.append(row)
    frame = journeys(rows)
    for col in ("carer", "lone_parent", "social_housing"):
        frame[col] = frame[col].astype("boolean")
    frame["age"] = frame["age"].astype("Int64")
    for col in ("sex", "ethnicity", "disability", "health_condition_type", "inactivity_reason"):
        frame[col] = frame[col].astype("string")
    return frame


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """Wilson (1927) score interval from its formula, independent of statsmodels."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


# Men: 15 referred, 12 started, 6 jobs. Women: 14 referred, 10 started, 3 jobs. Three people
# whose sex is withheld: all started, one job (the shape of the planted small group).
HAND = people(
    [
        (15, 12, 6, {"sex": "Male"}),
        (14, 10, 3, {"sex": "Female"}),
        (3, 3, 1, {"sex": "Prefer not to say"}),
    ]
)


def row(table: pd.DataFrame, group: str) -> pd.Series:
    found = table[table["group"] == group]
    assert len(found) == 1, group
    return found.iloc[0]


def test_rates_ratios_and_differences_worked_by_hand() -> None:
    jobs = eq.outcome_rates(HAND, by="sex", stage="job_outcomes", reference="Male")
    women, men = row(jobs, "Female"), row(jobs, "Male")
    # Job outcomes of starts: women 3 of 10, men 6 of 12.
    assert (women["k"], women["n"], women["rate"]) == (3, 10, pytest.approx(0.3))
    assert (men["k"], men["n"], men["rate"]) == (6, 12, pytest.approx(0.5))
    assert (women["lower"], women["upper"]) == pytest.approx(wilson_by_hand(3, 10))
    # Rate ratio (3/10) / (6/12) = 0.6; Katz log interval: 0.6 * exp(+-z * sqrt(1/3 - 1/10 +
    # 1/6 - 1/12)) = 0.6 * exp(+-1.95996 * 0.56273) = 0.1991 to 1.8078.
    se = math.sqrt(1 / 3 - 1 / 10 + 1 / 6 - 1 / 12)
    assert women["rate_ratio"] == pytest.approx(0.6)
    assert women["rr_lower"] == pytest.approx(0.6 * math.exp(-Z * se))
    assert women["rr_upper"] == pytest.approx(0.6 * math.exp(Z * se))
    assert (women["rr_lower"], women["rr_upper"]) == pytest.approx((0.19914, 1.80779), abs=5e-5)
    # Rate difference 0.3 - 0.5 = -0.2; Newcombe's hybrid score interval: d - sqrt((p1 - l1)^2 +
    # (u2 - p2)^2) to d + sqrt((u1 - p1)^2 + (p2 - l2)^2), from the two Wilson intervals by hand.
    (l1, u1), (l2, u2) = wilson_by_hand(3, 10), wilson_by_hand(6, 12)
    assert women["rate_difference"] == pytest.approx(-0.2)
    assert women["rd_lower"] == pytest.approx(-0.2 - math.sqrt((0.3 - l1) ** 2 + (u2 - 0.5) ** 2))
    assert women["rd_upper"] == pytest.approx(-0.2 + math.sqrt((u1 - 0.3) ** 2 + (0.5 - l2) ** 2))
    # ... which is statsmodels' "newcomb" method.
    sm_low, sm_upp = confint_proportions_2indep(3, 10, 6, 12, compare="diff", method="newcomb")
    assert (women["rd_lower"], women["rd_upper"]) == pytest.approx((sm_low, sm_upp))
    # The reference group compares with itself: ratio 1, no interval.
    assert men["rate_ratio"] == 1.0 and np.isnan(men["rr_lower"])
    # Starts of referrals: women 10 of 14, men 12 of 15; ratio (10/14) / (12/15) = 0.892857.
    starts = eq.outcome_rates(HAND, by="sex", stage="starts", reference="Male")
    assert row(starts, "Female")[["k", "n"]].tolist() == [10, 14]
    assert row(starts, "Female")["rate_ratio"] == pytest.approx((10 / 14) / (12 / 15))
    assert set(jobs["method"]) == {"Wilson score interval, 95%"}


def test_readings_and_actions_on_the_hand_made_data() -> None:
    jobs = eq.readings(eq.outcome_rates(HAND, by="sex", stage="job_outcomes", reference="Male"))
    # Women 3 jobs (< 10) with an interval that includes 1: too few to say; men are the
    # reference but had 6 jobs (< 10), so even the reference reads too few; 3 withheld: too few.
    assert jobs.set_index("group")["reading"].to_dict() == {
        "Male": "too few to say",
        "Female": "too few to say",
        "Prefer not to say": "too few to say",
    }
    # With a minimum of 3, the women's ratio 0.6 (interval 0.20 to 1.81, includes 1) is below
    # 0.8 but not clearly: a possible gap, not "no material gap".
    loose = eq.readings(eq.outcome_rates(HAND, by="sex", stage="job_outcomes", reference="Male"), min_count=3)
    assert row(loose, "Female")["reading"] == "possible gap"
    assert row(loose, "Male")["reading"] == "reference group"
    said = eq.actions(loose)
    assert said == [
        "Monitor job outcome rates (start to evidenced job) of women: lower than among men, but not yet clearly so."
    ]  # withheld sex prompts no equality action of its own
    assert any("too few women" in a for a in eq.actions(jobs))


def test_material_gap_and_its_action() -> None:
    # Disabled starters 10 of 100 into jobs, others 40 of 100: ratio 0.25, Katz interval
    # 0.25 * exp(+-z * sqrt(1/10 - 1/100 + 1/40 - 1/100)) = 0.133 to 0.470, wholly below 0.8.
    frame = people([(100, 100, 10, {"disability": "Yes"}), (100, 100, 40, {"disability": "No"})])
    table = eq.readings(eq.outcome_rates(frame, by="disability", stage="job_outcomes", reference="No"))
    disabled = row(table, "Yes")
    se = math.sqrt(1 / 10 - 1 / 100 + 1 / 40 - 1 / 100)
    assert (disabled["rr_lower"], disabled["rr_upper"]) == pytest.approx(
        (0.25 * math.exp(-Z * se), 0.25 * math.exp(Z * se))
    )
    assert disabled["reading"] == "material gap"
    assert eq.actions(table) == [
        "Investigate lower job outcome rates (start to evidenced job) among disabled people than "
        "among people who are not disabled, and act on the causes."
    ]


def test_zero_cells_use_the_haldane_correction() -> None:
    # No jobs among 12 carers (a zero cell): the log interval needs 0.5 in every cell, so it
    # is statsmodels' log interval of (0.5 / 13) / (20.5 / 41), run from 0 since the ratio is 0.
    frame = people([(12, 12, 0, {"carer": True}), (40, 40, 20, {"carer": False})])
    carers = row(eq.outcome_rates(frame, by="carer", stage="job_outcomes"), "Yes")
    _, upper = confint_proportions_2indep(0.5, 13, 20.5, 41, compare="ratio", method="log")
    assert carers["reference"] == "No"  # a cohort's default reference: people outside it
    assert (carers["rate_ratio"], carers["rr_lower"], carers["rr_upper"]) == (0.0, 0.0, pytest.approx(upper))


@pytest.fixture(scope="module")
def rotherham(synthetic_dir: Path, synthetic_ctx: RuleContext) -> pd.DataFrame:
    """The validated default participants of Rotherham (the planted small group lives here)."""
    frame = read_and_validate(synthetic_dir / "participants.csv", "participants", ctx=synthetic_ctx).frame
    return frame[frame["area_code"] == ROTHERHAM]


@pytest.fixture(scope="module")
def rotherham_tables(
    rotherham: pd.DataFrame, synthetic_dir: Path, synthetic_ctx: RuleContext
) -> dict[str, pd.DataFrame]:
    params = load_params(ROOT / "params" / "rotherham_2026-27.yaml")
    stats_ = read_and_validate(synthetic_dir / "area_statistics.csv", "area_statistics", ctx=synthetic_ctx)
    eligible = eq.eligible_population(
        stats_.frame, area_codes=params.area_codes, period_end=params.equity.eligible_population_period_end
    )
    return eq.equity_tables(rotherham, params.equity, eligible)


def _age_band(age: int) -> str:
    return (
        "16 to 24" if age <= 24 else "25 to 49" if age <= 49 else "50 to 64" if age <= 64 else "65 and over"
    )


@pytest.mark.parametrize("by", ["sex", "disability", "age_band", "ethnic_group", "carer"])
@pytest.mark.parametrize("stage", ["starts", "job_outcomes"])
def test_each_group_equals_its_own_rows(rotherham: pd.DataFrame, by: str, stage: str) -> None:
    """Every group's k, n and Wilson interval equal statsmodels' on that group's rows alone."""
    p = rotherham.copy()
    p["age_band"] = p["age"].map(_age_band)
    p["ethnic_group"] = p["ethnicity"].str.split(":").str[0]
    p["carer"] = p["carer"].map({True: "Yes", False: "No"})
    table = eq.outcome_rates(rotherham, by=by, stage=stage)
    assert table["n"].sum() == (len(p) if stage == "starts" else p["start_date"].notna().sum())
    reference = table["reference"].iloc[0]
    ref_rows = p[p[by] == reference]
    for _, r in table.iterrows():
        mine = p[p[by] == r["group"]]
        if stage == "starts":
            k, n = int(mine["start_date"].notna().sum()), len(mine)
            k0, n0 = int(ref_rows["start_date"].notna().sum()), len(ref_rows)
        else:
            started = mine[mine["start_date"].notna()]
            ref_started = ref_rows[ref_rows["start_date"].notna()]
            k, n = int(started["job_evidenced"].sum()), len(started)
            k0, n0 = int(ref_started["job_evidenced"].sum()), len(ref_started)
        lower, upper = proportion_confint(k, n, method="wilson")
        assert (r["k"], r["n"]) == (k, n), r["group"]
        assert (r["rate"], r["lower"], r["upper"]) == pytest.approx((k / n, lower, upper))
        assert r["rate_ratio"] == pytest.approx((k / n) / (k0 / n0))
        if r["group"] != reference and 0 < k < n:
            low, upp = confint_proportions_2indep(k, n, k0, n0, compare="ratio", method="log")
            assert (r["rr_lower"], r["rr_upper"]) == pytest.approx((low, upp))


def test_planted_small_group_is_too_few_to_say(rotherham: pd.DataFrame) -> None:
    """Three Gypsy or Irish Traveller starters with one job: shown as 1 of 3, read too few."""
    column, value, size, jobs = synthetic_spec.SMALL_GROUP
    assert (column, size, jobs) == ("ethnicity", 3, 1)
    table = eq.readings(eq.outcome_rates(rotherham, by="ethnicity", stage="job_outcomes"))
    small = row(table, value)
    assert (small["k"], small["n"]) == (1, 3)  # never hidden as zero
    assert small["reading"] == "too few to say"
    assert any(value in a and a.startswith("Improve data: too few") for a in eq.actions(table))


def test_equity_tables_on_the_default_data(rotherham_tables: dict[str, pd.DataFrame]) -> None:
    t = rotherham_tables
    assert set(t) == {
        "representation", "outcomes", "intersections", "adjusted", "difference_tests", "pairwise", "actions",
    }  # fmt: skip
    for name in ("representation", "outcomes", "intersections", "adjusted"):
        frame = t[name]
        assert {"grouping", "group", "k", "n", "rate", "reading"} <= set(frame.columns), name
        assert {"k", "n"} <= set(COUNT_COLUMNS)
        small = frame[(frame["n"] < 10) | (frame["k"] < 10)]
        assert not small["reading"].isin(["no material gap", "possible gap", "higher than reference"]).any()
    out = t["outcomes"]
    gypsy = out[(out["group"] == "White: Gypsy or Irish Traveller") & (out["stage"] == "job_outcomes")]
    assert gypsy[["k", "n", "reading"]].values.tolist() == [[1, 3, "too few to say"]]
    # Every stated reference group of the parameters is the reference of its grouping.
    for by, ref in {
        "sex": "Male",
        "disability": "No",
        "age_band": "25 to 49",
        "ethnicity": WHITE_BRITISH,
    }.items():
        assert set(out.loc[out["grouping"] == by, "reference"]) == {ref}
    assert set(out.loc[out["grouping"] == "ethnic_group", "reference"]) == {"White"}
    # Rotherham's eligible population: the five published reasons at 31 March 2024.
    rep = t["representation"].set_index("group")
    assert rep["population"].to_dict() == {
        "Long-term sick": 15000, "Looking after family or home": 8500, "Other": 6000, "Retired": 5200,
        "Student": 11200,
    }  # fmt: skip
    assert set(t["intersections"]["grouping"]) == {"sex / ethnic_group", "age_band / disability"}
    assert len(t["actions"]) > 0


def test_representation_worked_by_hand() -> None:
    # 30 referred: 20 long-term sick, 10 students, none retired, 2 temporarily sick (not in the
    # eligible breakdown, so in neither share). Eligible: 15,000 sick, 11,200 students, 5,200
    # retired, 31,400 in all. Sick: share 20/30, eligible share 15,000/31,400, ratio 1.3956.
    frame = people(
        [
            (20, 0, 0, {"inactivity_reason": "Long-term sick"}),
            (10, 0, 0, {"inactivity_reason": "Student"}),
            (2, 0, 0, {"inactivity_reason": "Temporary sick"}),
        ]
    )
    eligible = pd.DataFrame(
        {"group": ["Long-term sick", "Student", "Retired"], "population": [15000, 11200, 5200]}
    )
    rep = eq.representation(frame, eligible).set_index("group")
    sick = rep.loc["Long-term sick"]
    assert (sick["k"], sick["n"]) == (20, 30)
    assert sick["rate_ratio"] == pytest.approx((20 / 30) / (15000 / 31400))
    lower, upper = wilson_by_hand(20, 30)
    assert (sick["rr_lower"], sick["rr_upper"]) == pytest.approx(
        (lower * 31400 / 15000, upper * 31400 / 15000)
    )
    assert rep.loc["Retired", ["k", "n", "rate_ratio"]].tolist() == [0, 30, 0.0]  # shown, not dropped
    # Retired: none of 30 against 16.6% of the eligible; Wilson upper 0.1135 / 0.1656 < 0.8: a
    # material gap, even with no one in the group.
    assert eq.readings(rep.reset_index()).set_index("group").loc["Retired", "reading"] == "material gap"
    with pytest.raises(ValueError, match="not groups of inactivity_reason"):
        eq.representation(frame, eligible.assign(group=["Long term sick", "Student", "Retired"]))


def test_difference_test_and_holm() -> None:
    frame = people(
        [
            (60, 60, 30, {"sex": "Male"}),
            (60, 60, 15, {"sex": "Female"}),
            (4, 4, 1, {"sex": "Prefer not to say"}),
        ]
    )
    table = eq.outcome_rates(frame, by="sex", stage="job_outcomes", reference="Male")
    res = eq.difference_test(table)
    # Expected counts all >= 5 once the withheld group is left out: Pearson's chi-square on
    # [[30, 15], [30, 45]], as scipy computes it without continuity correction.
    chi = stats.chi2_contingency([[30, 15], [30, 45]], correction=False)
    assert res.test == "Pearson's chi-square test" and res.groups == ("Female", "Male")
    assert (res.statistic, res.dof, res.p_value) == (
        pytest.approx(chi.statistic),
        1,
        pytest.approx(chi.pvalue),
    )
    fisher = stats.fisher_exact([[15, 45], [30, 30]]).pvalue
    assert res.pairwise[["group", "versus"]].values.tolist() == [["Female", "Male"]]
    assert res.pairwise["p_value"].iloc[0] == pytest.approx(fisher)
    # Small expected counts: Fisher's exact test instead.
    tiny = eq.outcome_rates(HAND, by="sex", stage="job_outcomes", reference="Male")
    assert eq.difference_test(tiny).test == "Fisher's exact test"
    assert eq.difference_test(tiny).p_value == pytest.approx(stats.fisher_exact([[3, 7], [6, 6]]).pvalue)
    # Holm's step-down adjustment agrees with statsmodels'.
    p = np.array([0.01, 0.04, 0.03, 0.2, 0.001])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])


def test_adjusted_comparison_recovers_a_planted_difference() -> None:
    """2,000 starters; group B's job chance is 10 points lower than A's in every age band, and B
    is older, where jobs are rarer, so the crude gap overstates it. The true standardised
    difference is -0.10 whatever the age mix, since it is -0.10 in every band."""
    rng = np.random.default_rng(20260302)
    base = {"16 to 24": (20, 0.45, 0.2), "25 to 49": (35, 0.30, 0.5), "50 to 64": (55, 0.15, 0.8)}
    rows = []
    for _ in range(2000):
        band = rng.choice(list(base))
        age, p_a, share_b = base[band]
        in_b = rng.random() < share_b
        job = rng.random() < p_a - (0.10 if in_b else 0.0)
        rows.append((1, 1, int(job), {"age": age, "sex": "Female" if in_b else "Male"}))
    # A group of five: too small to model, so read "too few to say" rather than dropped.
    rows += [(5, 5, 2, {"sex": "Prefer not to say"})]
    frame = people(rows)
    adj = eq.adjusted_comparison(frame, by="sex", stage="job_outcomes", reference="Male")
    b = row(adj.table, "Female")
    assert b["ad_lower"] <= -0.10 <= b["ad_upper"]
    assert b["odds_ratio"] < 1 and b["or_upper"] < 1
    crude = row(eq.outcome_rates(frame, by="sex", stage="job_outcomes", reference="Male"), "Female")
    assert crude["rd_upper"] < -0.10  # the crude comparison, confounded by age, misses it
    withheld = row(adj.table, "Prefer not to say")
    assert not withheld["modelled"] and withheld["reading"] == "too few to say"
    assert adj.adjusted_for == ("age_band",)  # one area and one referral source adjust nothing
    assert any("area_code" in note for note in adj.notes)


def test_adjusted_comparison_handles_separation_and_a_small_reference() -> None:
    frame = people(
        [
            (40, 40, 12, {"sex": "Male"}),
            (30, 30, 0, {"sex": "Female"}),  # no jobs at all: separation, not modelled
            (6, 6, 3, {"sex": "Prefer not to say"}),
        ]
    )
    adj = eq.adjusted_comparison(frame, by="sex", stage="job_outcomes", reference="Male")
    readings = adj.table.set_index("group")["reading"].to_dict()
    assert readings == {
        "Male": "reference group",
        "Female": "too few to say",
        "Prefer not to say": "too few to say",
    }
    small_ref = eq.adjusted_comparison(frame, by="sex", stage="job_outcomes", reference="Female")
    assert set(small_ref.table["reading"]) == {"too few to say"} and small_ref.n_modelled == 0


@settings(max_examples=300, deadline=None)
@given(
    k=st.integers(0, 200),
    n=st.integers(0, 200),
    k0=st.integers(0, 200),
    n0=st.integers(1, 200),
    ratio=st.floats(0, 5),
    spread=st.floats(0, 3),
)
def test_small_groups_are_never_read_as_fine(
    k: int, n: int, k0: int, n0: int, ratio: float, spread: float
) -> None:
    """Whatever the ratio and interval say, a group (or reference) with fewer than ten people or
    outcomes is never read as having no gap, a possible gap or a higher rate."""
    k, k0 = min(k, n), min(k0, n0)
    table = pd.DataFrame(
        {
            "grouping": "g",
            "group": ["a", "ref"],
            "reference": "ref",
            "k": [k, k0],
            "n": [n, n0],
            "rate_ratio": [ratio, 1.0],
            "rr_lower": [ratio / (1 + spread), np.nan],
            "rr_upper": [ratio * (1 + spread), np.nan],
        }
    )
    reading = eq.readings(table).set_index("group")["reading"]
    if min(n, n0, k0) < 10:
        assert reading["a"] == "too few to say"
    elif k < 10:
        assert reading["a"] in ("too few to say", "material gap")
    if min(n0, k0) < 10:
        assert reading["ref"] == "too few to say"


def test_characteristics() -> None:
    frame = people(
        [
            (1, 0, 0, {"age": 24}),
            (1, 0, 0, {"age": 25, "sex": "Female", "ethnicity": "White: Roma"}),
            (1, 0, 0, {"age": 49, "sex": "Female", "ethnicity": "Prefer not to say"}),
            (1, 0, 0, {"age": 50, "ethnicity": "Asian, Asian British or Asian Welsh: Pakistani"}),
            (1, 0, 0, {"age": 64, "health_condition_type": "Neurodivergence or learning disability"}),
            (1, 0, 0, {"age": 65, "carer": None}),
        ]
    )
    c = eq.characteristics(frame)
    assert c["age_band"].tolist() == [
        "16 to 24",
        "25 to 49",
        "25 to 49",
        "50 to 64",
        "50 to 64",
        "65 and over",
    ]
    assert c["ethnic_group"].tolist()[1:4] == [
        "White",
        "Prefer not to say",
        "Asian, Asian British or Asian Welsh",
    ]
    # A Roma woman is an ethnic minority woman; a woman whose ethnicity is withheld is unknown;
    # a Pakistani man is not (men are "No" whatever their ethnicity).
    assert c["ethnic_minority_woman"].tolist() == ["No", "Yes", "Prefer not to say", "No", "No", "No"]
    assert c["roma"].tolist()[:3] == ["No", "Yes", "Prefer not to say"]
    assert c["neurodiverse"].tolist()[4] == "Yes"
    assert c["carer"].tolist()[5] == "Not recorded"  # a blank flag is not "No"
    assert c["religion"].tolist()[0] == "Not recorded"  # an absent optional column likewise
    assert list(c.index) == list(frame.index) and list(c.columns) == list(eq.GROUPINGS)


def test_intersections_and_checks() -> None:
    frame = people(
        [
            (12, 12, 6, {"sex": "Male", "disability": "No"}),
            (12, 12, 2, {"sex": "Female", "disability": "Yes"}),
        ]
    )
    table = eq.intersections(
        frame,
        pairs=[("sex", "disability")],
        stage="job_outcomes",
        reference={"sex": "Male", "disability": "No"},
    )
    assert table["grouping"].unique().tolist() == ["sex / disability"]
    assert table[["group", "reference", "k", "n"]].values.tolist() == [
        ["Female / Yes", "Male / No", 2, 12],
        ["Male / No", "Male / No", 6, 12],
    ]
    assert row(table, "Female / Yes")["rate_ratio"] == pytest.approx((2 / 12) / (6 / 12))
    with pytest.raises(ValueError, match="unknown grouping"):
        eq.outcome_rates(frame, by="gender", stage="starts")
    with pytest.raises(ValueError, match="unknown stage"):
        eq.outcome_rates(frame, by="sex", stage="jobs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a group of sex"):
        eq.outcome_rates(frame, by="sex", stage="starts", reference="male")
    with pytest.raises(ValueError, match="between 0 and 1"):
        eq.readings(table, material_rate_ratio=1.2)
    assert (
        eq.reference_groups(Equity(reference_groups={"ethnicity": WHITE_BRITISH}))["ethnic_group"] == "White"
    )
