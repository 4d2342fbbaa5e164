"""Year-end projection: its curves against statsmodels, its edge cases by hand, its calibration.

Expected values come from statsmodels (``SurvfuncRight``, ``CumIncidenceRight``), numpy
(``polyfit``, ``quantile``), or from programmes built so the answer is known without the library:
nobody left who could still start or find work, or a target out of reach of everyone at risk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight, SurvfuncRight

from evaluation.data import synthetic
from evaluation.data.validate import RuleContext, read_and_validate
from evaluation.metrics.projection import (
    RATE_WINDOW_DAYS,
    Projection,
    _as_at,
    _future_rates,
    mid_quantiles,
    product_limit,
    project_year_end,
    projection_table,
    simulate_totals,
)

CUTOFF = dt.date(2026, 2, 15)
PERIOD_END = dt.date(2026, 3, 31)
ROTHERHAM = "E08000018"
# Days from origin and outcome (1 event, 2 competing, 0 censored), with ties of all kinds.
DAYS = np.array([0, 2, 3, 3, 3, 5, 5, 7, 8, 8, 10, 12, 12, 15, 20])
OUTCOME = np.array([1, 0, 1, 1, 2, 0, 1, 2, 1, 0, 1, 2, 0, 1, 0])


def _day(offset: int) -> pd.Timestamp:
    return pd.Timestamp(CUTOFF) + pd.Timedelta(days=offset)


def _frame(rows: list[tuple[int, int | None, int | None, int | None]]) -> pd.DataFrame:
    """Participants from (referral, start, job, exit) offsets in days from the cut-off."""

    def col(i: int) -> pd.Series:
        return pd.Series([_day(r[i]) if r[i] is not None else pd.NaT for r in rows], dtype="datetime64[s]")

    return pd.DataFrame(
        {
            "referral_date": col(0),
            "start_date": col(1),
            "job_start_date": col(2),
            "exit_date": col(3),
            "job_evidenced": pd.array([r[2] is not None for r in rows], dtype="boolean"),
        }
    )


@pytest.fixture(scope="module")
def rotherham() -> pd.DataFrame:
    p = synthetic.generate().participants
    return p[p["area_code"] == ROTHERHAM].reset_index(drop=True)


def test_product_limit_matches_statsmodels_survfuncright() -> None:
    # Kaplan-Meier with the competing outcome censored, as statsmodels computes it.
    sf = SurvfuncRight(DAYS, (OUTCOME == 1).astype(int))
    curves = product_limit(DAYS, OUTCOME, np.ones((1, len(DAYS))), length=25)
    np.testing.assert_allclose(curves.km[0, sf.surv_times.astype(int)], sf.surv_prob, rtol=1e-12)


def test_weights_act_as_repeated_rows() -> None:
    # A bootstrap weight of 3 is the row written out three times: statsmodels on the repeated data.
    weights = np.array([3, 0, 1, 2, 1, 1, 0, 2, 1, 1, 4, 1, 1, 2, 1])
    sf = SurvfuncRight(np.repeat(DAYS, weights), np.repeat((OUTCOME == 1).astype(int), weights))
    curves = product_limit(DAYS, OUTCOME, weights[None, :], length=25)
    np.testing.assert_allclose(curves.km[0, sf.surv_times.astype(int)], sf.surv_prob, rtol=1e-12)


def test_cumulative_incidence_matches_statsmodels_cumincidenceright() -> None:
    # Aalen-Johansen cumulative incidence of outcome 1 with outcome 2 competing.
    ci = CumIncidenceRight(DAYS, OUTCOME)
    curves = product_limit(DAYS, OUTCOME, np.ones((1, len(DAYS))), length=25)
    np.testing.assert_allclose(curves.incidence[0, ci.times.astype(int)], ci.cinc[0], rtol=1e-12)
    # With nobody leaving, the incidence is one minus Kaplan-Meier.
    no_competing = np.where(OUTCOME == 2, 0, OUTCOME)
    plain = product_limit(DAYS, no_competing, np.ones((1, len(DAYS))), length=25)
    np.testing.assert_allclose(plain.incidence, 1 - plain.km, atol=1e-12)


def test_referral_trend_is_the_least_squares_line() -> None:
    # numpy.polyfit on the daily counts of the window, extended to the days after the cut-off.
    rng = np.random.default_rng(5)
    offsets = -rng.integers(0, 150, 300)
    frame = _frame([(int(o), None, None, None) for o in offsets])
    j = _as_at(frame, CUTOFF)
    days = np.arange(-RATE_WINDOW_DAYS + 1, 1)
    counts = np.array([(offsets == d).sum() for d in days])
    slope, intercept = np.polyfit(days, counts, 1)
    expected = np.maximum(intercept + slope * np.arange(1, 45), 0)
    # Every person weighted once: each cell weighs as many as it holds.
    np.testing.assert_allclose(_future_rates(j, j.count[None, :].astype(float), 44)[0], expected, rtol=1e-9)


def test_mid_quantiles_spread_each_total_over_a_unit() -> None:
    # Quantiles of the totals with each spread evenly over (t - 0.5, t + 0.5), by numpy on a fine grid.
    totals = np.array([10] * 20 + [11] * 60 + [12] * 20)
    probs = [0.1, 0.3, 0.5, 0.9]
    spread = (totals[:, None] + (np.arange(1000) + 0.5)[None, :] / 1000 - 0.5).ravel()
    np.testing.assert_allclose(mid_quantiles(totals, probs), np.quantile(spread, probs), atol=2e-3)
    # Hand values: 10 covers 0-0.2, 11 covers 0.2-0.8, 12 covers 0.8-1.
    np.testing.assert_allclose(mid_quantiles(totals, probs), [10.0, 10.5 + 0.1 / 0.6, 11.0, 12.0])
    # Never beyond the totals drawn: a single value is its own interval.
    np.testing.assert_array_equal(mid_quantiles(np.array([7, 7, 7]), [0.025, 0.975]), [7.0, 7.0])


def test_nobody_at_risk_and_no_recent_referrals_gives_the_observed_count() -> None:
    # Everyone was referred before the 12-week window and has finished: 3 jobs, 2 left after
    # starting, 2 left before starting. Nothing can change, so the projection is the count.
    frame = _frame(
        [
            (-200, -190, -150, -150),
            (-200, -180, -120, -120),
            (-150, -140, -100, -100),
            (-150, -140, None, -90),
            (-120, -110, None, -60),
            (-130, None, None, -100),
            (-100, None, None, -95),
        ]
    )
    jobs = project_year_end(
        frame, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END, target=3
    )
    assert (jobs.observed, jobs.central, jobs.low95, jobs.high95) == (3, 3.0, 3.0, 3.0)
    assert jobs.probability_reaching_target == 1.0
    starts = project_year_end(frame, measure="starts", data_cutoff=CUTOFF, period_end=PERIOD_END, target=6)
    assert (starts.observed, starts.central, starts.low80, starts.high80) == (5, 5.0, 5.0, 5.0)
    assert starts.probability_reaching_target == 0.0


def test_every_starter_already_in_work_gives_the_observed_count() -> None:
    # Ten referrals, all started and all with an evidenced job before the window: 10 jobs, no more.
    frame = _frame([(-300 + 10 * i, -290 + 10 * i, -250 + 10 * i, -250 + 10 * i) for i in range(10)])
    p = project_year_end(frame, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END)
    assert (p.observed, p.central, p.low80, p.high80, p.low95, p.high95) == (10, 10.0, 10.0, 10.0, 10.0, 10.0)
    assert p.probability_reaching_target is None


def test_rotherham_counts_and_ordering(rotherham: pd.DataFrame) -> None:
    # Delegated Officer Decision, 2 March 2026, paragraph 1.14: 307 starts and 73 jobs to the cut-off.
    jobs = project_year_end(rotherham, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END)
    starts = project_year_end(rotherham, measure="starts", data_cutoff=CUTOFF, period_end=PERIOD_END)
    assert (jobs.observed, starts.observed) == (73, 307)
    for p in (jobs, starts):
        assert p.observed <= p.low95 <= p.low80 <= p.central <= p.high80 <= p.high95
        assert p.draws == 2000 and p.seed == 20250401


def test_target_already_met_is_certain(rotherham: pd.DataFrame) -> None:
    # 73 jobs are already evidenced, so a target of 73 (or 50) is met in every draw.
    for target in (50, 73):
        p = project_year_end(
            rotherham, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END, target=target
        )
        assert p.probability_reaching_target == 1.0


def test_target_out_of_reach_has_no_chance(rotherham: pd.DataFrame) -> None:
    # Even if everyone on programme or waiting to start got a job, and so did every new referral
    # (the last 12 weeks held fewer than 250, under 3 a day, so about 130 in the 44 days left), the
    # total would stay far below observed + at risk + 300.
    j = _as_at(rotherham, CUTOFF)
    on_programme = (j.start_outcome == 1) & (j.job_outcome == 0)
    at_risk = int(j.count[on_programme].sum() + j.count[j.start_outcome == 0].sum())
    assert j.count[j.referral_day > -RATE_WINDOW_DAYS].sum() < 250
    target = 73 + at_risk + 300
    p = project_year_end(
        rotherham, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END, target=target
    )
    assert p.probability_reaching_target == 0.0


def test_same_seed_same_projection(rotherham: pd.DataFrame) -> None:
    args = {"measure": "job_outcomes", "data_cutoff": CUTOFF, "period_end": PERIOD_END, "target": 90}
    first = project_year_end(rotherham, seed=7, **args)  # type: ignore[arg-type]
    again = project_year_end(rotherham.copy(), seed=7, **args)  # type: ignore[arg-type]
    other = project_year_end(rotherham, seed=8, **args)  # type: ignore[arg-type]
    assert first == again
    assert first != other


def test_project_year_end_summarises_simulate_totals(rotherham: pd.DataFrame) -> None:
    args = {"measure": "starts", "data_cutoff": CUTOFF, "period_end": PERIOD_END, "draws": 600, "seed": 3}
    totals = simulate_totals(rotherham, **args)  # type: ignore[arg-type]
    p = project_year_end(rotherham, target=370, **args)  # type: ignore[arg-type]
    assert len(totals) == 600
    assert p.central == float(np.median(totals))
    assert [p.low80, p.high80, p.low95, p.high95] == list(mid_quantiles(totals, [0.1, 0.9, 0.025, 0.975]))
    assert p.probability_reaching_target == float(np.mean(totals >= 370))


@pytest.mark.parametrize(("referred", "started"), [(-150, 0), (-200, -30)])
def test_a_person_on_programme_is_never_a_failure(referred: int, started: int) -> None:
    # Twenty earlier starters, all referred before the 12-week window, started 60 days after
    # referral and found work 40 days after starting; no one left. One more person is on programme,
    # 0 or 30 days since starting. Censored, they have 40 days to go with everyone ahead of them
    # still to find work (at day 40 all 20 do), so a job by the period end, 44 days on, is certain:
    # 20 + 1 in every draw. Counted as a failure they would add nothing (20). No one was referred in
    # the window and no one waits to start, so nothing else can be added.
    earlier = [(-300 + 5 * i, -240 + 5 * i, -200 + 5 * i, -200 + 5 * i) for i in range(20)]
    frame = _frame([*earlier, (referred, started, None, None)])
    p = project_year_end(frame, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END, target=21)
    assert (p.observed, p.central, p.low95, p.high95) == (20, 21.0, 21.0, 21.0)
    assert p.probability_reaching_target == 1.0


def test_identical_journeys_share_a_cell() -> None:
    # Cells by hand (window 84 days, as the earliest referral is 200 days back): two identical
    # journeys with a job; one starter who left; two people waiting since day -10 (in the window,
    # so the referral day is kept) and one since day -11; one waiting since day -100 (before the
    # window: its day is not needed, shown as -84).
    frame = _frame(
        [
            (-200, -190, -150, -150),
            (-200, -190, -150, -150),
            (-190, -180, None, -120),
            (-10, None, None, None),
            (-10, None, None, None),
            (-11, None, None, None),
            (-100, None, None, None),
        ]
    )
    j = _as_at(frame, CUTOFF)
    cells = set(
        zip(j.count, j.start_days, j.start_outcome, j.job_days, j.job_outcome, j.referral_day, strict=True)
    )
    # (people, days to start or now, how it ended, days to job or now, how it ended, referral day)
    assert cells == {
        (2, 10, 1, 40, 1, -84),
        (1, 10, 1, 60, 2, -84),
        (2, 10, 0, 0, 0, -10),
        (1, 11, 0, 0, 0, -11),
        (1, 100, 0, 0, 0, -84),
    }
    assert (j.window, j.starts, j.jobs) == (84, 3, 2)


def test_cells_weighted_by_their_people_give_the_rows_curves(rotherham: pd.DataFrame) -> None:
    # Start-to-job times worked out row by row from the dates (statsmodels on the rows) against the
    # product-limit curve on the cells, each weighted by the number of people in it.
    cut = pd.Timestamp(CUTOFF)
    rows = rotherham[(rotherham["referral_date"] <= cut) & (rotherham["start_date"] <= cut)]
    job = (rows["job_evidenced"].fillna(False).astype(bool) & (rows["job_start_date"] <= cut)).to_numpy()
    left = (rows["exit_date"] <= cut).to_numpy()
    end = np.where(job, rows["job_start_date"], np.where(left, rows["exit_date"], cut))
    days = ((pd.to_datetime(end) - rows["start_date"]).dt.days.clip(lower=0)).to_numpy()
    ci = CumIncidenceRight(days, np.where(job, 1, np.where(left, 2, 0)))
    j = _as_at(rotherham, CUTOFF)
    started = j.starter
    assert j.count[started].sum() == len(rows) == 307
    curves = product_limit(j.job_days[started], j.job_outcome[started], j.count[started][None, :], length=400)
    np.testing.assert_allclose(curves.incidence[0, ci.times.astype(int)], ci.cinc[0], rtol=1e-12)


def test_row_order_does_not_change_the_projection(rotherham: pd.DataFrame) -> None:
    # Cells are taken in the order of their journeys, not of the rows.
    args = {"measure": "job_outcomes", "data_cutoff": CUTOFF, "period_end": PERIOD_END, "target": 90}
    shuffled = rotherham.sample(frac=1, random_state=4).reset_index(drop=True)
    assert project_year_end(shuffled, **args) == project_year_end(rotherham, **args)  # type: ignore[arg-type]


def test_validated_frame_gives_the_same_projection(
    rotherham: pd.DataFrame, synthetic_dir: Path, synthetic_ctx: RuleContext
) -> None:
    # The validated table (pandas booleans, nullable dtypes) and the generator's frame agree.
    validated = read_and_validate(synthetic_dir / "participants.csv", "participants", ctx=synthetic_ctx).frame
    mine = validated[validated["area_code"] == ROTHERHAM].reset_index(drop=True)
    args = {"measure": "job_outcomes", "data_cutoff": CUTOFF, "period_end": PERIOD_END, "target": 400}
    assert project_year_end(mine, **args) == project_year_end(rotherham, **args)  # type: ignore[arg-type]


def test_events_after_the_cut_off_are_ignored() -> None:
    # A start and a job dated after the cut-off are not yet known: 1 observed start, no jobs.
    frame = _frame([(-200, -190, None, -100), (-10, 5, 20, 20)])
    p = project_year_end(frame, measure="starts", data_cutoff=CUTOFF, period_end=PERIOD_END)
    assert p.observed == 1
    assert (
        project_year_end(frame, measure="job_outcomes", data_cutoff=CUTOFF, period_end=PERIOD_END).observed
        == 0
    )


def test_bad_options_are_refused(rotherham: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="unknown measure 'jobs'"):
        project_year_end(rotherham, measure="jobs", data_cutoff=CUTOFF, period_end=PERIOD_END)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="before the data cut-off"):
        project_year_end(rotherham, measure="starts", data_cutoff=CUTOFF, period_end=dt.date(2026, 1, 1))
    with pytest.raises(ValueError, match="draws must be at least 1"):
        project_year_end(rotherham, measure="starts", data_cutoff=CUTOFF, period_end=PERIOD_END, draws=0)


def test_projection_table_has_one_row_per_quantity() -> None:
    p = Projection(
        measure="job_outcomes",
        observed=73,
        target=400,
        data_cutoff=CUTOFF,
        period_end=PERIOD_END,
        central=95.0,
        low80=89.0,
        high80=102.0,
        low95=86.0,
        high95=106.0,
        probability_reaching_target=0.0,
        draws=2000,
        seed=1,
        method="Monte Carlo.",
    )
    table = projection_table(p)
    assert list(table.columns) == ["measure", "quantity", "value", "definition", "method"]
    assert dict(zip(table["quantity"], table["value"], strict=True)) == {
        "observed": 73.0,
        "central": 95.0,
        "low80": 89.0,
        "high80": 102.0,
        "low95": 86.0,
        "high95": 106.0,
        "target": 400.0,
        "probability_reaching_target": 0.0,
    }
    none = projection_table(Projection(**{**p.__dict__, "target": None, "probability_reaching_target": None}))
    assert none["value"].iloc[-2:].isna().all()


@pytest.mark.slow
def test_80_percent_interval_covers_the_truth_80_percent_of_the_time() -> None:
    # The acceptance test: 200 simulated programmes with known year-end totals (seeds 1000-1199,
    # steady and rising referrals), projected from a cut-off 44 days before the period end.
    from benchmarks.projection_coverage import replicate

    rows = replicate(replications=200, draws=400, measures=("job_outcomes",))
    assert len(rows) == 200
    assert 0.75 <= rows["covered80"].mean() <= 0.85
    assert rows["covered95"].mean() >= 0.90
