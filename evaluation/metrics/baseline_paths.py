"""The do-nothing baseline period by period: what the charts draw and the tables behind them.

In: the area statistics and the same arguments as the estimators. Out: tidy tables, one row per
survey period (and unit): the observed inactive count against the trend projection with the band
within which the observed count would fall with no effect; and the synthetic control's gap for
the programme area and for each comparison area run as a placebo. The estimators report one
number; these show the path behind it, fitted by the same private steps so that the latest
period of each path is the estimate itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from evaluation.metrics.baseline_data import (
    MIN_PRE_PERIODS,
    SURVEY_AUTOCORRELATION,
    area_panel,
    two_sided_critical,
)
from evaluation.metrics.baseline_its import HAC_LAGS, _design, _gap_variance, _projection_gaps, _summed
from evaluation.metrics.baseline_sc import TREATED, _fit_gaps, _wide, placebo_gaps


def trend_path(
    series: pd.DataFrame,
    *,
    area_codes: Iterable[str],
    programme_start: dt.date,
    alpha: float = 0.05,
    seasonality: Literal["auto", "none", "quarter"] = "auto",
    hac_lags: int = HAC_LAGS,
    survey_autocorrelation: float = SURVEY_AUTOCORRELATION,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> pd.DataFrame:
    """Observed inactive count and the trend's do-nothing path, period by period.

    Columns: period_end, observed, baseline (the fitted trend before the start, its projection
    after), lower and upper (after the start only: the baseline plus or minus the interval of that
    period's gap, so an observed count below ``lower`` is an effect the interrupted time series
    would call significant at ``alpha``), post.
    """
    data = _summed(series, tuple(area_codes), programme_start, min_pre_periods)
    gaps, X_pre, X_post, _, fit = _projection_gaps(data, seasonality=seasonality, hac_lags=hac_lags)
    baseline = _design(data, seasonality) @ fit.params
    crit = two_sided_critical(alpha, float(fit.df_resid))
    half = np.full(len(data), np.nan)
    post_rows = np.flatnonzero(data["post"].to_numpy())
    for k, row in enumerate(post_rows):
        w = np.zeros(len(gaps))
        w[k] = 1.0
        var, _ = _gap_variance(data, fit, X_pre, X_post, w, autocorrelation=survey_autocorrelation)
        half[row] = crit * np.sqrt(var)
    return pd.DataFrame(
        {
            "period_end": data["period_end"].dt.date,
            "observed": data["count"].astype(float),
            "baseline": baseline,
            "lower": baseline - half,
            "upper": baseline + half,
            "post": data["post"].astype(bool),
        }
    )


def synthetic_control_gaps(
    series: pd.DataFrame,
    *,
    treated_codes: Iterable[str],
    donor_codes: Iterable[str],
    programme_start: dt.date,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gap (synthetic less actual inactivity rate, points) of the programme unit and each placebo.

    Returns the gaps, long (period_end, unit, area_name, role: "programme" or "placebo",
    gap_points, post), and the donor weights of the programme unit's synthetic control
    (area_code, area_name, weight). Each placebo is a comparison area fitted from the other
    comparison areas only, as in the placebo-in-space test.
    """
    treated, donors = tuple(treated_codes), list(donor_codes)
    panel = area_panel(
        series,
        treated=treated,
        comparison=donors,
        starts=dict.fromkeys(treated, programme_start),
        min_pre_periods=min_pre_periods,
    )
    rates, _ = _wide(panel, treated)
    by_period = panel[panel["treated"]].groupby("period")
    post = by_period["post"].first().to_numpy()
    ends = [pd.Timestamp(e).date() for e in by_period["period_end"].first()]
    names = panel.drop_duplicates("area_code").set_index("area_code")["area_name"].astype(str)
    gaps, weights = _fit_gaps(rates, TREATED, donors, ~post)
    rows = [("programme", TREATED, ", ".join(names[c] for c in treated), gaps)]
    rows += [("placebo", d, names[d], g) for d, g in placebo_gaps(rates, donors, ~post).items()]
    long = pd.DataFrame(
        [
            {
                "period_end": e,
                "unit": unit,
                "area_name": name,
                "role": role,
                "gap_points": float(g),
                "post": p,
            }
            for role, unit, name, values in rows
            for e, g, p in zip(ends, values, post, strict=True)
        ]
    )
    table = pd.DataFrame({"area_code": donors, "area_name": [names[d] for d in donors], "weight": weights})
    return long, table.sort_values(["weight", "area_code"], ascending=[False, True]).reset_index(drop=True)
