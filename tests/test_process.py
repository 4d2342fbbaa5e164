"""Process measures on hand-made journeys (expected values worked by hand) and on the default data."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from evaluation.metrics import durations, process
from evaluation.metrics.intervals import wilson
from tests.journeys import journeys

CUTOFF = dt.date(2026, 2, 15)


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson (1927) score interval from its formula, independent of statsmodels."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


# Ten referrals: six started; of those, three evidenced jobs (one job started but not yet
# evidenced); of the three jobs, two have passed 13 weeks (one sustained); one is too recent.
TEN = [
    {
        "referral_date": "2025-06-01",
        "start_date": "2025-06-10",
        "job_start_date": "2025-07-01",
        "job_evidenced": True,
        "sustained_13w": True,
    },
    {
        "referral_date": "2025-06-02",
        "start_date": "2025-06-12",
        "job_start_date": "2025-08-01",
        "job_evidenced": True,
        "sustained_13w": False,
    },
    {
        "referral_date": "2025-06-03",
        "start_date": "2025-06-20",
        "job_start_date": "2026-01-20",
        "job_evidenced": True,
    },
    {
        "referral_date": "2025-06-04",
        "start_date": "2025-06-25",
        "job_start_date": "2026-02-01",
        "job_evidenced": False,
    },
    {"referral_date": "2025-06-05", "start_date": "2025-07-01"},
    {"referral_date": "2025-06-06", "start_date": "2025-07-05", "exit_date": "2025-09-01"},
    {"referral_date": "2025-06-07", "exit_date": "2025-07-01"},
    {"referral_date": "2025-06-08", "exit_date": "2025-07-02"},
    {"referral_date": "2026-02-01"},
    {"referral_date": "2026-02-10"},
]


def test_funnel_by_hand() -> None:
    f = process.funnel(journeys(TEN), data_cutoff=CUTOFF)
    assert f.referrals == 10
    assert (f.starts.k, f.starts.n) == (6, 10)
    assert (f.job_outcomes.k, f.job_outcomes.n) == (3, 6)  # the unevidenced job does not count
    assert (f.sustained_13w.k, f.sustained_13w.n) == (1, 2)  # the recent job is not judged yet
    assert f.on_programme == 2  # started, no evidenced job, not left: rows 4 (job pending evidence) and 5
    lo, hi = wilson_by_hand(6, 10)
    assert f.starts.lower == pytest.approx(lo, abs=1e-12) and f.starts.upper == pytest.approx(hi, abs=1e-12)


def test_funnel_table_by_group_sums_to_overall() -> None:
    rows = [dict(r, provider="A" if i % 2 else "B") for i, r in enumerate(TEN)]
    table = process.funnel_table(journeys(rows), by="provider")
    starts = table[table["stage"] == "starts"]
    assert starts["k"].sum() == 6 and starts["n"].sum() == 10
    assert set(table["method"]) >= {"Wilson score interval, 95%"}


def test_zero_denominator_is_no_rate_not_zero() -> None:
    p = wilson(0, 0)
    assert p.rate is None and p.lower is None


def test_financial_quarter_labels() -> None:
    import pandas as pd

    dates = pd.Series(pd.to_datetime(["2025-04-01", "2025-06-30", "2025-07-01", "2026-01-15", "2026-03-31"]))
    assert process.financial_quarter(dates).tolist() == [
        "2025/26 Q1",
        "2025/26 Q1",
        "2025/26 Q2",
        "2025/26 Q4",
        "2025/26 Q4",
    ]


def test_km_median_by_hand() -> None:
    # Start-to-job times 10, 20 (censored), 30, 40, 50 (censored) days. Product-limit:
    # S(10) = 4/5 = 0.8; S(30) = 0.8 * 2/3 = 0.533; S(40) = 0.533 * 1/2 = 0.267: median 40 days.
    import numpy as np

    days = np.array([10, 20, 30, 40, 50], dtype=float)
    obs = np.array([1, 0, 1, 1, 0])
    s = durations.duration_summary(days, obs, measure="start_to_job")
    assert s.quartiles[0.5][0] == 40
    assert s.quartiles[0.25][0] == 30  # first time S <= 0.75: S(10) = 0.8 > 0.75, S(30) = 0.533
    assert (s.events, s.censored) == (3, 2)


def test_still_on_programme_is_censored_not_failure() -> None:
    # Seven starters: jobs at 30, 40, 50, 60 days; three left without one at 100 days.
    base = [
        {
            "referral_date": "2025-05-01",
            "start_date": "2025-05-01",
            "job_start_date": str(dt.date(2025, 5, 1) + dt.timedelta(days=d)),
            "job_evidenced": True,
        }
        for d in (30, 40, 50, 60)
    ] + [{"referral_date": "2025-05-01", "start_date": "2025-05-01", "exit_date": "2025-08-09"}] * 3
    # Add someone who started 5 days before the cut-off and is still on programme.
    extra = [*base, {"referral_date": "2026-02-01", "start_date": "2026-02-10"}]
    before = durations.job_within(journeys(base), days=182, data_cutoff=CUTOFF)
    after = durations.job_within(journeys(extra), days=182, data_cutoff=CUTOFF)
    assert before.rate == pytest.approx(4 / 7) and after.rate == pytest.approx(before.rate)  # no lower rate
    q_before = durations.durations(journeys(base), data_cutoff=CUTOFF)[1].quartiles
    q_after = durations.durations(journeys(extra), data_cutoff=CUTOFF)[1].quartiles
    assert q_after[0.5][0] == q_before[0.5][0] == 60  # S: 6/7, 5/7, 4/7, then 3/7 at 60: median 60
    # The to-date conversion, by contrast, counts them in its denominator (as DWP returns do).
    assert process.funnel(journeys(extra), data_cutoff=CUTOFF).job_outcomes.rate == pytest.approx(4 / 8)


def test_cumulative_by_month() -> None:
    table = process.cumulative_by_month(journeys(TEN), data_cutoff=CUTOFF, period_start=dt.date(2025, 6, 1))
    june = table[table["month"] == "2025-06"].iloc[0]
    assert (june["referrals"], june["starts"], june["job_outcomes"]) == (8, 4, 0)
    last = table.iloc[-1]
    assert (last["referrals"], last["starts"], last["job_outcomes"]) == (10, 6, 3)


def test_default_rotherham_funnel(synthetic_dir: Path) -> None:
    """The Delegated Officer Decision's 575, 307 (53.4%) and 73 (23.8%), with Wilson intervals."""
    from evaluation.data.inputs import load_inputs
    from evaluation.params import load_params
    from tests.test_cli import _params_for

    path = _params_for(synthetic_dir, synthetic_dir.parent)
    params = load_params(path)
    inputs = load_inputs(path, params)
    part = inputs.participants.frame
    f = process.funnel(part[part["area_code"] == "E08000018"], data_cutoff=CUTOFF)
    assert (f.referrals, f.starts.k, f.job_outcomes.k) == (575, 307, 73)
    assert round(100 * f.starts.rate, 1) == 53.4 and round(100 * f.job_outcomes.rate, 1) == 23.8
    assert (f.starts.lower, f.starts.upper) == pytest.approx(wilson_by_hand(307, 575), abs=1e-12)
    assert (f.job_outcomes.lower, f.job_outcomes.upper) == pytest.approx(wilson_by_hand(73, 307), abs=1e-12)
