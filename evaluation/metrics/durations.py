"""Time from referral to start and from start to job, with people still waiting treated as censored.

In: participant journeys and the data cut-off. Out: quartiles of each duration with 95% intervals
(product-limit estimator, statsmodels ``SurvfuncRight``), overall and by provider, and the
censoring-aware share with a job within 26 weeks of starting.

A participant still on programme contributes the time observed so far and is then censored: they
are not counted as a failure, and they do not shorten the duration. Leaving the programme without
the event is also treated as censoring (an assumption: it treats leavers as like those who stay).
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.duration.survfunc import SurvfuncRight

from evaluation.metrics.results import Proportion

KM_METHOD = "Kaplan-Meier product-limit estimator; quantile intervals by inverting tests (cloglog), 95%"
QUANTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class DurationSummary:
    """Quartiles of a duration in days, each with its 95% interval (None where not reached)."""

    measure: str
    group: str
    n: int
    events: int
    censored: int
    quartiles: dict[float, tuple[float | None, float | None, float | None]]
    method: str = KM_METHOD


def time_to_event(
    origin: pd.Series, event: pd.Series, exit_date: pd.Series, *, data_cutoff: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """(days, observed) from origin to event, or to leaving or the cut-off when there was no event."""
    cutoff = pd.Timestamp(data_cutoff)
    end = event.where(event.notna(), exit_date.where(exit_date.notna(), cutoff))
    end = end.where(end <= cutoff, cutoff)
    days = (end - origin).dt.days.to_numpy(dtype=float)
    observed = event.notna().to_numpy() & (event <= cutoff).to_numpy()
    return np.maximum(days, 0.0), observed.astype(int)


def _surv(days: np.ndarray, observed: np.ndarray) -> SurvfuncRight | None:
    if len(days) == 0 or observed.sum() == 0:
        return None
    return SurvfuncRight(days, observed)


def _quartiles(sf: SurvfuncRight | None) -> dict[float, tuple[float | None, float | None, float | None]]:
    out: dict[float, tuple[float | None, float | None, float | None]] = {}
    for p in QUANTILES:
        if sf is None:
            out[p] = (None, None, None)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # log(0) at the curve's ends, handled below
            est = sf.quantile(p)
            lo, hi = sf.quantile_ci(p)
        reached = 1 - float(np.min(sf.surv_prob)) >= p
        fin = lambda v: None if v is None or not np.isfinite(float(v)) else float(v)  # noqa: E731
        out[p] = (fin(est) if reached else None, fin(lo), fin(hi) if reached else None)
    return out


def duration_summary(
    days: np.ndarray, observed: np.ndarray, *, measure: str, group: str = "All"
) -> DurationSummary:
    sf = _surv(days, observed)
    return DurationSummary(
        measure=measure,
        group=group,
        n=len(days),
        events=int(observed.sum()),
        censored=int(len(days) - observed.sum()),
        quartiles=_quartiles(sf),
    )


def durations(
    participants: pd.DataFrame, *, data_cutoff: dt.date, by: str | None = None
) -> list[DurationSummary]:
    """Referral-to-start and start-to-job durations, overall or by a column such as provider."""
    f = participants
    groups = [("All", f)] if by is None else [(str(k), g) for k, g in f.groupby(by, sort=True)]
    out = []
    for name, g in groups:
        days, obs = time_to_event(
            g["referral_date"], g["start_date"], g["exit_date"], data_cutoff=data_cutoff
        )
        out.append(duration_summary(days, obs, measure="referral_to_start", group=name))
        s = g[g["start_date"].notna()]
        job = s["job_start_date"].where(s["job_evidenced"].fillna(False).astype(bool))
        days, obs = time_to_event(s["start_date"], job, s["exit_date"], data_cutoff=data_cutoff)
        out.append(duration_summary(days, obs, measure="start_to_job", group=name))
    return out


def durations_table(summaries: list[DurationSummary]) -> pd.DataFrame:
    rows = []
    for s in summaries:
        for p, (est, lo, hi) in s.quartiles.items():
            rows.append(
                {
                    "measure": s.measure,
                    "group": s.group,
                    "n": s.n,
                    "events": s.events,
                    "censored": s.censored,
                    "quantile": p,
                    "days": est,
                    "lower": lo,
                    "upper": hi,
                    "method": s.method,
                }
            )
    return pd.DataFrame(rows)


def job_within(participants: pd.DataFrame, *, days: int, data_cutoff: dt.date) -> Proportion:
    """Share of starters with an evidenced job within ``days`` of starting, by the product-limit
    estimator, so people still on programme with less follow-up are censored, not failures."""
    s = participants[participants["start_date"].notna()]
    job = s["job_start_date"].where(s["job_evidenced"].fillna(False).astype(bool))
    t, obs = time_to_event(s["start_date"], job, s["exit_date"], data_cutoff=data_cutoff)
    sf = _surv(t, obs)
    if sf is None:
        return Proportion(
            k=0, n=len(t), rate=0.0 if len(t) else None, lower=None, upper=None, method=KM_METHOD
        )
    idx = np.searchsorted(sf.surv_times, days, side="right") - 1
    if idx < 0:
        return Proportion(k=0, n=len(t), rate=0.0, lower=None, upper=None, method=KM_METHOD)
    surv = float(sf.surv_prob[idx])
    se = float(sf.surv_prob_se[idx])
    # Log-log transformed interval for S, then reflected to the event share 1 - S.
    if 0 < surv < 1 and np.isfinite(se) and se > 0:
        z = 1.959963984540054
        theta = np.log(-np.log(surv))
        half = z * se / (surv * abs(np.log(surv)))
        s_lo, s_hi = np.exp(-np.exp(theta + half)), np.exp(-np.exp(theta - half))
        lower, upper = 1 - s_hi, 1 - s_lo
    else:
        lower = upper = None
    events = int(((t <= days) & (obs == 1)).sum())
    return Proportion(k=events, n=len(t), rate=1 - surv, lower=lower, upper=upper, method=KM_METHOD)
