"""Difference-in-differences against comparison areas: two-way fixed effects and an event study.

In: the area statistics, the programme areas (each with its start date) and the comparison
areas. Out: a BaselineEstimate of the additional people economically active, from the inactivity
rate (per cent of the working-age population) in area and period fixed-effects regressions with
errors clustered by area (pyfixest), and an EventStudy of leads and lags with the pre-trend tests.

Every cohort (programme start) and post period gets its own treatment term, so the estimate in
each period is measured against the whole pre-programme history: the imputation estimand of
Borusyak, Jaravel and Spiess. With one start date that is two-way fixed effects; with staggered
starts (South Yorkshire April 2025, the North East July 2025) the cohort-by-period regression is
Wooldridge's extended two-way fixed effects, which stays valid when effects differ by cohort and
over time (as one pooled treatment term does not) and equals Gardner's two-stage estimator,
which ``pyfixest.did2s`` recomputes as a check. Area and period effects enter as dummies so
that pyfixest's leave-one-area-out jackknife (CRV3) can be used; the absorbed-effects fit gives
the same coefficients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyfixest as pf
from scipy import stats

from evaluation.errors import EvaluationError
from evaluation.metrics.baseline_data import (
    MIN_PRE_PERIODS,
    BaselineEstimate,
    Estimand,
    area_panel,
    check_options,
    estimand_weights,
    frame_digest,
    mde_from,
    two_sided_critical,
    uk_date,
)

TWFE_METHOD = "Difference-in-differences (two-way fixed effects, pyfixest.feols)"
DID2S_METHOD = (
    "Difference-in-differences (staggered starts: cohort-by-period two-way fixed effects, as pyfixest.did2s)"
)
EVENT_LEADS = 8  # leads -2 to -7 on their own, -8 and earlier binned; -1 is the reference


@dataclass(frozen=True)
class EventStudy:
    """Leads and lags of the programme areas against the comparison areas, relative to the last
    pre-programme period (rel_time -1).

    ``table`` has one row per term: term, rel_time (leads negative; the earliest lead bins all
    earlier periods), estimate and se (rate points), lower, upper. ``joint_p`` tests all leads
    together (Wald, F with clusters - 1 denominator df); ``slope_p`` tests a linear trend in the
    programme areas' pre-programme rate relative to the comparison areas (points per quarter).
    """

    table: pd.DataFrame
    joint_f: float
    joint_p: float
    leads_tested: int
    slope: float
    slope_se: float
    slope_p: float
    clusters: int
    method: str


def _starts(treated: tuple[str, ...], programme_start: dt.date | Mapping[str, dt.date]) -> dict[str, dt.date]:
    if isinstance(programme_start, Mapping):
        lacking = [c for c in treated if c not in programme_start]
        if lacking:
            raise EvaluationError(
                f"no programme start given for {', '.join(lacking)}",
                key="programme_start",
                expected="a start date for every programme area",
            )
        return {c: programme_start[c] for c in treated}
    return dict.fromkeys(treated, programme_start)


def _did_panel(
    series: pd.DataFrame,
    treated: tuple[str, ...],
    comparison: tuple[str, ...],
    starts: dict[str, dt.date],
    min_pre: int,
) -> tuple[pd.DataFrame, list[str], list[int]]:
    """The panel with one treatment column per cohort (start date) and post period.

    Returns the panel, the treatment terms (``d_<cohort>_<period>``) and the post periods.
    """
    overlap = sorted(set(treated) & set(comparison))
    if overlap:
        raise EvaluationError(
            f"area {', '.join(overlap)} is both a programme area and a comparison area",
            expected="comparison areas the programmes did not reach",
        )
    if not comparison:
        raise EvaluationError("difference-in-differences needs comparison areas", expected="one or more")
    if len(treated) < 2:
        raise EvaluationError(
            f"difference-in-differences with errors clustered by area needs at least two programme areas; "
            f"got {', '.join(treated)}. With one area the clustered errors cannot be estimated: use "
            "synthetic_control or interrupted_time_series for it",
            expected="two or more programme areas",
        )
    panel = area_panel(series, treated=treated, comparison=comparison, starts=starts, min_pre_periods=min_pre)
    cohorts = {d: i for i, d in enumerate(sorted(set(starts.values())))}
    panel["cohort"] = (
        panel["area_code"].map({c: cohorts[d] for c, d in starts.items()}).fillna(-1).astype(int)
    )
    terms = []
    for (cohort, period), _ in panel[panel["post"]].groupby(["cohort", "period"]):
        name = f"d_{cohort}_{period}"
        panel[name] = (panel["post"] & (panel["cohort"] == cohort) & (panel["period"] == period)).astype(
            float
        )
        terms.append(name)
    return panel, terms, sorted(panel.loc[panel["post"], "period"].unique().tolist())


def _fit(panel: pd.DataFrame, terms: list[str], vcov: str) -> tuple[pd.Series, pd.DataFrame]:
    """Two-way fixed effects with the area and period effects as dummies, so pyfixest's fast
    leave-one-area-out jackknife (CRV3) applies; returns the terms' coefficients and covariance."""
    fit = pf.feols(
        f"rate ~ {' + '.join(terms)} + C(area_code) + C(period)", data=panel, vcov={vcov: "area_code"}
    )
    names = fit.coef().index
    V = pd.DataFrame(fit._vcov, index=names, columns=names)
    return fit.coef()[terms], V.loc[terms, terms]


def difference_in_differences(
    series: pd.DataFrame,
    *,
    treated_codes: Iterable[str],
    comparison_codes: Iterable[str],
    programme_start: dt.date | Mapping[str, dt.date],
    estimand: Estimand = "latest",
    alpha: float = 0.05,
    power: float = 0.8,
    vcov: Literal["CRV3", "CRV1"] = "CRV3",
    leads: int = EVENT_LEADS,
    pretrend: bool = True,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> BaselineEstimate:
    """Additional people active in the programme areas, against the comparison areas' change.

    The inactivity rate is regressed on area and period fixed effects and one term per cohort
    (programme start) and post period, errors clustered by area: by default the leave-one-area-out
    jackknife (CRV3), which holds its size with few clusters better than CRV1 (MacKinnon, Nielsen
    and Webb, 2023). Each term is a rise in the rate in points; its negative times the cohort's
    working-age population is people kept active. The effect is the latest period's total or the
    mean over post periods (``estimand``); the interval uses Student's t with clusters - 1
    degrees of freedom. With staggered starts the saturated regression is Wooldridge's extended
    two-way fixed effects, numerically Gardner's two-stage estimator, which ``pyfixest.did2s``
    recomputes as a check. ``pretrend=False`` skips the event study's pre-trend tests.
    """
    check_options(estimand=estimand, alpha=alpha, power=power)
    if vcov not in ("CRV3", "CRV1"):
        raise EvaluationError(f"unknown vcov {vcov!r}", expected="CRV3 or CRV1")
    treated, comparison = tuple(treated_codes), tuple(comparison_codes)
    starts = _starts(treated, programme_start)
    panel, terms, post_periods = _did_panel(series, treated, comparison, starts, min_pre_periods)
    coef, V = _fit(panel, terms, vcov)
    post = panel[panel["post"]]
    cell_people = post.groupby(["cohort", "period"])["population"].sum() / 100
    period_people = post.groupby("period")["population"].sum().loc[post_periods] / 100
    by_period = estimand_weights(estimand, len(post_periods))
    weight_of = dict(zip(post_periods, by_period, strict=True))
    # Each term is a rise in the rate; the effect is the fall, in people kept active.
    w = np.array([-weight_of[p] * cell_people.loc[(c, p)] for c, p in (_cell(t) for t in terms)])
    effect, se = float(w @ coef.to_numpy()), float(np.sqrt(w @ V.to_numpy() @ w))
    per_period = [
        -sum(coef[t] * cell_people.loc[_cell(t)] for t in terms if _cell(t)[1] == p) for p in post_periods
    ]
    clusters = int(panel["area_code"].nunique())
    crit = two_sided_critical(alpha, clusters - 1)
    scale = float(by_period @ period_people.to_numpy())
    diagnostics = {
        "effect_rate_points": effect / scale,
        "effect_rate_points_se": se / scale,
        "clusters": float(clusters),
        "df": float(clusters - 1),
        "critical_value": crit,
    }
    staggered = len(set(starts.values())) > 1
    if staggered:
        check = _did2s(panel, terms)
        diagnostics["did2s_effect"] = float(w @ check[0].to_numpy())
        diagnostics["did2s_se"] = float(np.sqrt(w @ check[1].to_numpy() @ w))
    if pretrend:
        es = _event_study(panel, starts, leads=leads, alpha=alpha, vcov=vcov)
        diagnostics |= {
            "pretrend_joint_p": es.joint_p,
            "pretrend_joint_f": es.joint_f,
            "pretrend_slope_points_per_quarter": es.slope,
            "pretrend_slope_p": es.slope_p,
        }
    ends = post.groupby("period")["period_end"].first().loc[post_periods]
    first_start = min(starts.values())
    return BaselineEstimate(
        method=DID2S_METHOD if staggered else TWFE_METHOD,
        baseline="estimated",
        areas=treated,
        estimand=estimand,
        effect=effect,
        lower=effect - crit * se,
        upper=effect + crit * se,
        se=se,
        periods_pre=int(panel.loc[panel["treated"] & ~panel["post"], "period"].nunique()),
        periods_post=len(post_periods),
        post_periods=tuple(pd.Timestamp(e).date().isoformat() for e in ends),
        gaps=tuple(float(g) for g in per_period),
        interval=(
            f"{1 - alpha:.0%} t interval ({clusters - 1} df), errors clustered by area ({vcov}; "
            f"{clusters} areas: {len(treated)} programme, {len(comparison)} comparison)"
        ),
        alpha=alpha,
        power=power,
        mde=mde_from(se, critical=crit, power=power),
        diagnostics=diagnostics,
        assumptions=(
            "Parallel trends: without the programme, the programme areas' inactivity rate would have "
            "moved as the comparison areas' did (a fixed gap between them).",
            "The programme did not change inactivity in the comparison areas, and nothing else "
            "started in the programme areas at the same time.",
            "The rate effect is the same number of points across a cohort's areas; people = points "
            "x their working-age population.",
            f"Errors are independent between areas (no shock shared by the programme areas alone); "
            f"with {clusters} areas, clustered errors are approximate.",
        ),
        note=(
            f"Effect is the {'gap in the latest period' if estimand == 'latest' else 'mean gap over the post periods'} "
            f"(survey periods ending on or after the programme start, first {uk_date(pd.Timestamp(first_start))}), "
            "each post period measured against all pre-programme periods. Positive: fewer people "
            "inactive than the comparison areas' change implies."
        ),
    )


def _cell(term: str) -> tuple[int, int]:
    _, cohort, period = term.split("_")
    return int(cohort), int(period)


def _did2s(panel: pd.DataFrame, terms: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """Gardner's two-stage estimate of the same terms (pyfixest.did2s, its GMM clustered errors)."""
    data = panel.assign(treat_post=panel["post"])
    fit = pf.did2s(
        data,
        yname="rate",
        first_stage="~ 0 | area_code + period",
        second_stage="~ " + " + ".join(terms),
        treatment="treat_post",
        cluster="area_code",
    )
    names = fit.coef().index
    return fit.coef()[terms], pd.DataFrame(fit._vcov, index=names, columns=names).loc[terms, terms]


def _lead_lag_terms(panel: pd.DataFrame, starts: dict[str, dt.date], leads: int) -> list[str]:
    """Add event-time dummies: i(rel_time, ref=-1) written out, comparison areas at the reference."""
    first_post = {
        c: int(panel.loc[(panel["area_code"] == c) & panel["post"], "period"].min()) for c in starts
    }
    rel = panel["period"] - panel["area_code"].map(first_post)
    rel = rel.where(panel["treated"], -1).clip(lower=-leads).astype(int)
    terms = []
    for r in sorted(set(rel) - {-1}):
        name = f"lead_{-r}" if r < 0 else f"lag_{r}"
        panel[name] = (rel == r).astype(float)
        terms.append(name)
    return terms


_STUDIES: dict[tuple, EventStudy] = {}  # the last event studies made, by their inputs' values


def _event_study(
    panel: pd.DataFrame, starts: dict[str, dt.date], *, leads: int, alpha: float, vcov: str
) -> EventStudy:
    """The event study of a panel, made once per run: difference-in-differences tests its
    pre-trends with it and the analysis tabulates it (each fit's clustered errors take a second)."""
    key = (frame_digest(panel), tuple(sorted(starts.items())), leads, alpha, vcov)
    if key not in _STUDIES:
        if len(_STUDIES) >= 8:
            _STUDIES.clear()
        _STUDIES[key] = _estimate_event_study(panel, starts, leads=leads, alpha=alpha, vcov=vcov)
    return _STUDIES[key]


def _estimate_event_study(
    panel: pd.DataFrame, starts: dict[str, dt.date], *, leads: int, alpha: float, vcov: str
) -> EventStudy:
    panel = panel.copy()
    terms = _lead_lag_terms(panel, starts, leads)
    coef, V = _fit(panel, terms, vcov)
    se = np.sqrt(np.diag(V.to_numpy()))
    clusters = int(panel["area_code"].nunique())
    crit = two_sided_critical(alpha, clusters - 1)
    table = pd.DataFrame(
        {
            "term": terms,
            "rel_time": [-int(t[5:]) if t.startswith("lead") else int(t[4:]) for t in terms],
            "estimate": coef.to_numpy(),
            "se": se,
        }
    )
    table["lower"] = table["estimate"] - crit * table["se"]
    table["upper"] = table["estimate"] + crit * table["se"]
    lead_terms = [t for t in terms if t.startswith("lead")]
    b = coef[lead_terms].to_numpy()
    wald = float(b @ np.linalg.pinv(V.loc[lead_terms, lead_terms].to_numpy()) @ b)
    joint_f = wald / len(lead_terms)
    pre = panel[~panel["post"]].copy()
    pre["trend_gap"] = pre["period"] * pre["treated"]
    slope, slope_V = _fit(pre, ["trend_gap"], vcov)
    slope_se = float(np.sqrt(slope_V.iloc[0, 0]))
    return EventStudy(
        table=table.sort_values("rel_time").reset_index(drop=True),
        joint_f=joint_f,
        joint_p=float(stats.f.sf(joint_f, len(lead_terms), clusters - 1)),
        leads_tested=len(lead_terms),
        slope=float(slope.iloc[0]),
        slope_se=slope_se,
        slope_p=float(2 * stats.t.sf(abs(slope.iloc[0]) / slope_se, clusters - 1)),
        clusters=clusters,
        method=f"Event study, two-way fixed effects (pyfixest.feols), errors clustered by area ({vcov})",
    )


def event_study(
    series: pd.DataFrame,
    *,
    treated_codes: Iterable[str],
    comparison_codes: Iterable[str],
    programme_start: dt.date | Mapping[str, dt.date],
    alpha: float = 0.05,
    vcov: Literal["CRV3", "CRV1"] = "CRV3",
    leads: int = EVENT_LEADS,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> EventStudy:
    """Leads and lags relative to the last pre-programme period, and two pre-trend tests.

    The leads (``-leads`` binning all earlier periods) test parallel trends jointly; the slope
    test fits, on pre-programme periods only, a linear trend in the programme areas' rate relative
    to the comparison areas. Both use errors clustered by area. With staggered starts the leads
    and lags are pooled across cohorts, which is fine for the pre-trend tests but not for effects.
    """
    treated, comparison = tuple(treated_codes), tuple(comparison_codes)
    starts = _starts(treated, programme_start)
    panel, _, _ = _did_panel(series, treated, comparison, starts, min_pre_periods)
    return _event_study(panel, starts, leads=leads, alpha=alpha, vcov=vcov)
