"""The participant-level impact evaluation of one run: what would have happened without the programme.

In: a parameters file and its validated inputs. Out: the ``impact`` results section: each
estimator's effect on the treated with its interval, balance before and after, the sensitivity to
unmeasured confounding, the gross-to-net table, and the headline in the Employment Data Lab's
manner; or, for a cohort below the minimum, the refusal in place of numbers.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from evaluation.analyses.process import run_participants
from evaluation.data.inputs import ValidatedInputs
from evaluation.figures import FigureRegister
from evaluation.metrics import finance, impact
from evaluation.metrics.balance_overlap import overlap_density, overlap_quartiles
from evaluation.params import Params
from evaluation.results import Results

SOURCE = "participant journeys and comparison pool (validated inputs)"
PREFERRED = "doubly robust"
PUBLISHABLE_BALANCE = (
    "covariate",
    "level",
    "smd_before",
    "variance_ratio_before",
    "smd_after",
    "variance_ratio_after",
)  # the headline estimator: consistent if either model is right


def _estimates_table(estimates: tuple) -> pd.DataFrame:
    rows = []
    for e in estimates:
        row = {
            f.name: getattr(e, f.name) for f in dataclasses.fields(e) if f.name not in ("weights", "refusal")
        }
        row["refused"] = bool(e.refused)
        row["refusal"] = e.refusal
        rows.append(row)
    return pd.DataFrame(rows).rename(columns={"treated": "n"})


def impact_results(params: Params, inputs: ValidatedInputs) -> Results:
    """Every participant-level impact measure of one run, as a results section."""
    part = run_participants(inputs, params)
    pool = inputs.comparison_pool.frame
    frame = impact.build_analysis_frame(
        part, pool, area_codes=params.area_codes, data_cutoff=params.period.data_cutoff
    )
    reg = FigureRegister()
    res = Results(section="impact", figures=reg)
    model = impact.propensity(frame)
    treated = frame["treated"].to_numpy() == 1
    res.tables["overlap_density"] = overlap_density(model.logit, treated)
    res.tables["overlap_quartiles"] = overlap_quartiles(model.logit, treated)
    estimates = impact.estimate_impact(
        frame, model, min_treated=params.impact.min_treated, caliper_sd=params.impact.caliper_sd
    )
    res.tables["estimates"] = _estimates_table(estimates)
    before = impact.balance_table(frame)
    res.tables["balance_before"] = before[[c for c in PUBLISHABLE_BALANCE if c in before]]
    best = next((e for e in estimates if PREFERRED in e.method.lower()), estimates[-1])
    res.notes["headline"] = impact.headline(best)
    res.notes["propensity_model"] = f"Logistic regression of taking part: {model.formula}."
    refused = best.refused
    reg.register(
        "impact_headline",
        res.notes["headline"],
        "text",
        "The participant-level impact in plain words (Employment Data Lab style).",
        SOURCE,
    )
    reg.register(
        "impact_treated",
        int(best.treated),
        "count",
        "Participants who started at least 182 days before the cut-off (the cohort the impact is estimated for).",
        SOURCE,
    )
    if refused:
        res.notes["refusal"] = best.refusal
        return res
    if best.weights is not None:
        after = impact.balance_table(frame, weights=best.weights)
        verdict = impact.balance_verdict(after)
        # Group means are shares of small groups of people: only standardised differences leave.
        res.tables["balance_after"] = after[[c for c in PUBLISHABLE_BALANCE if c in after]]
        res.notes["balance"] = verdict.text
    ev = impact.e_value(best)
    if ev is not None:
        res.notes["sensitivity"] = ev.text
    reg.register(
        "impact_att",
        best.att,
        "proportion",
        f"Effect on the treated: difference in the share in work six months after starting ({best.method}).",
        SOURCE,
        lower=best.lower,
        upper=best.upper,
    )
    reg.register(
        "impact_att_lower", best.lower, "proportion", "Lower end of the 95% interval of the effect.", SOURCE
    )
    reg.register(
        "impact_att_upper", best.upper, "proportion", "Upper end of the 95% interval of the effect.", SOURCE
    )
    spent = finance.run_budget(inputs.budget.frame, params, _year(params)).get("spend_to_date")
    cost = float(spent.fillna(0).sum()) if spent is not None else None
    # Gross outcomes are every evidenced job to date; the estimate supplies the deadweight share.
    gross = int(part["job_evidenced"].fillna(False).astype(bool).sum())
    a = params.additionality
    gtn = impact.gross_to_net(
        gross,
        deadweight=impact.deadweight_shares(best),
        leakage=a.leakage,
        displacement=a.displacement,
        substitution=a.substitution,
        multiplier=a.multiplier,
        cost=cost or None,
    )
    res.tables["gross_to_net"] = gtn.table
    res.notes["gross_to_net"] = gtn.text
    return res


def _year(params: Params) -> str:
    start = params.period.start
    year = start.year if start.month >= 4 else start.year - 1
    return f"{year}/{(year + 1) % 100:02d}"
