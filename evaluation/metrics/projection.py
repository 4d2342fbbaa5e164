"""Year-end projection of starts or job outcomes, with intervals and the chance of reaching a target.

In: validated participant journeys, the data cut-off and the period end. Out: a frozen
``Projection`` (observed count, median projected total, 80% and 95% intervals, probability of
reaching the target, the method in words) and a tidy one-row-per-quantity table for documents.

It answers "will we reach 400 job outcomes by March?" by Monte Carlo simulation that carries both
the chance in who gets a job in the weeks left and the uncertainty in the rates themselves. Each
draw:

1. resamples the participants (Poisson bootstrap: each person's weight is an independent
   Poisson(1) count) and re-estimates from the resample the referral rate of the last 8 weeks, the
   referral-to-start curve and the start-to-job curve. Both curves are product-limit
   (Aalen-Johansen) cumulative incidences on a day grid: the cut-off censors, and leaving the
   programme without the outcome is a competing outcome, so a leaver is not assumed to have gone
   on to find work at the stayers' rate, and a person still on programme is censored, never a
   failure. With no leavers the curve is 1 - Kaplan-Meier;
2. simulates forward from the cut-off to the period end: a person on programme for ``a`` days gets
   a job by the end (``a + h`` days) with probability (F(a + h) - F(a)) / S(a), F the cumulative
   incidence of a job and S the probability of neither a job nor leaving by ``a`` days; a person
   waiting to start starts in the same way and may then get a job in the days left; future
   referrals arrive as a Poisson process at the resampled rate and may start, and then get a job,
   before the period end (Poisson thinning gives their count exactly);
3. adds the simulated count to the count observed to the cut-off.

The central projection is the median of the draws' totals and the intervals are their 10th-90th
and 2.5th-97.5th percentiles (linear interpolation). The benchmark ``benchmarks.projection_coverage``
checks the 80% interval's coverage on simulated programmes with known year-end totals.

Assumptions, to be stated beside the figure: referrals continue at the rate of the last 8 weeks;
the time-to-start and time-to-job curves of people starting now are those of earlier cohorts; a
job counts only once evidenced, and a job started but not yet evidenced is treated as on programme
(evidencing delays are not modelled); events dated after the cut-off are ignored.

Random numbers come from ``numpy.random.default_rng(seed)``, split per block of draws and per
participant, so the same inputs and seed give identical results, and appending a participant to
the table leaves every other participant's random numbers unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

MEASURES = ("job_outcomes", "starts")
MEASURE_LABELS = {"job_outcomes": "evidenced job outcomes", "starts": "starts on programme"}
RATE_WINDOW_DAYS = 56  # referral rate: the last 8 weeks to the cut-off
DRAW_BLOCK = 250  # draws simulated together; bounds memory at draws x participants per block
QUANTILES = {"central": 0.5, "low80": 0.1, "high80": 0.9, "low95": 0.025, "high95": 0.975}


@dataclass(frozen=True)
class Projection:
    """Projected total of one measure at the period end, from the journeys to the data cut-off."""

    measure: str  # "job_outcomes" or "starts"
    observed: int  # count to the data cut-off
    target: int | None
    data_cutoff: dt.date
    period_end: dt.date
    central: float  # median of the simulated year-end totals
    low80: float
    high80: float
    low95: float
    high95: float
    probability_reaching_target: float | None  # None when no target
    draws: int
    seed: int
    method: str  # one or two sentences naming the method, printed in documents


@dataclass(frozen=True)
class Curves:
    """Product-limit curves on the day grid 0, 1, ..., one row per draw (bootstrap weighting).

    ``km`` is the Kaplan-Meier survival from the outcome with the competing outcome censored;
    ``survival`` the probability of neither outcome by day t; ``incidence`` the Aalen-Johansen
    cumulative incidence of the outcome by day t (events on day t included).
    """

    km: np.ndarray
    survival: np.ndarray
    incidence: np.ndarray


def product_limit(days: np.ndarray, outcome: np.ndarray, weights: np.ndarray, *, length: int) -> Curves:
    """Weighted product-limit curves for many draws at once.

    ``days`` (n,) whole days from origin to the outcome, leaving or censoring; ``outcome`` (n,) 1
    for the outcome, 2 for the competing outcome (left without it), 0 for censored; ``weights``
    (draws, n) frequency weights, one row per draw; ``length`` the grid size, above every day.
    Hazards are weighted events over weighted numbers at risk (time >= t), so ties on a day are
    handled as in ``statsmodels`` ``SurvfuncRight`` and ``CumIncidenceRight``.
    """
    days = np.asarray(days, dtype=np.int64)
    outcome = np.asarray(outcome)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    n_draws = weights.shape[0]
    if len(days) and (days.min() < 0 or days.max() >= length):
        raise ValueError(f"days must lie in 0..{length - 1}")
    order = np.argsort(days, kind="stable")
    sorted_days, w, kind = days[order], weights[:, order], outcome[order]
    uniq, first = np.unique(sorted_days, return_index=True)

    def per_day(x: np.ndarray) -> np.ndarray:
        out = np.zeros((n_draws, length))
        if len(uniq):
            out[:, uniq] = np.add.reduceat(x, first, axis=1)
        return out

    at_risk = np.cumsum(per_day(w)[:, ::-1], axis=1)[:, ::-1]
    safe = np.where(at_risk > 0, at_risk, 1.0)
    h1 = np.where(at_risk > 0, per_day(w * (kind == 1)) / safe, 0.0)
    h2 = np.where(at_risk > 0, per_day(w * (kind == 2)) / safe, 0.0)
    km = np.cumprod(1.0 - h1, axis=1)
    survival = np.cumprod(np.clip(1.0 - h1 - h2, 0.0, 1.0), axis=1)
    before = np.concatenate([np.ones((n_draws, 1)), survival[:, :-1]], axis=1)
    return Curves(km=km, survival=survival, incidence=np.cumsum(before * h1, axis=1))


@dataclass(frozen=True)
class _AsAt:
    """The journeys as known at the cut-off, as whole days (the cut-off is day 0, the past negative)."""

    start_days: np.ndarray  # referral to start, leaving or cut-off
    start_outcome: np.ndarray  # 1 started, 2 left before starting, 0 waiting at the cut-off
    job_days: np.ndarray  # start to job, leaving or cut-off (starters only)
    job_outcome: np.ndarray
    starter: np.ndarray  # positions (in the referral arrays) of starters
    referral_day: np.ndarray  # day of referral (the cut-off is 0)
    window: int  # days in the rate window
    starts: int
    jobs: int


def _days(s: pd.Series, cutoff: np.datetime64) -> np.ndarray:
    """Days from the cut-off (negative before it), NaN where missing."""
    d = pd.to_datetime(s).to_numpy(dtype="datetime64[D]")
    out = (d - cutoff).astype("timedelta64[D]").astype(float)
    out[np.isnat(d)] = np.nan
    return out


def _as_at(participants: pd.DataFrame, data_cutoff: dt.date) -> _AsAt:
    cut = np.datetime64(data_cutoff, "D")
    ref = _days(participants["referral_date"], cut)
    keep = ~np.isnan(ref) & (ref <= 0)
    ref = ref[keep]
    start = _days(participants["start_date"], cut)[keep]
    job = _days(participants["job_start_date"], cut)[keep]
    left = _days(participants["exit_date"], cut)[keep]
    evidenced = participants["job_evidenced"].fillna(False).astype(bool).to_numpy()[keep]
    started = start <= 0  # NaN compares False
    has_job = evidenced & (job <= 0)
    has_left = left <= 0

    start_outcome = np.where(started, 1, np.where(has_left, 2, 0))
    start_end = np.where(started, start, np.where(has_left, left, 0.0))
    job_outcome = np.where(has_job, 1, np.where(has_left, 2, 0))[started]
    job_end = np.where(has_job, job, np.where(has_left, left, 0.0))[started]
    window = int(min(RATE_WINDOW_DAYS, -ref.min() + 1)) if len(ref) else RATE_WINDOW_DAYS
    return _AsAt(
        start_days=np.maximum(start_end - ref, 0).astype(np.int64),
        start_outcome=start_outcome,
        job_days=np.maximum(job_end - start[started], 0).astype(np.int64),
        job_outcome=job_outcome,
        starter=np.flatnonzero(started),
        referral_day=ref.astype(np.int64),
        window=window,
        starts=int(started.sum()),
        jobs=int(has_job.sum()),
    )


TREND = 0  # experiment: 0 flat over RATE_WINDOW_DAYS, else linear over TREND days


def _future_rates(j: _AsAt, weights: np.ndarray, horizon: int) -> np.ndarray:
    """Referral rate on each day after the cut-off, per draw."""
    if TREND == 0:
        recent = j.referral_day > -j.window
        rate = weights[:, recent].sum(axis=1) / j.window
        return np.repeat(rate[:, None], horizon, axis=1)
    L = int(min(TREND, -j.referral_day.min(initial=0) + 1))
    days = np.arange(-L + 1, 1)
    onehot = (j.referral_day[:, None] == days[None, :]).astype(float)
    counts = weights @ onehot  # (B, L)
    dc = days - days.mean()
    beta = counts @ dc / (dc @ dc)
    alpha = counts.mean(axis=1) - beta * days.mean()
    v = np.arange(1, horizon + 1)
    return np.maximum(alpha[:, None] + beta[:, None] * v[None, :], 0.0)


def _conditional(curves: Curves, elapsed: np.ndarray, horizon: int) -> np.ndarray:
    """P(outcome within ``horizon`` more days | neither outcome in the first ``elapsed`` days)."""
    gain = curves.incidence[:, elapsed + horizon] - curves.incidence[:, elapsed]
    base = curves.survival[:, elapsed]
    return np.clip(np.where(base > 0, gain / np.where(base > 0, base, 1.0), 0.0), 0.0, 1.0)


def _simulate_block(j: _AsAt, measure: str, horizon: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Simulated counts after the cut-off for ``size`` draws."""
    weight_rng, uniform_rng, poisson_rng = rng.spawn(3)
    n = len(j.start_days)
    # Drawn participant by participant, so a participant appended to the table changes no one else's.
    weights = weight_rng.poisson(1.0, size=(n, size)).T.astype(float)
    uniforms = uniform_rng.random((n, size)).T
    rate = _future_rates(j, weights, horizon)  # (draws, horizon): day 1 .. h after the cut-off
    length = int(max(j.start_days.max(initial=0), j.job_days.max(initial=0))) + horizon + 1
    start = product_limit(j.start_days, j.start_outcome, weights, length=length)
    waiting = np.flatnonzero(j.start_outcome == 0)
    elapsed_wait = j.start_days[waiting]
    if measure == "starts":
        p_wait = _conditional(start, elapsed_wait, horizon)
        expected_new = (rate * start.incidence[:, horizon - 1 :: -1][:, :horizon]).sum(axis=1)
        return (uniforms[:, waiting] < p_wait).sum(axis=1) + poisson_rng.poisson(expected_new)

    job = product_limit(j.job_days, j.job_outcome, weights[:, j.starter], length=length)
    on_programme = j.starter[j.job_outcome == 0]
    p_on = _conditional(job, j.job_days[j.job_outcome == 0], horizon)
    # Density of starting on each day after referral, then a job within the days left after it.
    f_start = np.diff(start.incidence, axis=1, prepend=0.0)
    u = np.arange(1, horizon + 1)
    job_after = job.incidence[:, horizon - u]  # job within h - u days of a start on day u
    base = start.survival[:, elapsed_wait]
    via_start = np.einsum("bmu,bu->bm", f_start[:, elapsed_wait[:, None] + u[None, :]], job_after)
    p_wait = np.clip(np.where(base > 0, via_start / np.where(base > 0, base, 1.0), 0.0), 0.0, 1.0)
    # A referral on day v has r = h - v days left: P(job by then) = sum over s <= r of f(s) G(r - s).
    q = np.zeros((size, horizon))
    for s in range(horizon):
        q[:, s:] += f_start[:, s : s + 1] * job.incidence[:, : horizon - s]
    expected_new = (rate * q[:, ::-1]).sum(axis=1)
    return (
        (uniforms[:, on_programme] < p_on).sum(axis=1)
        + (uniforms[:, waiting] < p_wait).sum(axis=1)
        + poisson_rng.poisson(expected_new)
    )


def _method(draws: int) -> str:
    return (
        f"Monte Carlo projection ({draws:,} draws): participants are bootstrap-resampled and, in each "
        "draw, the referral rate of the last 8 weeks and the product-limit curves of time to start and "
        "to job (leaving as a competing outcome, the cut-off as censoring) are re-estimated; people on "
        "programme, people waiting to start and new referrals are then simulated to the period end. "
        "The interval is the spread of observed plus simulated totals."
    )


def project_year_end(
    participants: pd.DataFrame,
    *,
    measure: Literal["job_outcomes", "starts"],
    data_cutoff: dt.date,
    period_end: dt.date,
    target: int | None = None,
    draws: int = 2000,
    seed: int = 20250401,
) -> Projection:
    """Projected total of ``measure`` at ``period_end``: median, 80% and 95% intervals, P(target).

    Counts to the cut-off are observed (a job counts when evidenced, on its job start date); the
    rest is simulated as described in the module docstring. Referrals, starts, jobs and exits
    dated after the cut-off are ignored.
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if period_end < data_cutoff:
        raise ValueError(f"period end {period_end} is before the data cut-off {data_cutoff}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    j = _as_at(participants, data_cutoff)
    horizon = (period_end - data_cutoff).days
    observed = j.jobs if measure == "job_outcomes" else j.starts
    blocks = -(-draws // DRAW_BLOCK)
    sizes = [min(DRAW_BLOCK, draws - b * DRAW_BLOCK) for b in range(blocks)]
    rngs = np.random.default_rng(seed).spawn(blocks)
    simulated = np.concatenate(
        [_simulate_block(j, measure, horizon, size, rng) for size, rng in zip(sizes, rngs, strict=True)]
    )
    totals = observed + simulated
    q = dict(zip(QUANTILES, np.quantile(totals, list(QUANTILES.values())), strict=True))
    return Projection(
        measure=measure,
        observed=observed,
        target=target,
        data_cutoff=data_cutoff,
        period_end=period_end,
        central=float(q["central"]),
        low80=float(q["low80"]),
        high80=float(q["high80"]),
        low95=float(q["low95"]),
        high95=float(q["high95"]),
        probability_reaching_target=None if target is None else float(np.mean(totals >= target)),
        draws=draws,
        seed=seed,
        method=_method(draws),
    )


def projection_table(p: Projection) -> pd.DataFrame:
    """Tidy table for documents: one row per quantity with its value and definition."""
    label = MEASURE_LABELS[p.measure]
    end = p.period_end.isoformat()
    rows = [
        ("observed", p.observed, f"Count of {label} to the data cut-off ({p.data_cutoff.isoformat()})."),
        ("central", p.central, f"Projected {label} by {end}: median of the simulated totals."),
        ("low80", p.low80, "Lower end of the 80% projection interval (10th percentile)."),
        ("high80", p.high80, "Upper end of the 80% projection interval (90th percentile)."),
        ("low95", p.low95, "Lower end of the 95% projection interval (2.5th percentile)."),
        ("high95", p.high95, "Upper end of the 95% projection interval (97.5th percentile)."),
        ("target", p.target, f"Target for {label} by {end}."),
        (
            "probability_reaching_target",
            p.probability_reaching_target,
            f"Share of simulated totals at or above the target by {end}.",
        ),
    ]
    out = pd.DataFrame(rows, columns=["quantity", "value", "definition"])
    out["value"] = pd.to_numeric(out["value"]).astype(float)
    out.insert(0, "measure", p.measure)
    out["method"] = p.method
    return out
