"""Area-level impact: the do-nothing baseline, measured three ways, with the smallest detectable effect.

In: the validated area statistics (12-month survey periods ending each quarter, with the survey's
95% interval). Out: BaselineEstimate results, one per method, of the additional people
economically active against a do-nothing baseline (a fall in inactivity; positive is good); the
smallest effect each design could detect; a plain statement of whether a target (the North
East's 2,073, South Yorkshire's 950) is within reach of the data; and a table and reading that
set the methods side by side.

The methods live in their own modules and are re-exported here:
- ``supplied_baseline``: a projection the programme agreed, recorded with its source and version;
- ``interrupted_time_series``: the programme areas' own pre-programme trend (baseline_its);
- ``difference_in_differences`` and ``event_study``: against comparison areas (baseline_did);
- ``synthetic_control``: a weighted blend of comparison areas (baseline_sc).

Every method reports the gap in the latest survey period by default (``estimand="latest"``: what
"N more people than do-nothing" means at the time of the latest data) or the mean gap over all
periods ending on or after the programme start (``"average"``). How often each rejects no-effect
when there is none, and whether its stated MDE is the effect it detects 80% of the time, is
measured by ``benchmarks/baseline_simulation.py`` on the project's own series generator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from evaluation.errors import EvaluationError
from evaluation.metrics.baseline_data import (
    MIN_PRE_PERIODS,
    SURVEY_AUTOCORRELATION,
    BaselineEstimate,
    Estimand,
)
from evaluation.metrics.baseline_did import EventStudy, difference_in_differences, event_study
from evaluation.metrics.baseline_its import interrupted_time_series, supplied_baseline
from evaluation.metrics.baseline_sc import synthetic_control

__all__ = [
    "MIN_PRE_PERIODS",
    "SURVEY_AUTOCORRELATION",
    "BaselineEstimate",
    "DetectableEffect",
    "Estimand",
    "EventStudy",
    "detectability",
    "difference_in_differences",
    "event_study",
    "interrupted_time_series",
    "minimum_detectable_effect",
    "supplied_baseline",
    "synthetic_control",
    "triangulate",
    "triangulation_reading",
]

Design = Literal["interrupted_time_series", "difference_in_differences", "synthetic_control"]
DESIGNS: tuple[str, ...] = ("interrupted_time_series", "difference_in_differences", "synthetic_control")


@dataclass(frozen=True)
class DetectableEffect:
    """The smallest effect, in people, a design could detect on the series at hand.

    ``mde`` = (critical value + z_power) x ``se``: the effect a two-sided test at ``alpha`` would
    detect with probability ``power``, given the survey error and the residual variation the
    design leaves. ``method`` names the estimator; ``note`` says which periods it refers to.
    """

    design: str
    method: str
    areas: tuple[str, ...]
    estimand: str
    mde: float
    se: float
    alpha: float
    power: float
    note: str


def minimum_detectable_effect(
    series: pd.DataFrame,
    *,
    design: Design,
    treated_codes: Iterable[str],
    programme_start: dt.date | Mapping[str, dt.date],
    comparison_codes: Iterable[str] = (),
    estimand: Estimand = "latest",
    alpha: float = 0.05,
    power: float = 0.8,
) -> DetectableEffect:
    """Run ``design`` on the series and report the smallest effect it could detect.

    The MDE depends on the survey error and the residual variation, not on the estimate, so it
    says what the data can tell before anyone reads the estimate.
    """
    treated = tuple(treated_codes)
    if design == "interrupted_time_series":
        estimate = interrupted_time_series(
            series,
            area_codes=treated,
            programme_start=_one_start(programme_start),
            estimand=estimand,
            alpha=alpha,
            power=power,
        )
    elif design == "difference_in_differences":
        estimate = difference_in_differences(
            series,
            treated_codes=treated,
            comparison_codes=tuple(comparison_codes),
            programme_start=programme_start,
            estimand=estimand,
            alpha=alpha,
            power=power,
            pretrend=False,
        )
    elif design == "synthetic_control":
        estimate = synthetic_control(
            series,
            treated_code=treated,
            donor_codes=tuple(comparison_codes),
            programme_start=_one_start(programme_start),
            estimand=estimand,
            alpha=alpha,
            power=power,
            placebos=False,
        )
    else:
        raise EvaluationError(f"unknown design {design!r}", expected=f"one of {', '.join(DESIGNS)}")
    return DetectableEffect(
        design=design,
        method=estimate.method,
        areas=estimate.areas,
        estimand=estimate.estimand,
        mde=estimate.mde,
        se=estimate.se,
        alpha=alpha,
        power=power,
        note=(
            f"For the {'latest survey period' if estimand == 'latest' else 'mean over the post periods'} "
            f"({estimate.post_periods[-1] if estimand == 'latest' else ', '.join(estimate.post_periods)})."
        ),
    )


def _one_start(programme_start: dt.date | Mapping[str, dt.date]) -> dt.date:
    if isinstance(programme_start, Mapping):
        starts = set(programme_start.values())
        if len(starts) != 1:
            raise EvaluationError(
                "this design takes one programme start; the areas given start on different dates",
                key="programme_start",
                expected="one date, or difference_in_differences for staggered starts",
            )
        return starts.pop()
    return programme_start


def _about(value: float) -> str:
    """A number rounded to two significant figures for prose: 24,791 -> 25,000."""
    if not math.isfinite(value):
        return "any size"
    if value == 0:
        return "0"
    digits = 1 - math.floor(math.log10(abs(value)))
    return f"{round(value, min(digits, 0)):,.0f}"


def detectability(
    target: float,
    mde: float | DetectableEffect | BaselineEstimate,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> str:
    """Whether a target effect (people) is within what the data could detect, in plain words.

    ``mde`` may be a number (then ``alpha`` and ``power`` say what it was computed for) or a
    result that carries its own.
    """
    if not isinstance(mde, float | int):
        alpha, power, mde = mde.alpha, mde.power, mde.mde
    if not math.isfinite(mde):
        return (
            f"The data cannot bound the effect at all, so they cannot show whether the target of "
            f"{target:,.0f} was met."
        )
    test = f"{power:.0%} power, {alpha:.0%} two-sided test"
    could = f"The data could detect an effect of about {_about(float(mde))} people or more ({test})"
    if target < mde:
        return (
            f"{could}; the target of {target:,.0f} is smaller than that, so the survey cannot show "
            "whether it was met."
        )
    return (
        f"{could}; the target of {target:,.0f} is larger than that, so if it were met the data would "
        f"be likely ({power:.0%}) to show an effect."
    )


def _fit_check(e: BaselineEstimate) -> tuple[str, float | None, float | None]:
    """A short description of the method's own check of its pre-programme fit, its p-value, RMSE."""
    d = e.diagnostics
    if "pretrend_joint_p" in d:
        p = min(d["pretrend_joint_p"], d["pretrend_slope_p"])
        text = f"pre-trend tests p = {d['pretrend_joint_p']:.2f} (leads), {d['pretrend_slope_p']:.2f} (slope)"
        return text, p, None
    if "pre_rmspe_people" in d:
        text = f"pre-programme RMSPE {d['pre_rmspe_people']:,.0f} people ({d['pre_rmspe_points']:.2f} points)"
        if "placebo_p" in d:
            text += f"; placebo-in-space p = {d['placebo_p']:.2f} (lowest possible {d['placebo_min_p']:.2f})"
        return text, d.get("placebo_p"), d["pre_rmspe_people"]
    if "pre_rmse" in d:
        text = f"pre-programme RMSE {d['pre_rmse']:,.0f} people"
        if "placebo_in_time_p" in d:
            text += f"; placebo-in-time p = {d['placebo_in_time_p']:.2f}"
        return text, d.get("placebo_in_time_p"), d["pre_rmse"]
    return "none (supplied projection)", None, None


def triangulate(estimates: Sequence[BaselineEstimate]) -> pd.DataFrame:
    """The methods side by side: estimate, interval, pre-period check and MDE, one row each."""
    if not estimates:
        raise EvaluationError("nothing to triangulate", expected="one or more BaselineEstimate results")
    rows = []
    for e in estimates:
        check, p, rmse = _fit_check(e)
        rows.append(
            {
                "method": e.method,
                "baseline": e.baseline,
                "areas": ", ".join(e.areas),
                "estimand": e.estimand,
                "effect": e.effect,
                "lower": e.lower,
                "upper": e.upper,
                "se": e.se,
                "interval": e.interval,
                "excludes_zero": e.excludes_zero,
                "pre_period_check": check,
                "pre_period_p": p,
                "pre_fit_rmse": rmse,
                "mde": e.mde,
                "periods_pre": e.periods_pre,
                "periods_post": e.periods_post,
            }
        )
    return pd.DataFrame(rows)


def _short(method: str) -> str:
    return method.split(" (")[0].lower()


def triangulation_reading(
    estimates: Sequence[BaselineEstimate], *, target: float | None = None, target_label: str = "the target"
) -> str:
    """Where the methods agree, in a few plain sentences, and what the data can say about a target."""
    table = triangulate(estimates)
    names = [_short(m) for m in table["method"]]
    found = [
        f"{n}: {r.effect:+,.0f} people ({r.lower:+,.0f} to {r.upper:+,.0f})"
        for n, r in zip(names, table.itertuples(), strict=True)
    ]
    parts = [
        "Estimates of additional people economically active against do-nothing: " + "; ".join(found) + "."
    ]
    positive = [n for n, r in zip(names, table.itertuples(), strict=True) if r.lower > 0]
    negative = [n for n, r in zip(names, table.itertuples(), strict=True) if r.upper < 0]
    if not positive and not negative:
        parts.append(
            "Every interval includes zero: no method can tell the programme's effect from no change."
        )
    else:
        if positive:
            parts.append(f"An effect above zero is shown by {', '.join(positive)}.")
        if negative:
            parts.append(f"A rise in inactivity against the baseline is shown by {', '.join(negative)}.")
    low, high = table["lower"].max(), table["upper"].min()
    if low <= high:
        parts.append(
            f"The intervals overlap, from {low:+,.0f} to {high:+,.0f} people: the methods agree within their uncertainty."
        )
    else:
        parts.append(
            "The intervals do not all overlap: the methods disagree beyond their uncertainty, so their assumptions differ in ways that matter here."
        )
    flagged = [
        n
        for n, p in zip(names, table["pre_period_p"], strict=True)
        if p is not None and not pd.isna(p) and p < 0.05 and "synthetic" not in n
    ]
    if flagged:
        parts.append(
            f"The pre-programme check fails (p < 0.05) for {', '.join(flagged)}; read its estimate with caution."
        )
    best = table.loc[table["mde"].idxmin()]
    parts.append(
        f"The smallest detectable effect ranges from about {_about(table['mde'].min())} "
        f"({_short(best['method'])}) to {_about(table['mde'].max())} people."
    )
    if target is not None:
        within = [n for n, r in zip(names, table.itertuples(), strict=True) if r.lower <= target <= r.upper]
        most_sensitive = min(estimates, key=lambda e: e.mde)
        parts.append(f"For {target_label}: " + detectability(target, most_sensitive))
        parts.append(
            f"The target of {target:,.0f} lies inside the interval of {', '.join(within)}."
            if within
            else f"The target of {target:,.0f} lies outside every method's interval."
        )
    return " ".join(parts)
