"""The do-nothing baseline's shared parts: the result type and the checked survey panel.

In: the validated area statistics frame (one row per area, survey period and reason, with the
survey's 95% interval for the count). Out: a long panel of the "All reasons" series for the areas
asked for, with each period's survey standard error, after checks that refuse a series too short,
with a gap, or a comparison area missing periods: an estimate from such a series would be silent
about what it could not see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from evaluation.errors import EvaluationError

Estimand = Literal["latest", "average"]
ESTIMANDS: tuple[str, ...] = ("latest", "average")
# The Annual Population Survey's 12-month periods a quarter apart share three quarters of their
# sample, so their sampling errors are correlated; 0.75 a quarter, decaying geometrically (AR(1)),
# is the structure the synthetic series are built with (synthetic_spec.APS_ERROR_AR).
SURVEY_AUTOCORRELATION = 0.75
MIN_PRE_PERIODS = 8
Z975 = float(stats.norm.ppf(0.975))  # the published intervals are 95%: half-width = 1.96 x SE
ALL_REASONS = "All reasons"


@dataclass(frozen=True)
class BaselineEstimate:
    """Additional people economically active against a do-nothing baseline, by one method.

    ``effect`` is the do-nothing baseline's inactive count less the observed count, so a positive
    effect means fewer people inactive than without the programme (the programmes' claims, e.g.
    "2,073 more people economically active"). ``estimand`` says whether it is the gap in the latest
    survey period ("latest") or the mean gap over all periods ending on or after the programme start
    ("average"); ``gaps`` holds the gap in each of those periods. ``lower``/``upper`` is the
    interval ``interval`` describes; ``mde`` the smallest effect the design could detect with
    probability ``power`` in a two-sided test at level ``alpha``.
    """

    method: str
    baseline: Literal["estimated", "supplied"]
    areas: tuple[str, ...]
    estimand: str
    effect: float
    lower: float
    upper: float
    se: float
    periods_pre: int
    periods_post: int
    post_periods: tuple[str, ...]
    gaps: tuple[float, ...]
    interval: str
    alpha: float
    power: float
    mde: float
    diagnostics: dict[str, float] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    note: str = ""
    source: str = ""

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval rules out no effect (the test of no effect rejects at ``alpha``)."""
        return self.lower > 0 or self.upper < 0


def uk_date(value: dt.date | pd.Timestamp) -> str:
    """A date as UK public bodies write it: 31 March 2025."""
    return f"{value.day} {value:%B %Y}"


def check_options(*, estimand: str, alpha: float, power: float) -> None:
    """Refuse an estimand outside the closed list, or a level or power outside (0, 1)."""
    if estimand not in ESTIMANDS:
        raise EvaluationError(f"unknown estimand {estimand!r}", expected=f"one of {', '.join(ESTIMANDS)}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise EvaluationError(
            f"alpha {alpha} and power {power} must each lie strictly between 0 and 1",
            expected="e.g. alpha=0.05, power=0.8",
        )


def estimand_weights(estimand: str, periods: int) -> np.ndarray:
    """Weights over the post periods: the last alone ("latest") or all equally ("average")."""
    if estimand == "latest":
        return np.eye(periods)[-1]
    return np.full(periods, 1.0 / periods)


def survey_series(series: pd.DataFrame) -> pd.DataFrame:
    """The "All reasons" rows as plain floats, one row per area and period, with survey SEs.

    Accepts the validated frame (nullable dtypes, datetimes) or the generator's own frame (ISO
    date text). The SE comes from the published 95% interval: (upper - lower) / (2 x 1.96).
    """
    need = ("area_code", "period_start", "period_end", "inactive_count", "working_age_population")
    missing = [c for c in (*need, "ci_lower", "ci_upper") if c not in series.columns]
    if missing:
        raise EvaluationError(
            f"the area statistics have no column {', '.join(missing)}",
            expected="the area_statistics table (docs/data-dictionary.md)",
        )
    rows = series[series["reason"] == ALL_REASONS] if "reason" in series.columns else series
    names = rows["area_name"] if "area_name" in rows.columns else rows["area_code"]

    def num(column: str) -> np.ndarray:
        return rows[column].to_numpy(dtype=float, na_value=np.nan)

    out = pd.DataFrame(
        {
            "area_code": rows["area_code"].astype(str).to_numpy(),
            "area_name": names.astype(str).to_numpy(),
            "period_start": pd.to_datetime(rows["period_start"]).to_numpy(dtype="datetime64[ns]"),
            "period_end": pd.to_datetime(rows["period_end"]).to_numpy(dtype="datetime64[ns]"),
            "count": num("inactive_count"),
            "population": num("working_age_population"),
            "se": (num("ci_upper") - num("ci_lower")) / (2 * Z975),
        }
    )
    twice = out[out.duplicated(["area_code", "period_end"], keep=False)]
    if len(twice):
        first = twice.iloc[0]
        raise EvaluationError(
            f"{first['area_name']} ({first['area_code']}) has more than one 'All reasons' row for the "
            f"survey period ending {uk_date(first['period_end'])}",
            column="period_end",
            expected="one row per area and survey period",
        )
    return out.sort_values(["area_code", "period_end"], kind="stable").reset_index(drop=True)


def _label(rows: pd.DataFrame, code: str) -> str:
    name = rows.loc[rows["area_code"] == code, "area_name"]
    return f"{name.iloc[0]} ({code})" if len(name) and name.iloc[0] != code else code


def _month_end(month: int) -> pd.Timestamp:
    """The last day of a month counted from year 0 (year * 12 + month - 1)."""
    return pd.Timestamp(year=month // 12, month=month % 12 + 1, day=1) + pd.offsets.MonthEnd(0)


def _quarter_gaps(ends: pd.Series) -> list[pd.Timestamp]:
    """Quarter ends missing between an area's first and last survey period."""
    months = (ends.dt.year * 12 + ends.dt.month - 1).to_numpy()
    if np.any(np.diff(months) % 3):
        raise EvaluationError(
            "survey periods are not a whole number of quarters apart "
            f"({', '.join(uk_date(e) for e in ends)})",
            column="period_end",
            expected="12-month survey periods ending each quarter",
        )
    have = set(months.tolist())
    return [_month_end(m) for m in range(int(months[0]), int(months[-1]) + 1, 3) if m not in have]


def area_panel(
    series: pd.DataFrame,
    *,
    treated: Iterable[str],
    comparison: Iterable[str] = (),
    starts: dict[str, dt.date],
    min_pre_periods: int = MIN_PRE_PERIODS,
) -> pd.DataFrame:
    """The checked panel of treated and comparison areas over the treated areas' periods.

    Columns: area_code, area_name, period_end, period (0, 1, ... a quarter apart), count,
    population, se, rate (per cent), treated, post (the period ends on or after the area's
    programme start, so its 12 months include some of the programme). Raises EvaluationError,
    naming the area and periods, when an area is absent, a series has a gap, a comparison area
    lacks a period the programme areas have, a survey interval is missing, fewer than
    ``min_pre_periods`` periods end before the programme starts, or none ends after it.
    """
    treated, comparison = tuple(treated), tuple(comparison)
    rows = survey_series(series)
    codes = treated + tuple(c for c in comparison if c not in treated)
    absent = [c for c in codes if c not in set(rows["area_code"])]
    if absent:
        raise EvaluationError(
            f"no 'All reasons' survey series for area {', '.join(absent)}",
            column="area_code",
            expected="every programme and comparison area in the area statistics",
        )
    rows = rows[rows["area_code"].isin(codes)]
    ends = {str(c): g.reset_index(drop=True) for c, g in rows.groupby("area_code")["period_end"]}
    for code in codes:
        own = ends[code]
        gaps = _quarter_gaps(own)
        if gaps:
            raise EvaluationError(
                f"{_label(rows, code)}: the series has a gap: no survey period ending "
                f"{', '.join(uk_date(g) for g in gaps)} (between {uk_date(own.min())} and "
                f"{uk_date(own.max())}). Fix: supply the missing periods, or analyse only the "
                "unbroken run of periods",
                column="period_end",
                expected="one survey period ending each quarter, without gaps",
            )
    window = pd.DatetimeIndex(sorted(set().union(*(ends[c] for c in treated))))
    for code in codes:
        have = set(ends[code])
        lacking = [p for p in window if p not in have]
        if lacking:
            role = "programme area" if code in treated else "comparison area"
            raise EvaluationError(
                f"{role} {_label(rows, code)} is missing the survey periods ending "
                f"{', '.join(uk_date(p) for p in lacking)}, which the programme areas have. Fix: "
                "supply them, or leave the area out of the comparison",
                column="period_end",
                expected=f"every period from {uk_date(window[0])} to {uk_date(window[-1])}",
            )
    panel = rows[rows["period_end"].isin(window)].copy()
    if panel[["count", "population", "se"]].isna().any().any():
        bad = panel[panel[["count", "population", "se"]].isna().any(axis=1)].iloc[0]
        raise EvaluationError(
            f"{_label(rows, bad['area_code'])}: the survey period ending {uk_date(bad['period_end'])} "
            "has no count, working-age population or 95% interval",
            column="ci_lower",
            expected="inactive_count, working_age_population, ci_lower and ci_upper on every period used",
        )
    for code in treated:
        start = pd.Timestamp(starts[code])
        own = ends[code]
        pre, post = own[own < start], own[own >= start]
        if len(pre) < min_pre_periods:
            raise EvaluationError(
                f"{_label(rows, code)}: only {len(pre)} survey periods end before the programme start "
                f"({uk_date(start)}); the series runs from {uk_date(own.min())} to {uk_date(own.max())}. "
                f"A do-nothing baseline needs at least {min_pre_periods} pre-programme periods",
                column="period_end",
                expected=f"at least {min_pre_periods} survey periods ending before {uk_date(start)}",
            )
        if not len(post):
            raise EvaluationError(
                f"{_label(rows, code)}: no survey period ends on or after the programme start "
                f"({uk_date(start)}); the latest ends {uk_date(own.max())}, so there is nothing to measure yet",
                column="period_end",
                expected=f"at least one survey period ending on or after {uk_date(start)}",
            )
    panel["period"] = np.searchsorted(window.to_numpy(), panel["period_end"].to_numpy())
    panel["rate"] = 100 * panel["count"] / panel["population"]
    panel["treated"] = panel["area_code"].isin(treated)
    start_of = panel["area_code"].map({c: pd.Timestamp(s) for c, s in starts.items()})
    panel["post"] = panel["treated"] & (panel["period_end"] >= start_of)
    return panel.reset_index(drop=True)


def survey_covariance(se: np.ndarray, *, autocorrelation: float) -> np.ndarray:
    """Covariance of survey errors a quarter apart: SE_i SE_j rho^|i - j| (AR(1) over quarters)."""
    lag = np.abs(np.subtract.outer(np.arange(len(se)), np.arange(len(se))))
    return np.outer(se, se) * autocorrelation**lag


def two_sided_critical(alpha: float, df: float | None) -> float:
    """The two-sided critical value: Student's t with ``df`` degrees of freedom, else normal."""
    if df is None:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


def mde_from(se: float, *, critical: float, power: float) -> float:
    """Smallest effect detected with probability ``power``: (critical + z_power) x SE."""
    return float((critical + stats.norm.ppf(power)) * se)


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's values, index, columns and types: equal frames, equal digests (the
    key under which an estimate made twice in a run is kept once)."""
    h = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    h.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    return h.hexdigest()
