"""Year-end projection of starts or job outcomes, with intervals and the chance of reaching a target.

In: validated participant journeys, the data cut-off and the period end. Out: a frozen
``Projection`` (observed count, median projected total, 80% and 95% intervals, probability of
reaching the target, the method in words) and a tidy one-row-per-quantity table for documents.

It answers "will we reach 400 job outcomes by March?" by Monte Carlo simulation that carries both
the chance in who gets a job in the weeks left and the uncertainty in the rates themselves. Each
draw:

1. resamples the participants (Poisson bootstrap: each person's weight is an independent
   Poisson(1) count) and re-estimates from the resample the referral trend (a straight line
   through the daily referrals of the last 12 weeks), the referral-to-start curve and the
   start-to-job curve. Both curves are product-limit (Aalen-Johansen) cumulative incidences on a
   day grid: the cut-off censors, and leaving without the outcome is a competing outcome, so a
   leaver is not assumed to go on to find work at the stayers' rate, and a person still on
   programme is censored, never a failure. With no leavers the curve is 1 - Kaplan-Meier;
2. simulates forward from the cut-off to the period end, ``h`` days on: a person on programme for
   ``a`` days gets a job by the end with probability (F(a + h) - F(a)) / S(a), F the cumulative
   incidence of a job and S the probability of neither a job nor leaving in ``a`` days (when no
   one leaves this is the Kaplan-Meier (S(a) - S(a + h)) / S(a)); a person waiting to start starts
   in the same way, and may then get a job in the days left; new referrals arrive as a Poisson
   process along the resampled trend and may start, and then get a job, before the period end
   (Poisson thinning gives their count exactly);
3. adds the simulated count to the count observed to the cut-off.

People are counted in cells, so that the cost is set by the number of distinct journeys (bounded
by the day grid), not by the number of people. A cell holds the people whose journeys are the same
as far as any estimate can see: days to start or leaving and how that ended, days from start to a
job or leaving and how that ended, and the referral day when it falls in the trend's window. Every
estimate depends on the weights only through each cell's total, and the total of ``m`` independent
Poisson(1) weights is Poisson(m), drawn once per cell; the ``m`` people of a cell at risk of the
outcome, each with the same chance ``p`` in a draw, give a Binomial(m, p) count. So the draws
have exactly the distribution of the person-by-person bootstrap and simulation.

The central projection is the median of the draws' totals. The intervals are equal-tailed
(10th-90th and 2.5th-97.5th percentiles) mid-quantiles (Parzen): each whole-number total is
spread evenly over the half-units either side, so an 80% interval covers 80% rather than, because
totals are whole numbers, always somewhat more; rounded to whole numbers they are the usual
percentiles, which hold at least 80%. ``benchmarks/projection_coverage.py`` checks the coverage on
simulated programmes with known year-end totals (results in ``benchmarks/results``).

Assumptions, to be stated beside the figure: referrals follow the straight-line trend of the last
12 weeks (never below zero); people starting now move to a start and a job as earlier cohorts did
at the same time since referral or start; a job counts only once evidenced, and a job started but
not yet evidenced is treated as on programme (evidencing delays are not modelled); anything dated
after the cut-off is ignored.

Random numbers come from ``numpy.random.default_rng(seed)``, split per block of draws; cells are
taken in the order of their journeys, so the same inputs and seed give identical results whatever
the order of the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse

MEASURES = ("job_outcomes", "starts")
MEASURE_LABELS = {"job_outcomes": "evidenced job outcomes", "starts": "starts on programme"}
RATE_WINDOW_DAYS = 84  # referral trend: the last 12 weeks to the cut-off
DRAW_BLOCK = 250  # draws simulated together; bounds memory at draws x cells per block


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


def _tally(
    days: np.ndarray, outcome: np.ndarray, length: int, *, offset: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of a sparse (rows, 3 x length) tally: each row counts towards the total, and
    to the outcome's or the competing outcome's events, on its day; columns from ``offset``."""
    rows = np.arange(len(days))
    one, two = outcome == 1, outcome == 2
    return (
        np.concatenate([rows, rows[one], rows[two]]),
        offset + np.concatenate([days, length + days[one], 2 * length + days[two]]),
    )


def _curves(tallies: np.ndarray, length: int) -> Curves:
    """Product-limit curves from per-day weighted totals, events and competing events
    (``tallies`` (draws, 3 x length), laid out as ``_tally`` lays them out)."""
    total, events, competing = tallies[:, :length], tallies[:, length : 2 * length], tallies[:, 2 * length :]
    at_risk = np.cumsum(total[:, ::-1], axis=1)[:, ::-1]
    safe = np.where(at_risk > 0, at_risk, 1.0)
    h1 = np.where(at_risk > 0, events / safe, 0.0)
    h2 = np.where(at_risk > 0, competing / safe, 0.0)
    km = np.cumprod(1.0 - h1, axis=1)
    survival = np.cumprod(np.clip(1.0 - h1 - h2, 0.0, 1.0), axis=1)
    before = np.concatenate([np.ones((len(tallies), 1)), survival[:, :-1]], axis=1)
    return Curves(km=km, survival=survival, incidence=np.cumsum(before * h1, axis=1))


def product_limit(days: np.ndarray, outcome: np.ndarray, weights: np.ndarray, *, length: int) -> Curves:
    """Weighted product-limit curves for many draws at once.

    ``days`` (n,) whole days from origin to the outcome, leaving or censoring; ``outcome`` (n,) 1
    for the outcome, 2 for the competing outcome (left without it), 0 for censored; ``weights``
    (draws, n) frequency weights, one row per draw; ``length`` the grid size, above every day.
    Hazards are weighted events over weighted numbers at risk (time >= t), so ties on a day are
    handled as in ``statsmodels`` ``SurvfuncRight`` and ``CumIncidenceRight``.
    """
    days = np.asarray(days, dtype=np.int64)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    if len(days) and (days.min() < 0 or days.max() >= length):
        raise ValueError(f"days must lie in 0..{length - 1}")
    rows, cols = _tally(days, np.asarray(outcome), length)
    tally = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(days), 3 * length))
    return _curves(weights @ tally, length)


@dataclass(frozen=True)
class _AsAt:
    """The journeys as known at the cut-off, in cells of identical journeys, as whole days (the
    cut-off is day 0, the past negative). Every array is one entry per cell, in key order."""

    count: np.ndarray  # people in the cell
    start_days: np.ndarray  # referral to start, leaving or cut-off
    start_outcome: np.ndarray  # 1 started, 2 left before starting, 0 waiting at the cut-off
    job_days: np.ndarray  # start to job, leaving or cut-off (0 for those who have not started)
    job_outcome: np.ndarray  # 1 job, 2 left without one, 0 on programme (and 0 if not started)
    referral_day: np.ndarray  # day of referral in the rate window; -window for earlier referrals
    window: int  # days in the rate window
    starts: int
    jobs: int

    @property
    def starter(self) -> np.ndarray:
        """Positions of the cells of people who started."""
        return np.flatnonzero(self.start_outcome == 1)


def _days(s: pd.Series, cutoff: np.datetime64) -> np.ndarray:
    """Days from the cut-off (negative before it), NaN where missing."""
    d = pd.to_datetime(s).to_numpy(dtype="datetime64[D]")
    out = (d - cutoff).astype("timedelta64[D]").astype(float)
    out[np.isnat(d)] = np.nan
    return out


def _as_at(participants: pd.DataFrame, data_cutoff: dt.date) -> _AsAt:
    """Each person's journey to the cut-off, counted in cells of identical journeys."""
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
    window = int(min(RATE_WINDOW_DAYS, -ref.min() + 1)) if len(ref) else RATE_WINDOW_DAYS

    start_outcome = np.where(started, 1, np.where(has_left, 2, 0))
    start_end = np.where(started, start, np.where(has_left, left, 0.0))
    start_days = np.maximum(start_end - ref, 0).astype(np.int64)
    job_outcome = np.where(started, np.where(has_job, 1, np.where(has_left, 2, 0)), 0)
    job_end = np.where(has_job, job, np.where(has_left, left, 0.0))
    job_days = np.where(started, np.maximum(job_end - np.where(started, start, 0.0), 0), 0).astype(np.int64)
    in_window = np.where(ref > -window, ref + window, 0).astype(np.int64)  # 1..window, or 0 if earlier

    # One whole-number key per journey (mixed radix), counted by hashing: linear in the rows.
    span_job = int(job_days.max(initial=0)) + 1
    key = ((start_days * 3 + start_outcome) * span_job + job_days) * 3 + job_outcome
    key = key * (window + 1) + in_window
    codes, uniques = pd.factorize(key, sort=True)
    count = np.bincount(codes, minlength=len(uniques)).astype(np.int64)
    rest, cell_window = np.divmod(np.asarray(uniques, dtype=np.int64), window + 1)
    rest, cell_job_outcome = np.divmod(rest, 3)
    rest, cell_job_days = np.divmod(rest, span_job)
    cell_start_days, cell_start_outcome = np.divmod(rest, 3)
    return _AsAt(
        count=count,
        start_days=cell_start_days,
        start_outcome=cell_start_outcome,
        job_days=cell_job_days,
        job_outcome=cell_job_outcome,
        referral_day=np.where(cell_window > 0, cell_window - window, -window),
        window=window,
        starts=int(started.sum()),
        jobs=int(has_job.sum()),
    )


def _future_rates(j: _AsAt, weights: np.ndarray, horizon: int) -> np.ndarray:
    """Expected referrals on each day 1..h after the cut-off, per draw (draws, h).

    A straight line fitted by least squares to the daily referral counts of the rate window
    (weighted by the draw's bootstrap weights of the cells, so the fit's uncertainty is carried)
    and extended past the cut-off, never below zero.
    """
    recent = j.referral_day > -j.window
    days = np.arange(-j.window + 1, 1)
    centred = days - days.mean()
    spread = float(centred @ centred)
    w = weights[:, recent]
    level = w.sum(axis=1) / j.window  # the fitted line at the window's middle day
    slope = w @ (j.referral_day[recent] - days.mean()) / spread if spread > 0 else np.zeros(len(w))
    ahead = np.arange(1, horizon + 1) - days.mean()
    return np.maximum(level[:, None] + slope[:, None] * ahead[None, :], 0.0)


def _conditional(curves: Curves, elapsed: np.ndarray, horizon: int) -> np.ndarray:
    """P(outcome within ``horizon`` more days | neither outcome in the first ``elapsed`` days)."""
    gain = curves.incidence[:, elapsed + horizon] - curves.incidence[:, elapsed]
    base = curves.survival[:, elapsed]
    return np.clip(np.where(base > 0, gain / np.where(base > 0, base, 1.0), 0.0), 0.0, 1.0)


@dataclass(frozen=True)
class _Design:
    """What every block of draws shares: the cells' tallies and the people at risk by elapsed day."""

    length: int  # day grid of the curves
    tally: sparse.csr_array  # (cells, 6 x length): the start curve's tallies, then the job curve's
    waiting_days: np.ndarray  # distinct days waited so far by people waiting to start
    waiting: np.ndarray  # people waiting that long
    on_programme_days: np.ndarray  # distinct days on programme so far by people with no job yet
    on_programme: np.ndarray  # people on programme that long


def _at_risk(days: np.ndarray, count: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct elapsed days of some cells and the people at each."""
    people = np.bincount(days, weights=count, minlength=length).astype(np.int64)
    elapsed = np.flatnonzero(people)
    return elapsed, people[elapsed]


def _design(j: _AsAt, horizon: int) -> _Design:
    """The cells' tallies and the people at risk, built once for all blocks of draws."""
    length = int(max(j.start_days.max(initial=0), j.job_days.max(initial=0))) + horizon + 1
    started = j.starter
    start_rows, start_cols = _tally(j.start_days, j.start_outcome, length)
    job_rows, job_cols = _tally(j.job_days[started], j.job_outcome[started], length, offset=3 * length)
    rows = np.concatenate([start_rows, started[job_rows]])
    cols = np.concatenate([start_cols, job_cols])
    tally = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(len(j.count), 6 * length))
    waiting = j.start_outcome == 0
    on_programme = (j.start_outcome == 1) & (j.job_outcome == 0)
    return _Design(
        length,
        tally,
        *_at_risk(j.start_days[waiting], j.count[waiting], length),
        *_at_risk(j.job_days[on_programme], j.count[on_programme], length),
    )


def _simulate_block(
    j: _AsAt, design: _Design, measure: str, horizon: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Simulated counts after the cut-off for ``size`` draws."""
    weight_rng, binomial_rng, poisson_rng = rng.spawn(3)
    # A cell's bootstrap weight: the total of its people's Poisson(1) weights, Poisson(count).
    weights = weight_rng.poisson(j.count.astype(float), size=(size, len(j.count))).astype(float)
    rate = _future_rates(j, weights, horizon)  # (draws, horizon): day 1 .. h after the cut-off
    length = design.length
    tallies = weights @ design.tally
    start = _curves(tallies[:, : 3 * length], length)
    elapsed_wait = design.waiting_days
    if measure == "starts":
        p_wait = _conditional(start, elapsed_wait, horizon)
        # A referral on day v of the h left has h - v days to start.
        expected_new = (rate * start.incidence[:, :horizon][:, ::-1]).sum(axis=1)
        return binomial_rng.binomial(design.waiting, p_wait).sum(axis=1) + poisson_rng.poisson(expected_new)

    job = _curves(tallies[:, 3 * length :], length)
    p_on = _conditional(job, design.on_programme_days, horizon)
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
        binomial_rng.binomial(design.on_programme, p_on).sum(axis=1)
        + binomial_rng.binomial(design.waiting, p_wait).sum(axis=1)
        + poisson_rng.poisson(expected_new)
    )


def _method(draws: int) -> str:
    return (
        f"Monte Carlo projection ({draws:,} draws): in each draw the participants are bootstrap-"
        "resampled and the referral trend of the last 12 weeks and the product-limit curves of time "
        "to start and to job (leaving a competing outcome, the cut-off censoring) are re-estimated, "
        "then people on programme, people waiting to start and new referrals are simulated to the "
        "period end. The projection is the median of observed plus simulated totals and the intervals "
        "their central 80% and 95%."
    )


def _checked(measure: str, data_cutoff: dt.date, period_end: dt.date, draws: int) -> None:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    if period_end < data_cutoff:
        raise ValueError(f"period end {period_end} is before the data cut-off {data_cutoff}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")


def _totals(j: _AsAt, measure: str, horizon: int, draws: int, seed: int) -> np.ndarray:
    observed = j.jobs if measure == "job_outcomes" else j.starts
    blocks = -(-draws // DRAW_BLOCK)
    sizes = [min(DRAW_BLOCK, draws - b * DRAW_BLOCK) for b in range(blocks)]
    rngs = np.random.default_rng(seed).spawn(blocks)
    design = _design(j, horizon)
    simulated = [
        _simulate_block(j, design, measure, horizon, size, rng) for size, rng in zip(sizes, rngs, strict=True)
    ]
    return observed + np.concatenate(simulated).astype(np.int64)


def simulate_totals(
    participants: pd.DataFrame,
    *,
    measure: Literal["job_outcomes", "starts"],
    data_cutoff: dt.date,
    period_end: dt.date,
    draws: int = 2000,
    seed: int = 20250401,
) -> np.ndarray:
    """The simulated totals at ``period_end`` (observed to the cut-off plus simulated), one per draw.

    ``project_year_end`` summarises exactly these (same arguments, same totals); they are public
    for charts of the whole distribution and for the calibration benchmark.
    """
    _checked(measure, data_cutoff, period_end, draws)
    j = _as_at(participants, data_cutoff)
    return _totals(j, measure, (period_end - data_cutoff).days, draws, seed)


def mid_quantiles(totals: np.ndarray, probs: list[float]) -> np.ndarray:
    """Mid-quantiles of whole-number draws: the quantiles of each total spread evenly over
    (total - 0.5, total + 0.5), kept within the smallest and largest total drawn."""
    values, counts = np.unique(np.asarray(totals), return_counts=True)
    mass = counts / counts.sum()
    below = np.cumsum(mass) - mass  # share of draws below each value
    p = np.asarray(probs, dtype=float)
    k = np.minimum(np.searchsorted(np.cumsum(mass), p, side="left"), len(values) - 1)
    q = values[k] - 0.5 + (p - below[k]) / mass[k]
    return np.clip(q, values[0], values[-1])


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
    rest is simulated as the module docstring describes. Anything dated after the cut-off is
    ignored. The probability of reaching the target is the share of draws at or above it.
    """
    _checked(measure, data_cutoff, period_end, draws)
    j = _as_at(participants, data_cutoff)
    observed = j.jobs if measure == "job_outcomes" else j.starts
    totals = _totals(j, measure, (period_end - data_cutoff).days, draws, seed)
    low80, high80, low95, high95 = mid_quantiles(totals, [0.1, 0.9, 0.025, 0.975])
    return Projection(
        measure=measure,
        observed=observed,
        target=target,
        data_cutoff=data_cutoff,
        period_end=period_end,
        central=float(np.median(totals)),
        low80=float(low80),
        high80=float(high80),
        low95=float(low95),
        high95=float(high95),
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
        ("low80", p.low80, "Lower end of the 80% projection interval (10th percentile of the totals)."),
        ("high80", p.high80, "Upper end of the 80% projection interval (90th percentile of the totals)."),
        ("low95", p.low95, "Lower end of the 95% projection interval (2.5th percentile of the totals)."),
        ("high95", p.high95, "Upper end of the 95% projection interval (97.5th percentile of the totals)."),
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
