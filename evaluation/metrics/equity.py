"""Cohort equity: who is reached and who succeeds, by protected characteristic and cohort.

In: validated participant journeys (one run's areas), the run's equity parameters and the
eligible population by group. Out: tidy tables with one row per group: grouping, stage, group,
reference, k, n, rate, lower, upper (Wilson, from ``intervals``), method, the rate ratio to the
reference group with its interval (rate_ratio, rr_lower, rr_upper), the rate difference with its
interval, and a reading ("material gap", "too few to say", ...). People-count columns are named
k and n, as ``published.COUNT_COLUMNS`` expects, so disclosure control can protect them.

Methods, stated in every table's ``method`` and ``comparison_method`` columns:
- rates: the Wilson score interval (``intervals.wilson_columns``);
- rate ratio to the reference group: the log (Katz) interval, via statsmodels
  ``confint_proportions_2indep(compare="ratio", method="log")``, with 0.5 added to every cell
  of the 2x2 table where one is zero (Haldane-Anscombe), since the log method fails there;
- rate difference: Newcombe's hybrid score interval, built from the same Wilson intervals that
  the table shows (identical to statsmodels' "newcomb");
- reach: share of participants in a group against the group's share of the eligible population
  (a representation ratio), its interval the Wilson interval of the participant share divided
  by the eligible share, which is treated as known (its survey error is not carried).

The parts: ``equity_groups`` (who is in which group), ``equity_models`` (tests and adjusted
comparisons), ``equity_readings`` (readings and actions). This module re-exports their public
names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from evaluation.data import vocab
from evaluation.metrics.equity_groups import (
    AGE_BANDS,
    COHORTS,
    GROUPINGS,
    LABELS,
    NOT_RECORDED,
    PLACE,
    PROTECTED,
    SEPARATOR,
    STAGES,
    UNKNOWN,
    Stage,
    allowed_groups,
    analysis_frame,
    at_stage,
    characteristics,
    check_grouping,
    check_stage,
    group_order,
    people,
    resolve_reference,
)
from evaluation.metrics.equity_models import (
    AdjustedComparison,
    DifferenceTest,
    adjusted_comparison,
    adjusted_from_frame,
    difference_test,
)
from evaluation.metrics.equity_readings import READING_RULES, READINGS, actions, readings
from evaluation.metrics.intervals import wilson_columns
from evaluation.params import Equity

__all__ = [
    "AGE_BANDS",
    "COHORTS",
    "GROUPINGS",
    "LABELS",
    "NOT_RECORDED",
    "PLACE",
    "PROTECTED",
    "READINGS",
    "READING_RULES",
    "STAGES",
    "AdjustedComparison",
    "DifferenceTest",
    "actions",
    "adjusted_comparison",
    "analysis_frame",
    "characteristics",
    "check_stage",
    "difference_test",
    "eligible_population",
    "equity_tables",
    "intersections",
    "outcome_rates",
    "readings",
    "reference_groups",
    "representation",
]

COMPARISON_METHOD = (
    "Rate ratio to the reference group, 95% interval by the log (Katz) method (0.5 added to "
    "every cell where one is zero); rate difference, 95% interval by Newcombe's hybrid score "
    "method."
)
REPRESENTATION_METHOD = (
    "Representation ratio: the group's share of participants / its share of the eligible "
    "population; 95% interval: the Wilson interval of the participant share / the eligible share, "
    "which is treated as known (the survey's own error is not carried, so the interval is "
    "narrower than it would be if it were). Participants whose group is not in the eligible "
    "breakdown are left out of both shares."
)
ELIGIBLE = "eligible population"
ADJUST_FOR: tuple[str, ...] = ("age_band", "area_code", "referral_source")
COLUMNS = (
    "grouping", "stage", "group", "reference", "k", "n", "rate", "lower", "upper", "method",
    "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper", "comparison_method",
)  # fmt: skip


def katz(k: np.ndarray, n: np.ndarray, k0: int, n0: int) -> tuple[np.ndarray, np.ndarray]:
    """95% log (Katz) interval of the ratio (k/n) / (k0/n0), via statsmodels.

    Where a cell of the 2x2 table is zero (no outcomes, or everyone had the outcome, in either
    group) the log method has no variance or an infinite one, so 0.5 is added to every cell
    (the Haldane-Anscombe correction: k + 0.5 of n + 1) for that interval only.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    zero = (k == 0) | (k == n) | (k0 == 0) | (k0 == n0)
    half = np.where(zero, 0.5, 0.0)
    lower, upper = confint_proportions_2indep(
        k + half, n + 2 * half, k0 + half, n0 + 2 * half, compare="ratio", method="log"
    )
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _compare(rates: pd.DataFrame, reference: str | None) -> pd.DataFrame:
    """Rate ratio (Katz log interval) and difference (Newcombe) of each group to the reference."""
    out = rates.copy()
    nan = np.full(len(out), np.nan)
    cols = {
        c: nan.copy()
        for c in ("rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper")
    }
    ref = out[out["group"] == reference]
    if len(ref) == 1 and int(ref["n"].iloc[0]) > 0:
        k0, n0 = int(ref["k"].iloc[0]), int(ref["n"].iloc[0])
        p0, l0, u0 = (float(ref[c].iloc[0]) for c in ("rate", "lower", "upper"))
        k, n = out["k"].to_numpy(int), out["n"].to_numpy(int)
        p, lo, hi = (out[c].to_numpy(float) for c in ("rate", "lower", "upper"))
        is_ref = (out["group"] == reference).to_numpy()
        has = n > 0
        # No ratio to a reference rate of zero.
        ok = has & ~is_ref & (p0 > 0)
        if p0 > 0:
            cols["rate_ratio"] = np.where(has, p / p0, np.nan)
        if ok.any():
            low, upp = katz(k[ok], n[ok], k0, n0)
            # The corrected interval of a group with no outcomes misses its estimate of 0: run it from 0.
            cols["rr_lower"][ok] = np.where(k[ok] == 0, 0.0, low)
            cols["rr_upper"][ok] = upp
        # Newcombe's hybrid score: the two Wilson intervals' half-widths combined in quadrature.
        d = p - p0
        cols["rate_difference"] = np.where(has, d, np.nan)
        cols["rd_lower"] = np.where(has & ~is_ref, d - np.sqrt((p - lo) ** 2 + (u0 - p0) ** 2), np.nan)
        cols["rd_upper"] = np.where(has & ~is_ref, d + np.sqrt((hi - p) ** 2 + (p0 - l0) ** 2), np.nan)
    for name, values in cols.items():
        out[name] = values
    out["comparison_method"] = COMPARISON_METHOD
    return out


def _rates(
    frame: pd.DataFrame, column: str, *, grouping: str, stage: str, reference: str | None, order: list[str]
) -> pd.DataFrame:
    counts = frame.groupby(column)["y"].agg(n="size", k="sum").reindex(order)
    rates = wilson_columns(counts["k"], counts["n"])
    rates.insert(0, "group", [str(g) for g in counts.index])
    rates.insert(0, "reference", reference)
    rates.insert(0, "stage", stage)
    rates.insert(0, "grouping", grouping)
    out = _compare(rates.reset_index(drop=True), reference)
    return out.loc[:, list(COLUMNS)]


def outcome_rates(
    participants: pd.DataFrame, *, by: str, stage: Stage, reference: str | None = None
) -> pd.DataFrame:
    """Each group's rate at a stage with its Wilson interval, compared with the reference group.

    starts: started / referred; job_outcomes: evidenced jobs / starts (to date). ``reference``
    None takes "No" for a cohort flag and otherwise the recorded group with the most people
    referred; the table's ``reference`` column names it either way.
    """
    return _outcome_rates(people(participants), by=by, stage=stage, reference=reference)


def _reference(everyone: pd.DataFrame, by: str, reference: str | None) -> str | None:
    """The stated reference checked, or the default chosen by people referred (so both stages
    compare with the same group)."""
    return resolve_reference(by, reference, everyone.groupby(by).size())


def _outcome_rates(everyone: pd.DataFrame, *, by: str, stage: str, reference: str | None) -> pd.DataFrame:
    check_grouping(by)
    reference = _reference(everyone, by, reference)
    frame = at_stage(everyone, stage=stage)
    order = group_order(by, frame[by].unique())
    return _rates(frame, by, grouping=by, stage=stage, reference=reference, order=order)


def reference_groups(equity: Equity) -> dict[str, str]:
    """The stated reference groups, with the broad ethnic group taken from the detailed one."""
    refs = dict(equity.reference_groups)
    if "ethnic_group" not in refs and "ethnicity" in refs:
        refs["ethnic_group"] = vocab.broad_ethnic_group(refs["ethnicity"])
    return refs


def intersections(
    participants: pd.DataFrame,
    *,
    pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    stage: Stage,
    reference: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Outcome rates for the intersection of two groupings (e.g. sex and ethnic group).

    The grouping is named "a / b" and each group "value of a / value of b"; the reference is
    the pair of the two stated reference groups (or, if either is not stated, the recorded
    intersection with the most people referred). Intersections are small: expect most cells
    to read "too few to say".
    """
    return _intersections(people(participants), pairs=pairs, stage=stage, reference=reference)


def _intersections(
    everyone: pd.DataFrame,
    *,
    pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    stage: str,
    reference: Mapping[str, str | None] | None,
) -> pd.DataFrame:
    refs = {k: v for k, v in (reference or {}).items() if v is not None}
    frame = at_stage(everyone, stage=stage)
    parts = []
    for a, b in pairs:
        check_grouping(a)
        check_grouping(b)
        if a == b:
            raise ValueError(f"an intersection needs two different groupings, got {a!r} twice")
        name = f"{a}{SEPARATOR}{b}"
        present = frame[[a, b]].drop_duplicates()
        rank_a, rank_b = group_order(a, present[a]), group_order(b, present[b])
        present = present.assign(_ia=present[a].map(rank_a.index), _ib=present[b].map(rank_b.index))
        present = present.sort_values(["_ia", "_ib"])
        order = list(present[a].astype(str) + SEPARATOR + present[b].astype(str))
        if a in refs and b in refs:
            ref_a = resolve_reference(a, refs[a], pd.Series(dtype=int))
            ref_b = resolve_reference(b, refs[b], pd.Series(dtype=int))
            ref = f"{ref_a}{SEPARATOR}{ref_b}"
        else:
            sizes = everyone.groupby([a, b]).size()
            known = sizes[[not (x in UNKNOWN or y in UNKNOWN) for x, y in sizes.index]]
            ref = SEPARATOR.join(known.idxmax()) if not known.empty else None
        f = frame.assign(**{name: frame[a].astype(str) + SEPARATOR + frame[b].astype(str)})
        parts.append(_rates(f, name, grouping=name, stage=stage, reference=ref, order=order))
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(parts, ignore_index=True)


def eligible_population(
    area_statistics: pd.DataFrame, *, area_codes: tuple[str, ...], period_end: object
) -> pd.DataFrame:
    """The eligible population by reason for inactivity (columns group, population).

    From the validated area statistics of the run's areas at one survey period end, leaving out
    the "All reasons" total (its components may not sum to it: Rotherham's published reasons sum
    to 45,900 of 46,600, the rest not published for the district).
    """
    s = area_statistics[
        area_statistics["area_code"].isin(list(area_codes))
        & (area_statistics["period_end"] == pd.Timestamp(period_end))
        & (area_statistics["reason"] != vocab.ALL_REASONS)
    ]
    out = s.groupby("reason", sort=False)["inactive_count"].sum().astype(int)
    return pd.DataFrame({"group": out.index.astype(str), "population": out.to_numpy()})


def representation(
    participants: pd.DataFrame,
    eligible: pd.DataFrame,
    *,
    by: str = "inactivity_reason",
    stage: Literal["referrals", "starts"] = "referrals",
) -> pd.DataFrame:
    """Participants against the eligible population, group by group (``REPRESENTATION_METHOD``).

    ``eligible`` has columns group and population (e.g. Rotherham's economically inactive
    residents by reason). k is the group's participants, n the participants in any eligible
    group; every eligible group is shown, one with no participants as k = 0, not left out.
    """
    check_grouping(by)
    if stage not in ("referrals", "starts"):
        raise ValueError(f"stage must be 'referrals' or 'starts', got {stage!r}")
    missing = {"group", "population"} - set(eligible.columns)
    if missing:
        raise ValueError(f"the eligible population lacks the columns {', '.join(sorted(missing))}")
    groups = eligible["group"].astype(str)
    if groups.duplicated().any():
        raise ValueError(
            f"the eligible population names a group twice: {', '.join(groups[groups.duplicated()])}"
        )
    population = pd.to_numeric(eligible["population"], errors="raise").astype(float)
    if (population < 0).any() or population.sum() <= 0:
        raise ValueError("eligible populations must be non-negative and not all zero")
    allowed = allowed_groups(by)
    strange = [g for g in groups if allowed is not None and g not in allowed]
    if strange:
        raise ValueError(
            f"eligible groups {', '.join(strange)} are not groups of {by}; expected some of {', '.join(allowed or ())}"
        )
    frame = people(participants)
    if stage == "starts":
        frame = frame[frame["started"]]
    values = frame[by].astype(str)
    inside = values[values.isin(list(groups))]
    k = inside.value_counts().reindex(list(groups), fill_value=0)
    n = pd.Series(len(inside), index=k.index)
    out = wilson_columns(k, n).reset_index(drop=True)
    share = (population / population.sum()).to_numpy()
    out.insert(0, "group", list(groups))
    out.insert(0, "reference", ELIGIBLE)
    out.insert(0, "stage", stage)
    out.insert(0, "grouping", by)
    out["population"] = population.astype(int).to_numpy()
    out["eligible_share"] = share
    # No ratio to an eligible share of zero (a group the survey found no one in).
    safe = np.where(share > 0, share, np.nan)
    out["rate_ratio"] = out["rate"] / safe
    out["rr_lower"] = out["lower"] / safe
    out["rr_upper"] = out["upper"] / safe
    out["comparison_method"] = REPRESENTATION_METHOD
    return out


def equity_tables(
    participants: pd.DataFrame,
    params_equity: Equity,
    eligible: pd.DataFrame | None,
    *,
    min_count: int = 10,
    groupings: tuple[str, ...] = GROUPINGS,
) -> dict[str, pd.DataFrame]:
    """Every equity table the documents use, for the standard groupings and both stages.

    Tables: representation (reach by inactivity reason), outcomes (every grouping), intersections
    (from the parameters), adjusted (protected characteristics and cohorts), difference_tests and
    pairwise (every grouping), and actions (one column, "action"). Rate tables carry readings at
    the parameters' material rate ratio and ``min_count``.
    """
    refs = reference_groups(params_equity)
    t = params_equity.material_rate_ratio

    def read(table: pd.DataFrame) -> pd.DataFrame:
        return readings(table, material_rate_ratio=t, min_count=min_count)

    everyone = people(participants)
    frames = {stage: at_stage(everyone, stage=stage) for stage in STAGES}
    refs = {by: _reference(everyone, by, refs.get(by)) for by in groupings} | refs
    tables: dict[str, pd.DataFrame] = {}
    if eligible is not None and not eligible.empty:
        tables["representation"] = read(representation(participants, eligible))
    else:
        tables["representation"] = read(pd.DataFrame(columns=[*COLUMNS, "population", "eligible_share"]))
    outcomes, adjusted, tests, pairwise = [], [], [], []
    for by in groupings:
        for stage in STAGES:
            table = _outcome_rates(everyone, by=by, stage=stage, reference=refs.get(by))
            outcomes.append(table)
            res = difference_test(table)
            tests.append(
                {
                    "grouping": by,
                    "stage": stage,
                    "test": res.test,
                    "statistic": res.statistic,
                    "dof": res.dof,
                    "p_value": res.p_value,
                    "groups_tested": len(res.groups),
                    "correction": res.correction,
                }
            )
            pairwise.append(res.pairwise)
            if by in PROTECTED or by in COHORTS:
                adj = adjusted_from_frame(
                    frames[stage],
                    by=by,
                    stage=stage,
                    reference=refs.get(by),
                    adjust_for=ADJUST_FOR,
                    min_count=min_count,
                    material_rate_ratio=t,
                )
                adjusted.append(adj.table.assign(notes=" ".join(adj.notes)))
    # Read once over every grouping and stage: a group's reading needs only its own row and its
    # reference's in the same grouping and stage, so reading the whole at once gives the same.
    tables["outcomes"] = read(pd.concat(outcomes, ignore_index=True))
    tables["intersections"] = read(
        pd.concat(
            [
                _intersections(everyone, pairs=params_equity.intersections, stage=s, reference=refs)
                for s in STAGES
            ],
            ignore_index=True,
        )
    )
    tables["adjusted"] = pd.concat(adjusted, ignore_index=True) if adjusted else pd.DataFrame()
    tables["difference_tests"] = pd.DataFrame(tests)
    nonempty = [p for p in pairwise if not p.empty]
    tables["pairwise"] = pd.concat(nonempty, ignore_index=True) if nonempty else pd.DataFrame()
    stacked = pd.concat(
        [tables[name] for name in ("representation", "outcomes", "intersections") if not tables[name].empty],
        ignore_index=True,
    )
    tables["actions"] = pd.DataFrame({"action": actions(stacked) if not stacked.empty else []})
    return tables
