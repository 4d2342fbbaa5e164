"""Do-nothing baselines from the programme areas' own series: supplied, or projected from trend.

In: the area statistics and the programme areas (summed when there are several). Out: a
BaselineEstimate of the additional people economically active, in people, with an interval that
holds both the baseline's uncertainty and the survey sampling error of the periods it is compared
with, autocorrelated because 12-month survey periods a quarter apart share most of their sample.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS, RegressionResults

from evaluation.errors import EvaluationError
from evaluation.metrics.baseline_data import (
    MIN_PRE_PERIODS,
    SURVEY_AUTOCORRELATION,
    BaselineEstimate,
    Estimand,
    area_panel,
    check_options,
    estimand_weights,
    mde_from,
    survey_covariance,
    two_sided_critical,
    uk_date,
)

ITS_METHOD = "Interrupted time series (pre-programme linear trend, Newey-West errors)"
SUPPLIED_METHOD = "Supplied do-nothing projection"
HAC_LAGS = 4  # a year of quarters: the 12-month periods of the last year overlap the current one


def _summed(series: pd.DataFrame, codes: tuple[str, ...], start: dt.date, min_pre: int) -> pd.DataFrame:
    """One row per period: counts summed over the areas, SEs combined (independent samples)."""
    panel = area_panel(series, treated=codes, starts=dict.fromkeys(codes, start), min_pre_periods=min_pre)
    grouped = panel.groupby("period", sort=True)
    out = grouped.agg(
        period_end=("period_end", "first"),
        period_start=("period_start", "first"),
        count=("count", "sum"),
        population=("population", "sum"),
        post=("post", "first"),
    )
    out["se"] = np.sqrt(grouped["se"].apply(lambda s: float(np.sum(s.to_numpy() ** 2))))
    return out.reset_index()


def _iso(ends: pd.Series) -> tuple[str, ...]:
    return tuple(pd.Timestamp(e).date().isoformat() for e in ends)


def supplied_baseline(
    series: pd.DataFrame,
    *,
    area_codes: Iterable[str],
    programme_start: dt.date,
    projection: Mapping[dt.date | str, float],
    source: str,
    version: str,
    estimand: Estimand = "latest",
    alpha: float = 0.05,
    power: float = 0.8,
    survey_autocorrelation: float = SURVEY_AUTOCORRELATION,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> BaselineEstimate:
    """The gap between an agreed do-nothing projection and the survey, with survey error only.

    ``projection`` maps the end of each survey period on or after the programme start to the
    inactive count the programme agreed would have been seen without it (summed over
    ``area_codes``). The projection is taken as given, so the interval holds only the survey's
    sampling error; ``source`` and ``version`` record where the projection came from.
    """
    check_options(estimand=estimand, alpha=alpha, power=power)
    if not source.strip() or not version.strip():
        raise EvaluationError(
            "a supplied baseline must say where it came from", expected="a non-empty source and version"
        )
    codes = tuple(area_codes)
    data = _summed(series, codes, programme_start, min_pre_periods)
    post = data[data["post"]]
    given = {pd.Timestamp(k).normalize(): float(v) for k, v in projection.items()}
    lacking = [e for e in post["period_end"] if pd.Timestamp(e) not in given]
    if lacking:
        raise EvaluationError(
            f"the supplied baseline ({source}, {version}) has no projection for the survey periods ending "
            f"{', '.join(uk_date(e) for e in lacking)}",
            key="projection",
            expected="a projected inactive count for every period ending on or after the programme start",
        )
    gaps = np.array([given[pd.Timestamp(e)] for e in post["period_end"]]) - post["count"].to_numpy()
    w = estimand_weights(estimand, len(gaps))
    cov = survey_covariance(post["se"].to_numpy(), autocorrelation=survey_autocorrelation)
    effect, se = float(w @ gaps), float(np.sqrt(w @ cov @ w))
    crit = two_sided_critical(alpha, None)
    return BaselineEstimate(
        method=SUPPLIED_METHOD,
        baseline="supplied",
        areas=codes,
        estimand=estimand,
        effect=effect,
        lower=effect - crit * se,
        upper=effect + crit * se,
        se=se,
        periods_pre=int((~data["post"]).sum()),
        periods_post=len(gaps),
        post_periods=_iso(post["period_end"]),
        gaps=tuple(float(g) for g in gaps),
        interval=f"{1 - alpha:.0%} normal interval from the survey's sampling error alone",
        alpha=alpha,
        power=power,
        mde=mde_from(se, critical=crit, power=power),
        diagnostics={"survey_se_latest": float(post["se"].iloc[-1])},
        assumptions=(
            "The agreed projection is what would have happened without the programme; its own "
            "uncertainty is not in the interval.",
            f"Survey errors of periods a quarter apart are correlated ({survey_autocorrelation}).",
        ),
        note="Projection: " + source + ", version " + version + ".",
        source=f"{source} (version {version})",
    )


def _design(data: pd.DataFrame, seasonality: str) -> np.ndarray:
    """Intercept and quarter index, plus quarter-of-year terms when periods are shorter than a year."""
    t = data["period"].to_numpy(dtype=float)
    columns = [np.ones_like(t), t]
    length = (data["period_end"] - data["period_start"]).dt.days.median()
    if seasonality == "quarter" or (seasonality == "auto" and length < 360):
        quarter = data["period_end"].dt.quarter.to_numpy()
        columns += [(quarter == q).astype(float) for q in (2, 3, 4)]
    return np.column_stack(columns)


def _projection_gaps(
    data: pd.DataFrame, *, seasonality: str, hac_lags: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, RegressionResults]:
    """Fit the trend on the pre-programme rows; the post rows' gaps and the gaps' design rows."""
    X = _design(data, seasonality)
    pre = ~data["post"].to_numpy()
    fit = OLS(data.loc[pre, "count"].to_numpy(), X[pre]).fit(
        cov_type="HAC", cov_kwds={"maxlags": hac_lags, "use_correction": True}
    )
    post = ~pre
    gaps = X[post] @ fit.params - data.loc[post, "count"].to_numpy()
    return gaps, X[pre], X[post], pre, fit


def _gap_variance(
    data: pd.DataFrame,
    fit: RegressionResults,
    X_pre: np.ndarray,
    X_post: np.ndarray,
    w: np.ndarray,
    *,
    autocorrelation: float,
) -> tuple[float, float]:
    """Variance of w'gaps: the trend's (HAC) plus the post periods' noise; and the non-survey SD.

    The noise is the survey's sampling error (from the published intervals) plus any variation
    about the trend beyond it. The residual sum of squares of a trend fitted to autocorrelated
    errors with covariance S has expectation trace(M S), M the residual-maker, which is well
    below (n - k) x the error variance when errors are as persistent as the survey's; so the
    variance beyond the survey is (RSS - trace(M S_survey)) / trace(M R), R the same AR(1)
    correlation, and zero when the survey explains it all.
    """
    pre = ~data["post"].to_numpy()
    M = np.eye(len(X_pre)) - X_pre @ np.linalg.pinv(X_pre)
    survey = survey_covariance(data.loc[pre, "se"].to_numpy(), autocorrelation=autocorrelation)
    unit = survey_covariance(np.ones(len(X_pre)), autocorrelation=autocorrelation)
    extra = max(0.0, (float(np.sum(fit.resid**2)) - np.trace(M @ survey)) / np.trace(M @ unit))
    se_post = data.loc[~pre, "se"].to_numpy()
    noise = survey_covariance(np.sqrt(se_post**2 + extra), autocorrelation=autocorrelation)
    trend = X_post @ np.asarray(fit.cov_params()) @ X_post.T
    return float(w @ (trend + noise) @ w), float(np.sqrt(extra))


def interrupted_time_series(
    series: pd.DataFrame,
    *,
    area_codes: Iterable[str],
    programme_start: dt.date,
    estimand: Estimand = "latest",
    alpha: float = 0.05,
    power: float = 0.8,
    seasonality: Literal["auto", "none", "quarter"] = "auto",
    hac_lags: int = HAC_LAGS,
    survey_autocorrelation: float = SURVEY_AUTOCORRELATION,
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> BaselineEstimate:
    """The pre-programme trend of the areas' summed inactive count, projected as the do-nothing path.

    The trend is a straight line in the quarter index fitted by OLS to the periods ending before the
    programme start, with quarter-of-year terms when survey periods are shorter than a year
    ("auto"; 12-month periods average the seasons out). Its coefficients get Newey-West (HAC)
    errors with ``hac_lags`` lags. The effect is projected minus observed count, in the latest
    post period or averaged over all of them (``estimand``). Its variance adds the projection's
    variance to the post periods' noise (survey error from the published intervals, autocorrelated
    ``survey_autocorrelation`` a quarter, plus residual variation beyond it); the interval uses
    Student's t with the trend's residual degrees of freedom.
    """
    check_options(estimand=estimand, alpha=alpha, power=power)
    codes = tuple(area_codes)
    data = _summed(series, codes, programme_start, min_pre_periods)
    gaps, X_pre, X_post, pre, fit = _projection_gaps(data, seasonality=seasonality, hac_lags=hac_lags)
    w = estimand_weights(estimand, len(gaps))
    var, extra_sd = _gap_variance(data, fit, X_pre, X_post, w, autocorrelation=survey_autocorrelation)
    effect, se = float(w @ gaps), float(np.sqrt(var))
    df = float(fit.df_resid)
    crit = two_sided_critical(alpha, df)
    diagnostics = {
        "pre_rmse": float(np.sqrt(np.mean(fit.resid**2))),
        "survey_se_pre_mean": float(np.sqrt(np.mean(data.loc[pre, "se"] ** 2))),
        "non_survey_sd": extra_sd,
        "trend_per_quarter": float(fit.params[1]),
        "trend_per_quarter_se": float(fit.bse[1]),
        "residual_autocorrelation": float(pd.Series(fit.resid).autocorr(1)),
        "df": df,
        "critical_value": crit,
    }
    diagnostics |= _placebo_in_time(data, len(gaps), estimand, seasonality, hac_lags, survey_autocorrelation)
    post = data[~pre]
    return BaselineEstimate(
        method=ITS_METHOD,
        baseline="estimated",
        areas=codes,
        estimand=estimand,
        effect=effect,
        lower=effect - crit * se,
        upper=effect + crit * se,
        se=se,
        periods_pre=int(pre.sum()),
        periods_post=len(gaps),
        post_periods=_iso(post["period_end"]),
        gaps=tuple(float(g) for g in gaps),
        interval=(
            f"{1 - alpha:.0%} t interval ({df:.0f} df): trend uncertainty (Newey-West, {hac_lags} lags) "
            "plus survey and residual error of the post periods"
        ),
        alpha=alpha,
        power=power,
        mde=mde_from(se, critical=crit, power=power),
        diagnostics=diagnostics,
        assumptions=(
            "Without the programme the areas' inactive count would have kept to its pre-programme "
            "straight-line trend.",
            "Nothing else that changed inactivity happened from the programme start (no other policy, "
            "no regional shock), and no national or economic cycle bends the line; the comparison-"
            "area methods difference such a cycle out, this one cannot.",
            f"Survey errors of periods a quarter apart are correlated ({survey_autocorrelation}), as "
            "12-month survey periods share most of their sample.",
        ),
        note=(
            f"Effect is the {'gap in the latest period' if estimand == 'latest' else 'mean gap over the post periods'} "
            f"(survey periods ending on or after {uk_date(pd.Timestamp(programme_start))}); a 12-month "
            "period that began before the programme holds only part of its effect. Positive: fewer "
            "people inactive than the projected trend."
        ),
    )


def _placebo_in_time(
    data: pd.DataFrame, horizon: int, estimand: str, seasonality: str, hac_lags: int, rho: float
) -> dict[str, float]:
    """The same projection made as if the programme had started ``horizon`` quarters earlier.

    A gap there, with no programme yet, says the straight-line trend does not describe the
    series well; the p-value is reported, or nothing when the pre-period is too short to split.
    """
    pre = data[~data["post"]].reset_index(drop=True)
    if len(pre) - horizon < MIN_PRE_PERIODS:
        return {}
    fake = pre.assign(post=np.arange(len(pre)) >= len(pre) - horizon)
    gaps, X_pre, X_post, _, fit = _projection_gaps(fake, seasonality=seasonality, hac_lags=hac_lags)
    w = estimand_weights(estimand, horizon)
    var, _ = _gap_variance(fake, fit, X_pre, X_post, w, autocorrelation=rho)
    z = float(w @ gaps) / float(np.sqrt(var))
    return {
        "placebo_in_time_gap": float(w @ gaps),
        "placebo_in_time_p": float(2 * stats.t.sf(abs(z), fit.df_resid)),
    }
