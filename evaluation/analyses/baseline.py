"""The area-level impact evaluation of one run: the programme areas against a do-nothing baseline.

In: a parameters file (``baseline``: the programme start, any target, comparison areas, any
supplied projection) and its validated area statistics. Out: the ``baseline`` results section:
each method's estimate of additional people economically active with its interval, assumptions
and smallest detectable effect; the methods side by side with a reading of where they agree; a
plain statement of whether the target is detectable; the paths the charts draw; and, for a
method the data cannot support, its refusal in words in place of a number.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from evaluation.data.inputs import ValidatedInputs
from evaluation.errors import EvaluationError
from evaluation.figures import FigureRegister
from evaluation.metrics import baseline
from evaluation.metrics.baseline_data import BaselineEstimate, uk_date
from evaluation.metrics.baseline_paths import synthetic_control_gaps, trend_path
from evaluation.params import Params
from evaluation.results import Results

SOURCE = "area statistics: Annual Population Survey series with their 95% intervals (validated inputs)"
# Results keys and short names of the methods, in the order the documents list them.
METHODS = {
    "supplied": "the supplied projection",
    "interrupted_time_series": "the interrupted time series",
    "difference_in_differences": "difference-in-differences",
    "synthetic_control": "the synthetic control",
}
SHORT = {
    "supplied": "supplied",
    "interrupted_time_series": "its",
    "difference_in_differences": "did",
    "synthetic_control": "sc",
}


def comparison_areas(params: Params, areas: pd.DataFrame) -> tuple[str, ...]:
    """The comparison areas: as listed in params, else every area the statistics mark as one."""
    if params.baseline.comparison_areas:
        return params.baseline.comparison_areas
    marked = areas.loc[areas["role"].astype(str) == "Comparison", "area_code"].astype(str)
    return tuple(sorted(set(marked) - set(params.area_codes)))


def _refusal(err: EvaluationError) -> str:
    return err.message.rstrip(".") + (f" (expected {err.expected})." if err.expected else ".")


def _attempts(params: Params, areas: pd.DataFrame, comparison: tuple[str, ...]) -> dict[str, Callable]:
    b = params.baseline
    treated, start = params.area_codes, b.programme_start
    common = {"estimand": b.estimand, "power": b.power}
    calls: dict[str, Callable[[], BaselineEstimate]] = {}
    if b.supplied is not None:
        supplied = b.supplied
        calls["supplied"] = lambda: baseline.supplied_baseline(
            areas,
            area_codes=treated,
            programme_start=start,
            projection=supplied.inactive,
            source=supplied.source,
            version=supplied.version,
            **common,
        )
    calls["interrupted_time_series"] = lambda: baseline.interrupted_time_series(
        areas, area_codes=treated, programme_start=start, **common
    )
    calls["difference_in_differences"] = lambda: baseline.difference_in_differences(
        areas, treated_codes=treated, comparison_codes=comparison, programme_start=start, **common
    )
    calls["synthetic_control"] = lambda: baseline.synthetic_control(
        areas, treated_code=treated, donor_codes=comparison, programme_start=start, **common
    )
    return calls


def _side_by_side(estimates: dict[str, BaselineEstimate], table: pd.DataFrame) -> pd.DataFrame:
    """The triangulation table as documents print it: people as whole numbers, methods by name."""
    people = ["effect", "lower", "upper", "mde"]
    out = table[["pre_period_check"]].copy()
    out.insert(0, "method", [METHODS[k].capitalize() for k in estimates])
    for col, name in zip(people, ["additional_active", "lower", "upper", "smallest_detectable"], strict=True):
        out.insert(len(out.columns) - 1, name, table[col].round().astype(float))
    return out


def _register_estimate(reg: FigureRegister, key: str, e: BaselineEstimate) -> None:
    short, name = SHORT[key], METHODS[key]
    when = "in the latest survey period" if e.estimand == "latest" else "on average since the start"
    reg.register(
        f"baseline_{short}_effect",
        e.effect,
        "count",
        f"Additional people economically active against do-nothing {when}, by {name} ({e.method}); "
        f"interval: {e.interval}.",
        SOURCE,
        lower=e.lower,
        upper=e.upper,
    )
    for end, value in (("lower", e.lower), ("upper", e.upper)):
        reg.register(
            f"baseline_{short}_{end}",
            value,
            "count",
            f"{end.capitalize()} end of the {1 - e.alpha:.0%} interval of {name}'s estimate.",
            SOURCE,
        )
    reg.register(
        f"baseline_{short}_mde",
        e.mde,
        "count",
        f"Smallest effect {name} could detect ({e.power:.0%} power, {e.alpha:.0%} two-sided test), in people.",
        SOURCE,
    )


def baseline_results(params: Params, inputs: ValidatedInputs) -> Results:
    """Every area-level estimate of one run against do-nothing, as a results section."""
    reg = FigureRegister()
    res = Results(section="baseline", figures=reg)
    b = params.baseline
    if b.programme_start is None:
        res.notes["not_run"] = (
            "No area-level baseline was asked for: the parameters give no programme start "
            "(baseline.programme_start)."
        )
        return res
    areas = inputs.area_statistics.frame
    comparison = comparison_areas(params, areas)
    names = areas.drop_duplicates("area_code").set_index("area_code")["area_name"].astype(str)
    listed = ", ".join(names.get(c, c) for c in comparison)
    res.notes["comparison_areas"] = f"Comparison areas ({len(comparison)}): {listed}."
    reg.register(
        "baseline_programme_start",
        b.programme_start,
        "date",
        "Programme start used for the baseline.",
        "parameters file",
    )
    reg.register(
        "baseline_comparison_count",
        len(comparison),
        "count",
        "Comparison areas used.",
        "parameters file and area statistics",
    )

    estimates: dict[str, BaselineEstimate] = {}
    refusals: dict[str, str] = {}
    for key, call in _attempts(params, areas, comparison).items():
        try:
            estimates[key] = call()
        except EvaluationError as err:
            refusals[key] = _refusal(err)
    res.tables["refusals"] = pd.DataFrame(
        {"method": [METHODS[k].capitalize() for k in refusals], "reason": list(refusals.values())},
        columns=["method", "reason"],
    )
    for key, text in refusals.items():
        res.notes[f"refused_{key}"] = f"{METHODS[key].capitalize()} was not estimated: {text}"
    if not estimates:
        res.notes["reading"] = (
            "No method could be estimated from the area statistics; the reasons are listed."
        )
        reg.register(
            "baseline_reading", res.notes["reading"], "text", "The methods side by side, in words.", SOURCE
        )
        if b.target_additional_active:
            res.notes["detectability"] = (
                "No method could be estimated from the area statistics, so they cannot show whether "
                f"the target of {b.target_additional_active:,} was met."
            )
            reg.register(
                "baseline_detectability",
                res.notes["detectability"],
                "text",
                "Whether the target is within what the survey data could detect.",
                SOURCE,
            )
        return res

    found = list(estimates.values())
    res.tables["triangulation"] = baseline.triangulate(found)
    res.tables["side_by_side"] = _side_by_side(estimates, res.tables["triangulation"])
    res.tables["gaps"] = pd.DataFrame(
        [
            {
                "method": METHODS[k].capitalize(),
                "period_end": pd.Timestamp(end),
                "gap_people": float(round(gap)),
            }
            for k, e in estimates.items()
            for end, gap in zip(e.post_periods, e.gaps, strict=True)
        ]
    )
    res.tables["assumptions"] = pd.DataFrame(
        [
            {"method": METHODS[k].capitalize(), "assumption": a}
            for k, e in estimates.items()
            for a in e.assumptions
        ]
    )
    for key, e in estimates.items():
        _register_estimate(reg, key, e)
        res.notes[f"method_{key}"] = f"{e.method}: {e.note}".strip()

    most_sensitive = min(found, key=lambda e: e.mde)
    latest = max(e.post_periods[-1] for e in found)
    reg.register(
        "baseline_latest_period", latest, "date", "End of the latest survey period measured.", SOURCE
    )
    reg.register(
        "baseline_mde",
        most_sensitive.mde,
        "count",
        f"Smallest effect any method could detect, in people ({most_sensitive.method}; "
        f"{most_sensitive.power:.0%} power, {most_sensitive.alpha:.0%} two-sided test).",
        SOURCE,
    )
    label = b.target_label or "the target"
    reading = baseline.triangulation_reading(found, target=b.target_additional_active, target_label=label)
    res.notes["reading"] = reading
    reg.register("baseline_reading", reading, "text", "The methods side by side, in words.", SOURCE)
    if b.target_additional_active:
        verdict = baseline.detectability(b.target_additional_active, most_sensitive)
        res.notes["detectability"] = verdict
        reg.register(
            "baseline_detectability",
            verdict,
            "text",
            "Whether the target is within what the survey data could detect, by the most sensitive method.",
            SOURCE,
        )
        reg.register(
            "baseline_target_detectable",
            "yes" if b.target_additional_active >= most_sensitive.mde else "no",
            "text",
            "Whether the target is at least the smallest detectable effect.",
            SOURCE,
        )

    treated, start = params.area_codes, b.programme_start
    if "interrupted_time_series" in estimates:
        res.tables["trend_path"] = trend_path(areas, area_codes=treated, programme_start=start)
    if "difference_in_differences" in estimates:
        study = baseline.event_study(
            areas, treated_codes=treated, comparison_codes=comparison, programme_start=start
        )
        res.tables["event_study"] = study.table
        res.notes["event_study"] = (
            f"{study.method}. Joint test of the {study.leads_tested} leads: p = {study.joint_p:.2f}; "
            f"pre-programme slope of the gap {study.slope:+.3f} points a quarter (p = {study.slope_p:.2f})."
        )
    if "synthetic_control" in estimates:
        gaps, weights = synthetic_control_gaps(
            areas, treated_codes=treated, donor_codes=comparison, programme_start=start
        )
        res.tables["synthetic_control_gaps"] = gaps
        res.tables["synthetic_control_weights"] = weights.assign(weight=weights["weight"].round(3))
    res.notes["period"] = (
        f"Programme start {uk_date(start)}; the latest survey period measured ends {uk_date(pd.Timestamp(latest))}."
    )
    return res
