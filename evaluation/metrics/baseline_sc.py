"""Synthetic control: the do-nothing path as a weighted blend of comparison areas (pysyncon).

In: the area statistics, the programme area (or areas, pooled into one unit) and the donor
(comparison) areas. Out: a BaselineEstimate of the additional people economically active, with
the gap over time, the pre-programme fit (RMSPE), an in-time (back-dated placebo) interval and
the placebo-in-space test.

The outcome is each unit's inactivity rate less its own pre-programme mean (the "demeaned"
synthetic control of Ferman and Pinto, 2021), so donors need to match the programme area's
movements, not its level. Weights are fitted by ``pysyncon.Synth`` on the pre-programme path
with equal importance for every period.

Inference, two ways:
- in time (the interval and its test): the synthetic control is back-dated, as if the programme
  had started at each earlier quarter from the thirteenth on (Abadie, 2021, on backdating); each
  back-dated run is fitted on the periods before its pretend start and its gap read off as many
  quarters later as the real estimate's. Under no effect the real gap is one more such
  out-of-sample gap, so its standard error is their root mean square and the interval is the gap
  plus or minus Student's t times it. Neighbouring back-dated runs share most of their data, so
  their gaps are autocorrelated (about 0.55 a quarter in the project's simulation) and the t has
  the effective degrees of freedom of a variance estimated from an AR(1) series,
  n (1 - r^2) / (1 + r^2). In-sample pre-period gaps would understate how far a synthetic control
  strays out of sample (1.7 times in that simulation), and a rank (conformal) test over the
  correlated back-dated gaps rejects too often (10% at a nominal 5% there);
- in space (diagnostics): each donor in turn is treated as if it had the programme and its
  post/pre RMSPE ratio is ranked with the programme area's (Abadie, Diamond and Hainmueller,
  2010). With J donors the p-value cannot fall below 1/(J + 1): with 8 comparison areas, 0.11,
  so this test alone can never reject no-effect at 5%.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from pysyncon import Synth
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

SC_METHOD = "Synthetic control (demeaned, pysyncon.Synth; back-dated placebo interval)"
TREATED = "programme"
BACKTEST_FIRST = 12  # back-dated starts from the 13th period: three years to fit the first on


def _wide(panel: pd.DataFrame, treated: tuple[str, ...]) -> tuple[pd.DataFrame, pd.Series]:
    """Rate (per cent) by period, one column per donor plus the pooled programme unit; its population."""
    donors = panel[~panel["treated"]].pivot(index="period", columns="area_code", values="rate")
    pooled = panel[panel["treated"]].groupby("period")[["count", "population"]].sum()
    donors.insert(0, TREATED, 100 * pooled["count"] / pooled["population"])
    return donors, pooled["population"]


def _fit_gaps(
    rates: pd.DataFrame, unit: str, donors: list[str], fit: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic minus actual rate for ``unit`` over all periods, fitted on the ``fit`` rows.

    Each unit is demeaned over the fit rows; ``pysyncon.Synth`` picks the donor weights (non-
    negative, summing to one) that best match the fit rows, every period weighted equally.
    """
    Z = rates - rates[fit].mean()
    Z0, Z1 = Z[donors], Z[unit]
    synth = Synth()
    synth.fit(X0=Z0[fit], X1=Z1[fit], Z0=Z0[fit], Z1=Z1[fit], custom_V=np.ones(int(fit.sum())))
    weights = np.asarray(synth.W, dtype=float)
    return Z0.to_numpy() @ weights - Z1.to_numpy(), weights


def _backdated(
    rates: pd.DataFrame, donors: list[str], pre_periods: int, offsets: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Out-of-sample gaps of back-dated runs: pretend starts s = BACKTEST_FIRST, ..., each fitted on
    the periods before s and read at s + offsets (weighted by w), all within the pre-period."""
    out = []
    for s in range(BACKTEST_FIRST, pre_periods - int(offsets.max())):
        gaps, _ = _fit_gaps(rates, TREATED, donors, np.arange(len(rates)) < s)
        out.append(float(w @ gaps[s + offsets]))
    return np.array(out)


def _effective_df(reference: np.ndarray) -> float:
    """Degrees of freedom of a variance estimated from an AR(1) series: n (1 - r^2) / (1 + r^2)."""
    n = len(reference)
    r = float(np.clip(pd.Series(reference).autocorr(1), 0.0, 0.99)) if n > 2 else 0.0
    return max(1.0, n * (1 - r**2) / (1 + r**2))


def synthetic_control(
    series: pd.DataFrame,
    *,
    treated_code: str | Iterable[str],
    donor_codes: Iterable[str],
    programme_start: dt.date,
    estimand: Estimand = "latest",
    alpha: float = 0.05,
    power: float = 0.8,
    placebos: bool = True,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> BaselineEstimate:
    """The programme area against its synthetic control, in people, with both kinds of inference.

    ``treated_code`` may name several areas (a combined authority's councils), pooled into one
    unit whose rate is their summed count over their summed population. The effect is the
    synthetic rate less the actual, in points, times the unit's working-age population: in the
    latest post period or averaged over them (``estimand``). ``placebos=False`` skips the
    placebo-in-space refits (one per donor).
    """
    check_options(estimand=estimand, alpha=alpha, power=power)
    treated = (treated_code,) if isinstance(treated_code, str) else tuple(treated_code)
    donors = tuple(donor_codes)
    if len(donors) < 2:
        raise EvaluationError("a synthetic control needs at least two donor areas", expected="two or more")
    panel = area_panel(
        series,
        treated=treated,
        comparison=donors,
        starts=dict.fromkeys(treated, programme_start),
        min_pre_periods=min_pre_periods,
    )
    rates, population = _wide(panel, treated)
    post_mask = panel[panel["treated"]].groupby("period")["post"].first().to_numpy()
    pre = ~post_mask
    gaps, weights = _fit_gaps(rates, TREATED, list(donors), pre)
    pre_gaps, post_gaps = gaps[pre], gaps[post_mask]
    horizon = len(post_gaps)
    people = population.to_numpy()[post_mask] / 100
    w = estimand_weights(estimand, horizon)
    statistic = float(w @ post_gaps)
    reference = _backdated(rates, list(donors), int(pre.sum()), np.arange(horizon), w)
    scale = float(w @ people)
    if len(reference) >= 2:
        se_rate, df = float(np.sqrt(np.mean(reference**2))), _effective_df(reference)
        crit = two_sided_critical(alpha, df)
        p_time = float(2 * stats.t.sf(abs(statistic) / se_rate, df))
    else:
        se_rate, df, crit, p_time = math.inf, 0.0, math.inf, 1.0
    effect = float(w @ (post_gaps * people))
    rmspe = float(np.sqrt(np.mean(pre_gaps**2)))
    diagnostics = {
        "pre_rmspe_points": rmspe,
        "pre_rmspe_people": rmspe * float(np.mean(population.to_numpy()[pre])) / 100,
        "effect_rate_points": statistic,
        "in_time_p": p_time,
        "in_time_references": float(len(reference)),
        "in_time_rms_points": se_rate,
        "df": df,
        "critical_value": crit,
        **{f"weight_{code}": float(v) for code, v in zip(donors, weights, strict=True)},
    }
    if placebos:
        diagnostics |= _placebo_in_space(rates, list(donors), pre, gaps)
    ends = panel[panel["treated"]].groupby("period")["period_end"].first().to_numpy()[post_mask]
    return BaselineEstimate(
        method=SC_METHOD,
        baseline="estimated",
        areas=treated,
        estimand=estimand,
        effect=effect,
        lower=effect - crit * se_rate * scale,
        upper=effect + crit * se_rate * scale,
        se=se_rate * scale,
        periods_pre=int(pre.sum()),
        periods_post=horizon,
        post_periods=tuple(pd.Timestamp(e).date().isoformat() for e in ends),
        gaps=tuple(float(g) for g in post_gaps * people),
        interval=(
            f"{1 - alpha:.0%} t interval ({df:.1f} effective df) from {len(reference)} back-dated "
            "out-of-sample gaps (placebo in time); se is their root mean square"
            + ("" if len(reference) >= 2 else ": too few pre-programme periods to back-date, unbounded")
        ),
        alpha=alpha,
        power=power,
        mde=mde_from(se_rate * scale, critical=crit, power=power),
        diagnostics=diagnostics,
        assumptions=(
            "Without the programme the area's rate, less its pre-programme mean, would have followed "
            "the weighted blend of comparison areas that matched it before the programme.",
            "The comparison areas were not affected by the programme or by a shock of their own "
            "after it started.",
            "Back-dated runs show how far the blend strays out of sample with no programme; the "
            "real gap under no effect is one more such draw.",
        ),
        note=(
            f"Effect is the {'gap in the latest period' if estimand == 'latest' else 'mean gap over the post periods'} "
            f"(survey periods ending on or after {uk_date(pd.Timestamp(programme_start))}), synthetic rate "
            "less actual, times the working-age population. Positive: fewer people inactive than "
            "the synthetic control."
        ),
    )


_PLACEBOS: dict[tuple, dict[str, np.ndarray]] = {}  # the last placebo runs, by their inputs' values


def placebo_gaps(rates: pd.DataFrame, donors: list[str], pre: np.ndarray) -> dict[str, np.ndarray]:
    """Each donor's gap over all periods, as if it had the programme, fitted from the other donors
    only (never from the programme areas): the placebo-in-space runs, made once per run for both
    the placebo test and the chart of the gaps."""
    key = (frame_digest(rates), tuple(donors), np.asarray(pre, dtype=bool).tobytes())
    if key not in _PLACEBOS:
        if len(_PLACEBOS) >= 8:
            _PLACEBOS.clear()
        _PLACEBOS[key] = {d: _fit_gaps(rates, d, [o for o in donors if o != d], pre)[0] for d in donors}
    return _PLACEBOS[key]


def _placebo_in_space(
    rates: pd.DataFrame, donors: list[str], pre: np.ndarray, gaps: np.ndarray
) -> dict[str, float]:
    """Rank of the programme unit's post/pre RMSPE ratio among the donors' own placebo runs.

    Each donor is fitted from the other donors only (never from the programme areas). Runs
    sequentially with ``pysyncon.Synth``: its ``PlaceboTest`` starts a process per core and prints.
    """

    def ratio(g: np.ndarray) -> float:
        return float(np.sqrt(np.mean(g[~pre] ** 2)) / np.sqrt(np.mean(g[pre] ** 2)))

    treated_ratio = ratio(gaps)
    ratios = [ratio(g) for g in placebo_gaps(rates, donors, pre).values()]
    exceed = sum(r >= treated_ratio for r in ratios)
    return {
        "placebo_p": (1 + exceed) / (len(donors) + 1),
        "placebo_rank": float(1 + exceed),
        "placebo_units": float(len(donors)),
        "placebo_min_p": 1 / (len(donors) + 1),
        "rmspe_ratio": treated_ratio,
    }
