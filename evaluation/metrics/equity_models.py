"""Cohort equity, part two: tests of difference and comparisons adjusted for who was referred.

In: an outcome-rates table (for tests) or validated participants (for models). Out: frozen
results naming their method. Tests: is there any difference across groups (Pearson's chi-square,
or Fisher's exact test where expected counts are small), and which groups differ from the
reference (Fisher's exact test on each 2x2 table, Holm's correction). Models: logistic regression
(statsmodels GLM, binomial) of the outcome on the group and the adjustment variables, reported as
odds ratios and, more plainly, as standardised rates: the predicted rate if everyone modelled
were in group g, against the same if everyone were in the reference group, with delta-method
intervals. Groups too small to model are reported as "too few to say", never dropped silently.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from evaluation.metrics.equity_groups import (
    GROUPINGS,
    UNKNOWN,
    at_stage,
    check_grouping,
    check_stage,
    group_order,
    people,
    resolve_reference,
)
from evaluation.metrics.equity_readings import readings

Pairs = Literal["reference", "all"]
ADJUSTABLE: tuple[str, ...] = (*GROUPINGS, "area_code", "referral_source")
POOLED_LEVEL = "Other (levels too small to model)"
DEFAULT_SEED = 20250401


@dataclass(frozen=True)
class DifferenceTest:
    """Whether a rate differs across a grouping's groups, and which pairs of groups differ."""

    grouping: str
    stage: str
    test: str  # the overall test, named in words
    statistic: float | None
    dof: int | None
    p_value: float | None
    groups: tuple[str, ...]  # the groups tested (unknown and empty groups are left out)
    pairwise: pd.DataFrame  # group, versus, p_value, p_holm, differs
    correction: str = "Holm"


def difference_test(
    table: pd.DataFrame,
    *,
    pairs: Pairs = "reference",
    min_expected: float = 5.0,
    include_unknown: bool = False,
    seed: int = DEFAULT_SEED,
    n_resamples: int = 9999,
) -> DifferenceTest:
    """Test for any difference in one grouping's rates, then compare groups pairwise.

    ``table`` is one grouping (and stage) of an outcome-rates table. The overall test is
    Pearson's chi-square (no continuity correction) when every expected count is at least
    ``min_expected``; otherwise Fisher's exact test, exact for two groups and by Monte Carlo
    (``n_resamples`` tables from a seeded generator, so reruns agree) for more. Pairwise tests
    are Fisher's exact test on each 2x2 table, of each group against the reference
    (``pairs="reference"``) or of every pair (``"all"``), with Holm's step-down correction.
    "Prefer not to say" and "Not recorded" are left out unless ``include_unknown``.
    """
    if pairs not in ("reference", "all"):
        raise ValueError(f"pairs must be 'reference' or 'all', got {pairs!r}")
    keys = ["grouping", "stage"] if "stage" in table else ["grouping"]
    if table[keys].drop_duplicates().shape[0] != 1:
        raise ValueError("difference_test takes one grouping (and stage) at a time")
    grouping = str(table["grouping"].iloc[0])
    stage = str(table["stage"].iloc[0]) if "stage" in table else ""
    t = table[pd.to_numeric(table["n"]) > 0]
    if not include_unknown:
        t = t[~t["group"].astype(str).isin(UNKNOWN)]
    k = pd.to_numeric(t["k"]).astype(int).to_numpy()
    n = pd.to_numeric(t["n"]).astype(int).to_numpy()
    groups = tuple(t["group"].astype(str))
    empty_pairs = pd.DataFrame(
        columns=["grouping", "stage", "group", "versus", "test", "p_value", "p_holm", "differs"]
    )
    if len(groups) < 2:
        return DifferenceTest(
            grouping, stage, "not tested: fewer than two groups", None, None, None, groups, empty_pairs
        )
    observed = np.vstack([k, n - k])
    if (observed.sum(axis=1) == 0).any():
        test, statistic, dof, p = "not tested: every group has the same outcome", None, None, None
    elif stats.contingency.expected_freq(observed).min() >= min_expected:
        res = stats.chi2_contingency(observed, correction=False)
        test, statistic, dof, p = (
            "Pearson's chi-square test",
            float(res.statistic),
            int(res.dof),
            float(res.pvalue),
        )
    elif len(groups) == 2:
        res = stats.fisher_exact(observed)
        test, statistic, dof, p = "Fisher's exact test", None, None, float(res.pvalue)
    else:
        method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
        res = stats.fisher_exact(observed, method=method)
        test = f"Fisher's exact test (Monte Carlo, {n_resamples:,} tables, seed {seed})"
        statistic, dof, p = None, None, float(res.pvalue)
    return DifferenceTest(
        grouping, stage, test, statistic, dof, p, groups, _pairwise(t, grouping, stage, pairs)
    )


def _pairwise(t: pd.DataFrame, grouping: str, stage: str, pairs: Pairs) -> pd.DataFrame:
    counts = {str(g): (int(k), int(n)) for g, k, n in zip(t["group"], t["k"], t["n"], strict=True)}
    reference = str(t["reference"].iloc[0]) if "reference" in t else None
    if pairs == "reference":
        if reference not in counts:
            todo: list[tuple[str, str]] = []
        else:
            todo = [(g, reference) for g in counts if g != reference]
    else:
        todo = list(combinations(counts, 2))
    rows = []
    for a, b in todo:
        (ka, na), (kb, nb) = counts[a], counts[b]
        p = float(stats.fisher_exact([[ka, na - ka], [kb, nb - kb]]).pvalue)
        rows.append({"grouping": grouping, "stage": stage, "group": a, "versus": b, "p_value": p})
    out = pd.DataFrame(rows, columns=["grouping", "stage", "group", "versus", "p_value"])
    out.insert(4, "test", "Fisher's exact test")
    if out.empty:
        return out.assign(p_holm=pd.Series(dtype=float), differs=pd.Series(dtype=bool))
    p_holm = holm(out["p_value"].to_numpy())
    return out.assign(p_holm=p_holm, differs=p_holm < 0.05)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (as statsmodels ``multipletests(method="holm")``).

    Written out because statsmodels' version runs a full garbage collection on every call,
    which cost a quarter of a second per grouping here; the tests check the two agree.
    """
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.maximum.accumulate(p[order] * (m - np.arange(m)))
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


@dataclass(frozen=True)
class AdjustedComparison:
    """One grouping's outcome compared with the reference group after adjustment.

    ``table`` has one row per group: k, n, the crude rate, the odds ratio with its interval, the
    standardised (adjusted) rate, its difference from the reference's with an interval, the
    adjusted rate ratio with an interval, whether the group was modelled, and the reading.
    """

    grouping: str
    stage: str
    reference: str | None
    adjusted_for: tuple[str, ...]
    n_modelled: int
    method: str
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default=())


METHOD_ADJUSTED = (
    "Logistic regression (statsmodels GLM, binomial, logit link) of the outcome on the group and "
    "the adjustment variables; odds ratios with Wald 95% intervals. Adjusted rates by "
    "standardisation over everyone modelled (the mean predicted rate were all in group g); the "
    "difference from the reference and the ratio to it have delta-method 95% intervals (the "
    "ratio's on the log scale)."
)

_TABLE_COLUMNS = (
    "grouping", "stage", "group", "reference", "k", "n", "rate", "odds_ratio", "or_lower", "or_upper",
    "adjusted_rate", "adjusted_difference", "ad_lower", "ad_upper", "adjusted_ratio", "ar_lower",
    "ar_upper", "modelled", "method",
)  # fmt: skip


def _pool_levels(values: pd.Series, y: pd.Series, min_count: int) -> pd.Series:
    """Levels with fewer than ``min_count`` people, or one outcome only, pooled into one level."""
    summary = y.groupby(values).agg(["size", "sum"])
    small = summary.index[
        (summary["size"] < min_count) | (summary["sum"] == 0) | (summary["sum"] == summary["size"])
    ]
    return values.where(~values.isin(small), POOLED_LEVEL)


def _dummies(values: pd.Series, baseline: str, levels: list[str], prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {f"{prefix}={lvl}": (values == lvl).astype(float) for lvl in levels if lvl != baseline},
        index=values.index,
    )


def adjusted_comparison(
    participants: pd.DataFrame,
    *,
    by: str,
    stage: Literal["starts", "job_outcomes"],
    reference: str | None,
    adjust_for: tuple[str, ...] = ("age_band", "area_code", "referral_source"),
    min_count: int = 10,
    material_rate_ratio: float = 0.8,
) -> AdjustedComparison:
    """Outcome by group, adjusted for ``adjust_for`` (default: age band, area, referral source).

    A group is modelled when it has at least ``min_count`` people and both outcomes occur in it
    (otherwise its coefficient is not estimable, "separation"); the rest are left out of the
    model and read "too few to say". Adjustment levels that are small or have one outcome only
    are pooled; a variable with one level left adjusts nothing and is dropped (both noted). If
    the reference group cannot be modelled, or the fit fails, every group reads "too few to say".
    """
    check_grouping(by)
    everyone = people(participants)
    return adjusted_from_frame(
        at_stage(everyone, stage=stage),
        by=by,
        stage=stage,
        reference=resolve_reference(by, reference, everyone.groupby(by).size()),
        adjust_for=adjust_for,
        min_count=min_count,
        material_rate_ratio=material_rate_ratio,
    )


def adjusted_from_frame(
    frame: pd.DataFrame,
    *,
    by: str,
    stage: str,
    reference: str | None,
    adjust_for: tuple[str, ...],
    min_count: int,
    material_rate_ratio: float,
) -> AdjustedComparison:
    """``adjusted_comparison`` on an ``analysis_frame`` already made (for many groupings at once)."""
    check_grouping(by)
    check_stage(stage)
    unknown = [c for c in adjust_for if c not in ADJUSTABLE]
    if unknown:
        raise ValueError(f"cannot adjust for {', '.join(unknown)}; expected some of {', '.join(ADJUSTABLE)}")
    counts = frame.groupby(by)["y"].agg(n="size", k="sum")
    counts = counts.reindex(group_order(by, list(counts.index)))
    reference = resolve_reference(by, reference, counts["n"])
    modelled = [str(g) for g, r in counts.iterrows() if r["n"] >= min_count and 0 < r["k"] < r["n"]]
    notes: list[str] = []
    base = pd.DataFrame(
        {
            "grouping": by,
            "stage": stage,
            "group": counts.index.astype(str),
            "reference": reference,
            "k": counts["k"].astype(int).to_numpy(),
            "n": counts["n"].astype(int).to_numpy(),
        }
    )
    base["rate"] = base["k"] / base["n"]
    covariates = tuple(c for c in adjust_for if c != by)
    if reference not in modelled:
        notes.append(f"The reference group {reference!r} is too small to model (or has one outcome only).")
        return _finish(base, {}, by, stage, reference, covariates, 0, notes, min_count, material_rate_ratio)
    if len(modelled) < 2:
        notes.append("No group other than the reference is large enough to model.")
        return _finish(base, {}, by, stage, reference, covariates, 0, notes, min_count, material_rate_ratio)
    data = frame[frame[by].isin(modelled)]
    y = data["y"].astype(float)
    cells = pd.DataFrame({by: data[by].astype(str)}, index=data.index)
    used = []
    pooled: dict[str, pd.Series] = {}
    for c in covariates:
        values = _pool_levels(data[c].astype(str), y, min_count)
        if values.nunique() < 2:
            notes.append(f"{c} has one level among those modelled, so it adjusts nothing and is left out.")
            continue
        cells[c] = pooled[c] = values
        used.append(c)
    # One row per pattern of group and adjustment levels, with its people and outcomes: the
    # same likelihood as one row per person, and far quicker to fit.
    cells = (
        cells.assign(y=y).groupby(list(cells.columns), sort=True)["y"].agg(n="size", k="sum").reset_index()
    )
    parts = [pd.DataFrame({"const": 1.0}, index=cells.index), _dummies(cells[by], reference, modelled, by)]
    for c in used:
        counts_c = pooled[c].value_counts()
        parts.append(_dummies(cells[c], str(counts_c.index[0]), sorted(counts_c.index), c))
    design = pd.concat(parts, axis=1)
    X = design.to_numpy(dtype=float)
    k_cells, n_cells = cells["k"].to_numpy(float), cells["n"].to_numpy(float)
    used_t = tuple(used)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        notes.append(
            "The adjustment variables are collinear with the groups; no adjusted comparison is made."
        )
        return _finish(base, {}, by, stage, reference, used_t, 0, notes, min_count, material_rate_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        # IRLS's working regression divides by its residual degrees of freedom, zero when every
        # pattern has its own parameter; the binomial scale is fixed at 1, so nothing is lost.
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning, "statsmodels")
        try:
            endog = np.column_stack([k_cells, n_cells - k_cells])
            fit = GLM(endog, X, family=families.Binomial()).fit()
        except (
            PerfectSeparationError,
            PerfectSeparationWarning,
            ConvergenceWarning,
            np.linalg.LinAlgError,
        ) as err:
            notes.append(f"The model could not be fitted reliably ({type(err).__name__}).")
            return _finish(base, {}, by, stage, reference, used_t, 0, notes, min_count, material_rate_ratio)
    estimates = _standardise(fit, X, n_cells, list(design.columns), by, modelled, reference)
    return _finish(
        base, estimates, by, stage, reference, used_t, len(data), notes, min_count, material_rate_ratio
    )


def _standardise(
    fit, X: np.ndarray, weights: np.ndarray, names: list[str], by: str, modelled: list[str], reference: str
) -> dict[str, dict[str, float]]:
    """Odds ratios, standardised rates and their contrasts with the reference, by group.

    Each pattern of ``X`` stands for ``weights`` people; the standardised rate of group g is the
    people-weighted mean prediction with every pattern's group set to g, and its gradient in the
    coefficients gives the delta-method variances.
    """
    beta = np.asarray(fit.params)
    cov = np.asarray(fit.cov_params())
    ci = np.asarray(fit.conf_int(alpha=0.05))
    z = stats.norm.ppf(0.975)
    w = weights / weights.sum()
    group_cols = {g: names.index(f"{by}={g}") for g in modelled if g != reference}
    margins = {}
    for g in modelled:
        Xg = X.copy()
        Xg[:, list(group_cols.values())] = 0.0
        if g in group_cols:
            Xg[:, group_cols[g]] = 1.0
        p = expit(Xg @ beta)
        margins[g] = (float(w @ p), (w * p * (1 - p)) @ Xg)
    m0, g0 = margins[reference]
    out = {}
    for g in modelled:
        m, grad = margins[g]
        row = {"adjusted_rate": m}
        if g == reference:
            row.update(odds_ratio=1.0, adjusted_difference=0.0, adjusted_ratio=1.0)
        else:
            j = group_cols[g]
            d_grad, r_grad = grad - g0, grad / m - g0 / m0
            se_d = float(np.sqrt(d_grad @ cov @ d_grad))
            se_r = float(np.sqrt(r_grad @ cov @ r_grad))
            ratio = m / m0
            row.update(
                odds_ratio=float(np.exp(beta[j])),
                or_lower=float(np.exp(ci[j, 0])),
                or_upper=float(np.exp(ci[j, 1])),
                adjusted_difference=m - m0,
                ad_lower=m - m0 - z * se_d,
                ad_upper=m - m0 + z * se_d,
                adjusted_ratio=ratio,
                ar_lower=float(ratio * np.exp(-z * se_r)),
                ar_upper=float(ratio * np.exp(z * se_r)),
            )
        out[g] = row
    return out


def _finish(
    base: pd.DataFrame,
    estimates: dict[str, dict[str, float]],
    by: str,
    stage: str,
    reference: str | None,
    used: tuple[str, ...],
    n_modelled: int,
    notes: list[str],
    min_count: int,
    material_rate_ratio: float,
) -> AdjustedComparison:
    table = base.copy()
    for col in _TABLE_COLUMNS:
        if col not in table:
            table[col] = [estimates.get(g, {}).get(col, np.nan) for g in table["group"]]
    table["modelled"] = table["group"].isin(list(estimates))
    method = METHOD_ADJUSTED + (f" Adjusted for: {', '.join(used)}." if used else " Nothing to adjust for.")
    table["method"] = method
    view = table.rename(
        columns={"adjusted_ratio": "rate_ratio", "ar_lower": "rr_lower", "ar_upper": "rr_upper"}
    )
    table["reading"] = readings(view, material_rate_ratio=material_rate_ratio, min_count=min_count)["reading"]
    return AdjustedComparison(
        grouping=by,
        stage=stage,
        reference=reference,
        adjusted_for=used,
        n_modelled=n_modelled,
        method=method,
        table=table.loc[:, [*_TABLE_COLUMNS, "reading"]].reset_index(drop=True),
        notes=tuple(notes),
    )
