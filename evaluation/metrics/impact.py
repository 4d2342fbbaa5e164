"""Participant-level impact: how much more likely participants were to be in work than without it.

In: the analysis frame, propensity model and matched sets of ``balance`` (the design stage).
Out: estimates of the average effect on the treated (ATT) as ``ImpactEstimate`` results, each
naming its method and variance method; the E-value (sensitivity to unmeasured confounding);
the gross-to-net additionality table; and the headline in the manner of DWP's Employment Data
Lab. The design stage's public names are re-exported, so one import serves the evaluation.

Four estimators answer the same question in different ways and should roughly agree:
nearest-neighbour matching with replacement, 1:1 matching without replacement, inverse
probability weighting and doubly robust (augmented) weighting. Below ``min_treated``
participants each refuses, with the reason, rather than give numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from evaluation.metrics.balance import (
    BalanceVerdict,
    CommonSupport,
    Matches,
    PropensityModel,
    SupportRule,
    balance_table,
    balance_verdict,
    build_analysis_frame,
    common_support,
    cross_product,
    default_formula,
    fit_logit,
    independent_positions,
    match_controls,
    nearest,
    overlap_summary,
    propensity,
)
from evaluation.params import Scenario

__all__ = [
    "BalanceVerdict", "CommonSupport", "EValue", "GrossToNet", "ImpactEstimate", "Matches",
    "PropensityModel", "Shares", "balance_table", "balance_verdict", "build_analysis_frame",
    "common_support", "deadweight_shares", "default_formula", "doubly_robust_att", "e_value",
    "estimate_impact", "gross_to_net", "headline", "ipw_att", "match_controls",
    "nearest_neighbour_att", "overlap_summary", "propensity",
]  # fmt: skip

MIN_TREATED = 60
CALIPER_SD = 0.2
MATCHES = 4  # controls per participant when matching with replacement


@dataclass(frozen=True)
class ImpactEstimate:
    """One estimate of the ATT (a difference in the share in work, 0.05 = 5 percentage points).

    ``refusal`` holds the reason when the cohort is too small, and then every number is None.
    ``weights`` gives each row of the analysis frame its weight in the estimate (participants 1
    or 0, controls their matching or weighting weight), for the balance table after adjustment.
    """

    method: str
    att: float | None
    lower: float | None
    upper: float | None
    se: float | None
    treated: int  # eligible participants in the frame
    matched_treated: int  # participants the estimate is about (on support and matched)
    controls_used: int  # comparison pool members with a positive weight
    unmatched: int  # participants with no control within the caliper
    trimmed: int  # participants off common support
    outcome_treated: float | None
    outcome_counterfactual: float | None
    variance_method: str
    note: str
    level: float = 0.95
    refusal: str | None = None
    weights: pd.Series | None = field(default=None, repr=False, compare=False)

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def _arrays(frame: pd.DataFrame, model: PropensityModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if model.n != len(frame) or not model.scores.index.equals(frame.index):
        raise ValueError("the propensity model was fitted to a different frame; fit it to this one")
    t = frame["treated"].to_numpy() == 1
    return t, frame["outcome"].to_numpy(dtype=float), model.logit.to_numpy(dtype=float)


def _refusal(
    method: str, variance: str, what: str, *, used: int, minimum: int, **counts: int
) -> ImpactEstimate:
    reason = f"Too few participants ({used}) to estimate the programme's impact by {what}; the minimum is {minimum}."
    return ImpactEstimate(
        method, None, None, None, None, matched_treated=used, outcome_treated=None,
        outcome_counterfactual=None, variance_method=variance, note=reason, refusal=reason, **counts,
    )  # fmt: skip


def _estimate(
    method: str, variance: str, *, att: float, se: float, outcome_treated: float, level: float, **rest
) -> ImpactEstimate:
    z = float(norm.ppf(0.5 + level / 2))
    return ImpactEstimate(
        method, float(att), float(att - z * se), float(att + z * se), float(se),
        outcome_treated=float(outcome_treated), outcome_counterfactual=float(outcome_treated - att),
        variance_method=variance, level=level, **rest,
    )  # fmt: skip


def _conditional_variance(eta: np.ndarray, y: np.ndarray, group: np.ndarray, rows: np.ndarray, j: int):
    """Var(Y | score) at each of ``rows`` (members of ``group``) from its j nearest other members
    on the score: j/(j + 1) (Y − their mean)² (Abadie and Imbens 2006, section 4.1)."""
    g = np.flatnonzero(group)
    order = np.argsort(eta[g], kind="stable")
    where = np.full(len(eta), -1)
    where[g[order]] = np.arange(len(g))
    near, dist = nearest(eta[g][order], eta[rows], j, self_pos=where[rows])
    valid = np.isfinite(dist)
    count = valid.sum(axis=1)
    mean = np.where(valid, y[g[order]][near], 0.0).sum(axis=1) / np.maximum(count, 1)
    return count / (count + 1) * (y[rows] - mean) ** 2


def nearest_neighbour_att(
    frame: pd.DataFrame,
    model: PropensityModel,
    *,
    k: int | None = None,
    replace: bool = True,
    caliper_sd: float = CALIPER_SD,
    support: SupportRule = "minmax",
    min_treated: int = MIN_TREATED,
    variance_neighbours: int = 2,
    level: float = 0.95,
) -> ImpactEstimate:
    """ATT by nearest-neighbour matching on the logit propensity score, within a caliper.

    With replacement each participant takes its k nearest controls within ``caliper_sd``
    standard deviations of the logit score (fewer if fewer are that close; none, and it is
    unmatched); k defaults to 4, the number Abadie, Drukker, Herr and Imbens (2004, Stata J 4:
    290-311) suggest, with less variance than 1 for little more bias. The naive bootstrap is
    not valid for this estimator (Abadie and Imbens 2008, Econometrica 76: 1537-57), so the
    variance is Abadie and Imbens's (2006, Econometrica 74: 235-67) analytic estimator for the
    population ATT, each control's conditional variance taken from its ``variance_neighbours``
    nearest controls. Without replacement (k = 1) pairs are formed greedily and the variance
    is the paired one, the variance of the pair differences over the number of pairs (Austin
    2011; also what Abadie and Imbens's formula gives when each control is used once).

    Both treat the propensity score as known. Abadie and Imbens (2016, Econometrica 84:
    781-807) derive the correction for its estimation, which for the ATT can go either way;
    estimated from the data it over-corrected for small cohorts (89% coverage in the simulation
    study with about 80 participants and 12 design columns; real designs have about 40), so it
    is not applied. Uncorrected, the simulation study (``benchmarks/impact_simulation.py``)
    finds 95% coverage with about 80 participants and 95.5% (4:1) and 96% (1:1), a little
    conservative, with about 330.
    """
    k = k if k is not None else (MATCHES if replace else 1)
    t, y, eta = _arrays(frame, model)
    mt = match_controls(frame, model, k=k, replace=replace, caliper_sd=caliper_sd, support=support)
    how = f"{k}:1 with replacement" if replace else "1:1 without replacement (greedy)"
    method = f"Nearest-neighbour matching on the logit propensity score, {how}, caliper {caliper_sd:g} SD"
    variance = (
        "Abadie-Imbens (2006) variance for matching with replacement (population ATT)"
        if replace
        else "Paired variance of matched-pair differences (Austin 2011)"
    ) + ", propensity score treated as known"
    ok = mt.controls >= 0
    m = ok.sum(axis=1)
    matched = m > 0
    n1 = int(matched.sum())
    a = np.where(ok, 1.0 / np.maximum(m, 1)[:, None], 0.0)  # each match's share of its participant
    pos = np.where(ok, mt.controls, 0)
    w = np.bincount(pos[ok], weights=a[ok], minlength=len(y))  # controls' matching weights
    counts = dict(
        treated=int(t.sum()), unmatched=int((~matched).sum()), trimmed=mt.support.trimmed,
        controls_used=int((w > 0).sum()),
    )  # fmt: skip
    if n1 < min_treated:
        return _refusal(method, variance, "matching", used=n1, minimum=min_treated, **counts)
    diff = (y[mt.treated] - (a * y[pos]).sum(axis=1))[matched]
    att = float(diff.mean())
    if replace:
        used = np.flatnonzero(w > 0)
        v = np.bincount(pos[ok], weights=a[ok] ** 2, minlength=len(y))[used]
        sigma2 = _conditional_variance(eta, y, ~t, used, variance_neighbours)
        var = (((diff - att) ** 2).sum() + ((w[used] ** 2 - v) * sigma2).sum()) / n1**2
    else:
        var = float(np.var(diff, ddof=1)) / n1
    weights = pd.Series(w, index=frame.index)
    weights.iloc[mt.treated[matched]] = 1.0
    note = (
        f"{n1} participants matched to {counts['controls_used']} non-participants; "
        f"{counts['unmatched']} had no match within the caliper. {mt.support.text}"
    )
    return _estimate(
        method, variance, att=att, se=math.sqrt(var), outcome_treated=float(y[mt.treated][matched].mean()),
        level=level, weights=weights, note=note, matched_treated=n1, **counts,
    )  # fmt: skip


@dataclass(frozen=True)
class _Weighting:
    """What both weighting estimators share: the data, the weights and the logit fit's parts."""

    t: np.ndarray
    y: np.ndarray
    x: np.ndarray  # the propensity design
    on: np.ndarray  # 1 for participants on support, else 0
    odds: np.ndarray  # controls' weights p/(1 − p), 0 for participants
    score: np.ndarray  # T − p, each row's logit score is x * (T − p)
    h_inv: np.ndarray  # inverse information of the logit fit, per row
    support: CommonSupport

    def theta_part(self, g: np.ndarray) -> np.ndarray:
        """Each row's influence on an equation whose derivative in the logit's parameters is g."""
        return (self.x @ (self.h_inv @ g)) * self.score

    def counts(self) -> dict:
        return dict(treated=int(self.t.sum()), unmatched=0, trimmed=self.support.trimmed)

    def weights(self, index: pd.Index) -> pd.Series:
        scaled = self.odds * self.on.sum() / self.odds.sum()  # controls' weights sum to the participants
        return pd.Series(np.where(self.on > 0, 1.0, scaled), index=index)

    def kish(self) -> float:
        return float(self.odds.sum() ** 2 / (self.odds**2).sum())


def _weighting(frame: pd.DataFrame, model: PropensityModel, support: SupportRule) -> _Weighting:
    t, y, eta = _arrays(frame, model)
    cs = common_support(frame, model, rule=support)
    p = 1.0 / (1.0 + np.exp(-eta))
    x = model.design  # used in place: a pool of millions is not copied
    return _Weighting(
        t, y, x, (t & cs.keep.to_numpy()).astype(float), np.where(t, 0.0, np.exp(np.minimum(eta, 700))),
        t - p, model.inverse_information, cs,
    )  # fmt: skip


def ipw_att(
    frame: pd.DataFrame,
    model: PropensityModel,
    *,
    support: SupportRule = "minmax",
    min_treated: int = MIN_TREATED,
    level: float = 0.95,
) -> ImpactEstimate:
    """ATT by inverse probability weighting: controls weighted p/(1 − p), normalised (Hájek).

    Variance: the sandwich (M-estimation) variance of the stacked estimating equations of the
    logit propensity model and the two weighted means, so the estimation of the score is
    accounted for (Lunceford and Davidian 2004, Stat Med 23: 2937-60; Stefanski and Boos
    2002). It equals statsmodels' ``TreatmentEffect.ipw(effect_group=1)`` GMM variance.
    """
    method = "Inverse probability weighting for the ATT (controls weighted p/(1-p))"
    variance = "Sandwich variance of stacked estimating equations (propensity model included)"
    d = _weighting(frame, model, support)
    n1, n, counts = int(d.on.sum()), len(d.y), {**d.counts(), "controls_used": int((d.odds > 0).sum())}
    if n1 < min_treated:
        return _refusal(method, variance, "weighting", used=n1, minimum=min_treated, **counts)
    mu1 = float((d.on * d.y).sum() / d.on.sum())
    mu0 = float((d.odds * d.y).sum() / d.odds.sum())
    g = (d.odds * (d.y - mu0)) @ d.x / n  # the control mean's derivative in theta
    inf = d.on * (d.y - mu1) / d.on.mean() - (d.odds * (d.y - mu0) + d.theta_part(g)) / d.odds.mean()
    note = (
        f"Effective number of controls (Kish): {d.kish():.0f} of {counts['controls_used']}. {d.support.text}"
    )
    return _estimate(
        method, variance, att=mu1 - mu0, se=math.sqrt(float((inf**2).sum())) / n, outcome_treated=mu1,
        level=level, weights=d.weights(frame.index), note=note, matched_treated=n1, **counts,
    )  # fmt: skip


def doubly_robust_att(
    frame: pd.DataFrame,
    model: PropensityModel,
    *,
    support: SupportRule = "minmax",
    min_treated: int = MIN_TREATED,
    level: float = 0.95,
) -> ImpactEstimate:
    """ATT by augmented inverse probability weighting: doubly robust.

    A logistic outcome model m0(x) is fitted to the controls on the propensity model's
    covariates; then ATT = the participants' mean of (Y − m0) − the controls' p/(1 − p)-weighted
    mean of (Y − m0). It is consistent if either the propensity or the outcome model is right
    (Robins, Rotnitzky and Zhao 1994; this ATT form as in Sant'Anna and Zhao 2020, J Econometrics
    219: 101-22). Variance: the sandwich of the stacked equations of both models and both means.
    statsmodels' ``TreatmentEffect.ipw_ra(effect_group=1)`` (linear outcome model) cross-checks it.
    """
    method = "Doubly robust augmented inverse probability weighting for the ATT (logistic outcome model)"
    variance = "Sandwich variance of stacked estimating equations (both models included)"
    d = _weighting(frame, model, support)
    n1, n, counts = int(d.on.sum()), len(d.y), {**d.counts(), "controls_used": int((~d.t).sum())}
    if n1 < min_treated:
        return _refusal(method, variance, "doubly robust weighting", used=n1, minimum=min_treated, **counts)
    # The outcome model's design z is the propensity design's columns that are independent among
    # the controls, used in place (z @ b as x @ b with zeros elsewhere): no copy of the pool.
    keep = independent_positions(d.x, rows=~d.t)
    beta, converged = fit_logit(d.y, d.x, rows=~d.t, columns=keep)
    z_beta = np.zeros(d.x.shape[1])
    z_beta[keep] = beta
    m0 = 1.0 / (1.0 + np.exp(-(d.x @ z_beta)))
    c, r, slope = (~d.t).astype(float), d.y - m0, m0 * (1 - m0)
    hb_inv = np.linalg.pinv(cross_product(d.x, c * slope)[np.ix_(keep, keep)] / n, hermitian=True)

    def beta_part(weight: np.ndarray) -> np.ndarray:  # influence through the outcome model's fit
        v = np.zeros(d.x.shape[1])
        v[keep] = hb_inv @ (((weight * slope) @ d.x)[keep] / n)
        return (d.x @ v) * c * r

    a = float((d.on * r).sum() / d.on.sum())
    b = float((d.odds * r).sum() / d.odds.sum())
    inf_a = (d.on * (r - a) - beta_part(d.on)) / d.on.mean()
    g_b = np.einsum("i,ij->j", d.odds * (r - b), d.x) / n
    inf_b = (d.odds * (r - b) - beta_part(d.odds) + d.theta_part(g_b)) / d.odds.mean()
    note = (
        f"Outcome model {'converged' if converged else 'did NOT converge'} on {int(c.sum())} controls. "
        f"Effective number of controls (Kish): {d.kish():.0f}. {d.support.text}"
    )
    return _estimate(
        method, variance, att=a - b, se=math.sqrt(float(((inf_a - inf_b) ** 2).sum())) / n,
        outcome_treated=float((d.on * d.y).sum() / d.on.sum()), level=level, weights=d.weights(frame.index),
        note=note, matched_treated=n1, **counts,
    )  # fmt: skip


def estimate_impact(
    frame: pd.DataFrame,
    model: PropensityModel,
    *,
    min_treated: int = MIN_TREATED,
    caliper_sd: float = CALIPER_SD,
    support: SupportRule = "minmax",
    k: int = MATCHES,
) -> tuple[ImpactEstimate, ...]:
    """The four estimators on one design, in the order they are reported."""
    opts = dict(support=support, min_treated=min_treated)
    return (
        nearest_neighbour_att(frame, model, k=k, caliper_sd=caliper_sd, **opts),
        nearest_neighbour_att(frame, model, replace=False, caliper_sd=caliper_sd, **opts),
        ipw_att(frame, model, **opts),
        doubly_robust_att(frame, model, **opts),
    )


@dataclass(frozen=True)
class EValue:
    """VanderWeele and Ding's (2017) E-value for an estimate, on the risk-ratio scale."""

    risk_ratio: float
    point: float  # E-value of the estimate
    interval: float  # E-value of the interval's limit nearer no effect (1 if it includes none)
    text: str


def _e(rr: float) -> float:
    rr = 1 / rr if rr < 1 else rr
    return rr + math.sqrt(rr * (rr - 1))


def e_value(estimate: ImpactEstimate) -> EValue | None:
    """How strong unmeasured confounding would have to be to explain the effect away.

    The risk ratio is the participants' rate over their counterfactual rate, E = RR +
    sqrt(RR(RR − 1)) (VanderWeele and Ding 2017, Ann Intern Med 167: 268-74). The interval's
    limit is taken to the ratio scale holding the participants' (observed) rate fixed.
    """
    if estimate.refused or not estimate.outcome_counterfactual or estimate.outcome_counterfactual <= 0:
        return None
    p1, p0 = estimate.outcome_treated, estimate.outcome_counterfactual
    near = estimate.lower if p1 >= p0 else estimate.upper
    crosses = estimate.lower <= 0 <= estimate.upper
    e_point = _e(p1 / p0)
    e_ci = 1.0 if crosses else _e(p1 / (p1 - near))
    text = (
        "To explain the estimated effect away, an unmeasured characteristic would need to be associated "
        f"with both taking part and being in work by a risk ratio of at least {e_point:.2f} each, over and "
        "above the characteristics matched on (E-value). "
    ) + (
        "The confidence interval already includes no effect."
        if crosses
        else f"To move the confidence interval to include no effect, a risk ratio of {e_ci:.2f} would do."
    )
    return EValue(p1 / p0, e_point, e_ci, text)


@dataclass(frozen=True)
class Shares:
    """A quantity in low, central and high scenarios (a share 0 to 1, or a count), and its source."""

    low: float
    central: float
    high: float
    source: str = ""


def _shares(value: Scenario | Shares | float, name: str) -> Shares:
    if isinstance(value, int | float):
        return Shares(float(value), float(value), float(value), "single value")
    shares = Shares(value.low, value.central, value.high, value.source)
    if not 0 <= shares.low <= shares.central <= shares.high <= 1:
        raise ValueError(f"{name}: need 0 <= low <= central <= high <= 1, got {shares}")
    return shares


def deadweight_shares(estimate: ImpactEstimate) -> Shares:
    """The share of participants' outcomes that would have happened anyway, from an estimate:
    counterfactual rate / participants' rate, with low and high from the interval's ends."""
    if estimate.refused:
        raise ValueError(estimate.refusal)
    p1 = estimate.outcome_treated
    low, central, high = ((p1 - v) / p1 for v in (estimate.upper, estimate.att, estimate.lower))
    clip = [float(min(max(v, 0.0), 1.0)) for v in (low, central, high)]
    return Shares(*clip, f"Counterfactual from {estimate.method}")


@dataclass(frozen=True)
class GrossToNet:
    """The gross-to-net table (rows are steps; columns the low, central and high net results)."""

    table: pd.DataFrame
    net: Shares  # net additional job outcomes
    cost_per_net: Shares | None
    text: str


STEPS = (
    ("deadweight", "less deadweight (would have happened anyway)"),
    ("leakage", "less leakage (outcomes for people from outside the area)"),
    ("displacement", "less displacement (jobs that would have gone to other local people)"),
    ("substitution", "less substitution (employers swapping one worker for another)"),
)


def gross_to_net(
    gross_outcomes: float,
    *,
    deadweight: Scenario | Shares | float,
    leakage: Scenario | Shares | float,
    displacement: Scenario | Shares | float,
    substitution: Scenario | Shares | float,
    multiplier: float = 1.0,
    cost: float | None = None,
) -> GrossToNet:
    """Gross job outcomes to net additional ones, low / central / high, and cost per net outcome.

    The Additionality Guide (HCA 2014, 4th ed., ch. 5; English Partnerships 2008) computes net
    additional impact as [G(1−L)(1−Dp)(1−S)M] − [G*(1−L*)(1−Dp*)(1−S*)M*], G* the reference case
    (deadweight). Here the reference case is the same people in the same labour market, so it
    takes the same leakage, displacement, substitution and multiplier, and the formula equals
    G(1−D)(1−L)(1−Dp)(1−S)M with D = G*/G: the table takes deadweight off first, then the others
    in the Guide's order. The low column uses every share at its high value and the high column
    at its low value, so the columns bound the net result.
    """
    if multiplier < 1:
        raise ValueError(f"multiplier must be at least 1, got {multiplier}")
    given = dict(deadweight=deadweight, leakage=leakage, displacement=displacement, substitution=substitution)
    running = dict.fromkeys(("low", "central", "high"), float(gross_outcomes))
    rows = [{"step": "Gross job outcomes", **running}]
    for key, label in STEPS:
        s = _shares(given[key], key)
        rate = {"low": s.high, "central": s.central, "high": s.low}
        running = {c: v * (1 - rate[c]) for c, v in running.items()}
        rows.append({"step": label, **{f"rate_{c}": r for c, r in rate.items()}, **running})
    running = {c: v * multiplier for c, v in running.items()}
    rows.append(
        {
            "step": "times the multiplier (further local jobs)",
            **{f"rate_{c}": multiplier for c in running},
            **running,
        }
    )
    rows.append({"step": "Net additional job outcomes", **running})
    net = Shares(running["low"], running["central"], running["high"], "gross to net")
    text = (
        f"Of {gross_outcomes:,.0f} gross job outcomes, between {net.low:,.0f} and {net.high:,.0f} (central "
        f"{net.central:,.0f}) are net additional after deadweight, leakage, displacement and substitution "
        "(HM Treasury Green Book; HCA Additionality Guide)."
    )
    per = None
    if cost is not None:
        per = Shares(
            *(cost / v if v > 0 else math.inf for v in (net.high, net.central, net.low)), "cost / net"
        )
        rows.append(
            {
                "step": "Cost per net additional job outcome (£)",
                "low": per.high,
                "central": per.central,
                "high": per.low,
            }
        )
        text += f" Cost per net additional job outcome: £{per.central:,.0f} (£{per.low:,.0f} to £{per.high:,.0f})."
    columns = ["step", "rate_low", "rate_central", "rate_high", "low", "central", "high"]
    return GrossToNet(pd.DataFrame(rows).reindex(columns=columns), net, per, text)


def headline(
    estimate: ImpactEstimate,
    *,
    outcome: str = "in work six months after starting",
    comparison: str = "similar non-participants",
    decimals: int = 0,
) -> str:
    """The impact in the Employment Data Lab's words: the range, its significance, its limits."""
    if estimate.refused:
        return str(estimate.refusal)
    lo, hi = (f"{abs(v) * 100:.{decimals}f}" for v in (estimate.lower, estimate.upper))
    if estimate.lower > 0 or estimate.upper < 0:
        more = "more" if estimate.lower > 0 else "less"
        first, second = (lo, hi) if estimate.lower > 0 else (hi, lo)
        claim = f"between {first} and {second} percentage points {more} likely"
        sig = (
            "This difference is statistically significant: the {} confidence interval does not include zero."
        )
    else:
        claim = f"between {lo} percentage points less likely and {hi} percentage points more likely"
        sig = (
            "The difference is not statistically significant: the {} confidence interval includes zero, so "
            "the programme may have made no difference to this outcome."
        )
    return " ".join((
        f"Participants were {claim} to be {outcome} than {comparison}.",
        sig.format(f"{estimate.level:.0%}"),
        f"Of the {estimate.matched_treated} participants compared, {estimate.outcome_treated:.0%} were {outcome}, "
        f"against an estimated {estimate.outcome_counterfactual:.0%} had they not taken part ({estimate.method}).",
        "The comparison allows only for recorded characteristics (age, sex, ethnic group, disability and health, "
        "reason for and length of inactivity, benefits, deprivation, caring, lone parenthood, social housing, area "
        "and quarter of entry); people who chose to take part may differ in ways not recorded, such as motivation, "
        "which could account for part of the difference.",
        "It does not cover participants who started too recently to be followed up, people referred who did not "
        "start, whether jobs lasted, job quality or pay, or effects on other residents (see the gross-to-net table).",
    ))  # fmt: skip
