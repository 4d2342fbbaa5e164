"""Cohort equity, part three: what each group's figures say, and what to do about them.

In: a tidy equity table (grouping, group, reference, k, n, rate_ratio, rr_lower, rr_upper and,
where several are stacked, stage). Out: the same table with a ``reading`` for every group, and
plain-English actions for the Equalities Analysis Part B. Actions name groups, never numbers, so
they disclose nothing that disclosure control would withhold from the tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.metrics.equity_groups import COHORTS, LABELS, NO, SEPARATOR, UNKNOWN, YES

TOO_FEW = "too few to say"
MATERIAL_GAP = "material gap"
POSSIBLE_GAP = "possible gap"
HIGHER = "higher than reference"
NO_MATERIAL_GAP = "no material gap"
REFERENCE = "reference group"
READINGS: tuple[str, ...] = (MATERIAL_GAP, POSSIBLE_GAP, HIGHER, NO_MATERIAL_GAP, TOO_FEW, REFERENCE)

READING_RULES = (
    "A group's rate is compared with its reference group's as a rate ratio with a 95% interval "
    "(for reach, its share of people referred against its share of the eligible population). "
    "'material gap': the ratio is below the material threshold and its interval lies wholly "
    "below 1. 'possible gap': below the threshold but the interval includes 1, so the data "
    "cannot yet tell. 'higher than reference': above 1 / threshold with the interval wholly above "
    "1, a gap for the reference group. 'no material gap': none of these. 'too few to say': fewer "
    "than the minimum count of people in the group or its reference, or fewer than that many "
    "outcomes unless even so the interval shows a material gap. A small group is never read as "
    "having no gap."
)

_STAGE_WORDS = {
    "referrals": "reach",
    "starts": "start rates (referral to start)",
    "job_outcomes": "job outcome rates (start to evidenced job)",
}


def _check_options(material_rate_ratio: float, min_count: int) -> None:
    if not 0 < material_rate_ratio < 1:
        raise ValueError(f"material_rate_ratio must lie between 0 and 1, got {material_rate_ratio}")
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}")


def _keys(table: pd.DataFrame) -> list[str]:
    return ["grouping", "stage"] if "stage" in table else ["grouping"]


def readings(table: pd.DataFrame, *, material_rate_ratio: float = 0.8, min_count: int = 10) -> pd.DataFrame:
    """A copy of ``table`` with a ``reading`` for each group (the rules are ``READING_RULES``).

    The reference group's own counts are taken from its row in the same grouping (and stage);
    where no such row exists (reach, whose reference is the eligible population), there is none
    to check.
    """
    _check_options(material_rate_ratio, min_count)
    needed = {"grouping", "group", "reference", "k", "n", "rate_ratio", "rr_lower", "rr_upper"}
    missing = needed - set(table.columns)
    if missing:
        raise ValueError(f"the table lacks the columns {', '.join(sorted(missing))}")
    out = table.copy()
    if out.empty:
        return out.assign(reading=pd.Series(dtype=object))
    k = pd.to_numeric(out["k"]).astype(float)
    n = pd.to_numeric(out["n"]).astype(float)
    rr = pd.to_numeric(out["rate_ratio"]).astype(float)
    lo = pd.to_numeric(out["rr_lower"]).astype(float)
    hi = pd.to_numeric(out["rr_upper"]).astype(float)
    is_ref = out["group"].astype(str) == out["reference"].astype(str)
    keys = [out[c].astype(str) for c in _keys(out)]
    ref_k = k.where(is_ref).groupby(keys).transform("max")
    ref_n = n.where(is_ref).groupby(keys).transform("max")
    t = material_rate_ratio
    own_small = (n < min_count) | (k < min_count)
    ref_small = (ref_n < min_count) | (ref_k < min_count)
    gap = (rr < t) & (hi < 1)
    conditions = [
        is_ref & own_small,
        is_ref,
        (n < min_count) | ref_small | rr.isna() | lo.isna() | hi.isna(),
        gap,
        k < min_count,
        (rr > 1 / t) & (lo > 1),
        rr < t,
    ]
    choices = [TOO_FEW, REFERENCE, TOO_FEW, MATERIAL_GAP, TOO_FEW, HIGHER, POSSIBLE_GAP]
    out["reading"] = np.select(conditions, choices, default=NO_MATERIAL_GAP)
    return out


# Groups with a plain-English name of their own; other groups are named "value (grouping)".
_NOUNS: dict[tuple[str, str], str] = {
    ("sex", "Female"): "women",
    ("sex", "Male"): "men",
    ("disability", YES): "disabled people",
    ("disability", NO): "people who are not disabled",
    ("pregnancy_maternity", YES): "people pregnant or on maternity leave",
    ("pregnancy_maternity", NO): "people neither pregnant nor on maternity leave",
    ("gender_reassignment", YES): "people whose gender identity differs from their sex registered at birth",
    ("gender_reassignment", NO): "people whose gender identity is their sex registered at birth",
    ("health_condition_type", "None"): "people with no main health condition",
    ("inactivity_reason", "Student"): "students",
    ("inactivity_reason", "Looking after family or home"): "people looking after family or home",
    ("inactivity_reason", "Long-term sick"): "people who are long-term sick",
    ("inactivity_reason", "Temporary sick"): "people who are temporarily sick",
    ("inactivity_reason", "Retired"): "people retired before state pension age",
    ("inactivity_reason", "Discouraged"): "discouraged workers",
    ("inactivity_reason", "Other"): "people inactive for other reasons",
}


def _label(grouping: str) -> str:
    """A grouping named in words; an intersection "a / b" as "a and b"."""
    return " and ".join(LABELS.get(part, part.replace("_", " ")) for part in grouping.split(SEPARATOR))


def _noun(grouping: str, group: str) -> str | None:
    if grouping in COHORTS and group in (YES, NO):
        return LABELS[grouping] if group == YES else f"people other than {LABELS[grouping]}"
    if (grouping, group) in _NOUNS:
        return _NOUNS[(grouping, group)]
    if grouping == "age_band":
        return f"people aged {group}"
    if grouping == "health_condition_type":
        return f"people whose main health condition is {group[:1].lower()}{group[1:]}"
    if grouping == "ward_name":
        return f"people living in {group} ward"
    if grouping == "imd_decile":
        return f"people living in deprivation decile {group} areas"
    return None


def _who(grouping: str, group: str) -> str:
    """A group named in words: "unpaid carers", "women", "Pakistani (ethnic group (detailed))"."""
    return _noun(grouping, group) or f"{group} ({_label(grouping)})"


def _who_many(grouping: str, groups: list[str]) -> str:
    """Several groups of one grouping named together."""
    nouns = [_noun(grouping, g) for g in groups]
    if all(nouns) and len(nouns) <= 2:
        return _listed([str(n) for n in nouns])
    return f"people in {_listed(groups)} ({_label(grouping)})"


def _is_unknown(group: str) -> bool:
    return any(part in UNKNOWN for part in str(group).split(SEPARATOR))


def _listed(names: list[str]) -> str:
    """Names joined in a sentence, every one of them (an equalities analysis names every group
    it cannot judge); by semicolons when a name holds a comma, as ethnic groups do."""
    sep = "; " if any("," in n for n in names) else ", "
    return names[0] if len(names) == 1 else f"{sep.join(names[:-1])} and {names[-1]}"


def actions(table: pd.DataFrame) -> list[str]:
    """Plain-English actions from a table with readings: gaps first, then data to improve.

    Groups whose value is unknown ("Prefer not to say", "Not recorded") prompt no equality
    action of their own. Each action names groups and measures only, never figures.
    """
    if "reading" not in table:
        raise ValueError("the table has no reading column; pass it through readings() first")
    rows = table[~table["group"].map(_is_unknown)]
    stage_of = rows["stage"] if "stage" in rows else pd.Series("job_outcomes", index=rows.index)
    gaps: list[str] = []
    higher: list[str] = []
    possible: list[str] = []
    data: list[str] = []
    for (grouping, stage), part in rows.groupby([rows["grouping"], stage_of], sort=False):
        grouping, reach = str(grouping), stage == "referrals"
        words = _STAGE_WORDS.get(str(stage), str(stage).replace("_", " "))
        reference = str(part["reference"].iloc[0])
        ref_who = _who(grouping, reference)
        for group, reading in zip(part["group"].astype(str), part["reading"], strict=True):
            who = _who(grouping, group)
            if reading == MATERIAL_GAP and reach:
                gaps.append(
                    f"Improve reach: {who} are under-represented among people referred, against "
                    "their share of the eligible population."
                )
            elif reading == MATERIAL_GAP:
                gaps.append(
                    f"Investigate lower {words} among {who} than among {ref_who}, and act on the causes."
                )
            elif reading == HIGHER and not reach:
                higher.append(
                    f"Investigate lower {words} among {ref_who} than among {who}, and learn from what works for {who}."
                )
            elif reading == POSSIBLE_GAP:
                versus = "their share of the eligible population" if reach else f"among {ref_who}"
                possible.append(
                    f"Monitor {'the reach' if reach else words} of {who}: lower than {versus}, but not yet clearly so."
                )
        few = part[part["reading"] == TOO_FEW]
        if (few["group"].astype(str) == reference).any():
            data.append(
                f"Improve data: the comparison group, {ref_who}, is too small to say whether {words} "
                f"differ by {_label(grouping)}."
            )
        others = [str(g) for g in few["group"] if str(g) != reference]
        if others:
            versus = "their share of the eligible population" if reach else f"those of {ref_who}"
            data.append(
                f"Improve data: too few {_who_many(grouping, others)} to say whether their {words} "
                f"differ from {versus}; gather more records or other evidence."
            )
    return list(dict.fromkeys(gaps + higher + possible + data))
