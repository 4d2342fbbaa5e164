"""Cohort equity, part one: the groups people are counted in.

In: validated participant journeys. Out: one text label per person for every grouping the equity
analysis uses (protected characteristics, the cohorts the papers name, and place), so that every
later table groups the same people the same way. No person is dropped: a value that was not
recorded is the group "Not recorded", and "Prefer not to say" is kept as its own group.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from evaluation.data import vocab
from evaluation.metrics import process

Stage = Literal["starts", "job_outcomes"]
STAGES: tuple[str, ...] = ("starts", "job_outcomes")

NOT_RECORDED = "Not recorded"
SEPARATOR = " / "  # joins the two groups of an intersection, e.g. "Female / White"
UNKNOWN: frozenset[str] = frozenset({vocab.PREFER_NOT_TO_SAY, NOT_RECORDED})
YES, NO = "Yes", "No"

AGE_BANDS: tuple[str, ...] = ("16 to 24", "25 to 49", "50 to 64", "65 and over")
WHITE_BRITISH = "White: English, Welsh, Scottish, Northern Irish or British"
ROMA = "White: Roma"
NEURODIVERGENCE = "Neurodivergence or learning disability"

PROTECTED: tuple[str, ...] = (
    "age_band",
    "sex",
    "disability",
    "health_condition_type",
    "ethnicity",
    "ethnic_group",
    "religion",
    "sexual_orientation",
    "pregnancy_maternity",
    "marriage_civil_partnership",
    "gender_reassignment",
)
COHORTS: tuple[str, ...] = (
    "carer",
    "care_leaver",
    "neet",
    "lone_parent",
    "social_housing",
    "neurodiverse",
    "ethnic_minority_woman",
    "roma",
)
PLACE: tuple[str, ...] = ("ward_name", "imd_decile")
CONTEXT: tuple[str, ...] = ("inactivity_reason",)
GROUPINGS: tuple[str, ...] = PROTECTED + COHORTS + PLACE + CONTEXT

# How each grouping is named in plain English (tables and actions).
LABELS: dict[str, str] = {
    "age_band": "age band",
    "sex": "sex",
    "disability": "disability",
    "health_condition_type": "main health condition",
    "ethnicity": "ethnic group (detailed)",
    "ethnic_group": "ethnic group (broad)",
    "religion": "religion or belief",
    "sexual_orientation": "sexual orientation",
    "pregnancy_maternity": "pregnancy and maternity",
    "marriage_civil_partnership": "marriage and civil partnership",
    "gender_reassignment": "gender reassignment",
    "carer": "unpaid carers",
    "care_leaver": "care leavers",
    "neet": "young people not in education, employment or training (NEET)",
    "lone_parent": "lone parents",
    "social_housing": "social housing tenants",
    "neurodiverse": "neurodiverse residents",
    "ethnic_minority_woman": "ethnic minority women",
    "roma": "Roma residents",
    "ward_name": "ward",
    "imd_decile": "deprivation decile of home area (1 most deprived)",
    "inactivity_reason": "main reason for economic inactivity",
}

# The order groups are shown in: the vocabulary's order, then others alphabetically, unknowns last.
_FLAG_ORDER = (YES, NO)
ORDER: dict[str, tuple[str, ...]] = {
    "age_band": AGE_BANDS,
    "sex": vocab.SEX,
    "disability": vocab.YES_NO_REFUSED,
    "health_condition_type": vocab.HEALTH_CONDITION_TYPES,
    "ethnicity": vocab.ETHNICITY,
    "ethnic_group": tuple(dict.fromkeys(vocab.broad_ethnic_group(e) for e in vocab.ETHNICITY)),
    "religion": vocab.RELIGION,
    "sexual_orientation": vocab.SEXUAL_ORIENTATION,
    "pregnancy_maternity": vocab.YES_NO_REFUSED,
    "marriage_civil_partnership": vocab.LEGAL_PARTNERSHIP,
    "gender_reassignment": vocab.YES_NO_REFUSED,
    "imd_decile": tuple(str(d) for d in range(1, 11)),
    "inactivity_reason": vocab.INACTIVITY_REASONS,
    **{c: _FLAG_ORDER for c in COHORTS},
}

# The flag columns of the input, each shown as Yes / No / Not recorded.
_FLAGS = ("carer", "care_leaver", "neet", "lone_parent", "social_housing")
_AS_RECORDED = (
    "sex",
    "disability",
    "health_condition_type",
    "ethnicity",
    "religion",
    "sexual_orientation",
    "pregnancy_maternity",
    "marriage_civil_partnership",
    "gender_reassignment",
    "ward_name",
    "inactivity_reason",
)


def check_grouping(by: str) -> str:
    """``by`` if it is one of ``GROUPINGS``; a closed list, never matched by prefix."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    return by


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return stage


def _by_value(values: pd.Series, label, dtype: str | type = object) -> pd.Series:
    """``label`` of each row's value, worked out once per distinct value (missing: NOT_RECORDED).

    The same objects as labelling row by row, at the cost of the distinct values: a million rows
    of a column with a dozen values cost a dozen calls, not a million Python strings.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    lookup = np.asarray([*(label(v) for v in uniques), NOT_RECORDED], dtype=object)
    return pd.Series(lookup[codes], index=values.index, dtype=dtype)


def _column(participants: pd.DataFrame, name: str) -> pd.Series:
    """A column as text with missing values as "Not recorded" (absent optional columns likewise)."""
    if name not in participants:
        return pd.Series(NOT_RECORDED, index=participants.index, dtype=object)
    return _by_value(participants[name], str, dtype="str")


def _flag(participants: pd.DataFrame, name: str) -> pd.Series:
    if name not in participants:
        return pd.Series(NOT_RECORDED, index=participants.index, dtype=object)
    col = participants[name].astype("boolean")
    out = np.where(col.isna(), NOT_RECORDED, np.where(col.fillna(False), YES, NO))
    return pd.Series(out, index=participants.index, dtype=object)


def age_band(age: pd.Series) -> pd.Series:
    """16 to 24, 25 to 49, 50 to 64, 65 and over; a missing age is "Not recorded"."""
    a = pd.to_numeric(age, errors="raise").astype("Float64")
    bins = [-np.inf, 24, 49, 64, np.inf]
    banded = pd.cut(a.astype(float), bins=bins, labels=list(AGE_BANDS)).astype(object)
    return banded.where(a.notna().to_numpy(), NOT_RECORDED)


def characteristics(participants: pd.DataFrame) -> pd.DataFrame:
    """Every person's group in each of ``GROUPINGS``, as text, on the participants' index.

    Derived groups: ``age_band`` from age; ``ethnic_group``, the ONS broad group; ``neurodiverse``
    (main condition is neurodivergence or a learning disability); ``ethnic_minority_woman``
    (female and of any ethnic group other than White British, the GOV.UK meaning of ethnic
    minority, so White minorities such as Roma and Gypsy or Irish Traveller are included);
    ``roma`` (the Roma community the papers name). A derived group is "Prefer not to say" when
    a value it needs was withheld and "Not recorded" when that value was blank.
    """
    out = pd.DataFrame(index=participants.index)
    if "age" in participants:
        out["age_band"] = age_band(participants["age"])
    else:
        out["age_band"] = NOT_RECORDED
    for name in _AS_RECORDED:
        out[name] = _column(participants, name)
    for name in _FLAGS:
        out[name] = _flag(participants, name)
    ethnicity = out["ethnicity"]
    out["ethnic_group"] = _by_value(ethnicity, vocab.broad_ethnic_group)
    out["neurodiverse"] = _derived_flag(
        out["health_condition_type"], out["health_condition_type"] == NEURODIVERGENCE
    )
    out["roma"] = _derived_flag(ethnicity, ethnicity == ROMA)
    minority_woman = (out["sex"] == "Female") & (ethnicity != WHITE_BRITISH)
    # Men and White British people are "No" whatever the other value; otherwise both must be known.
    known = (
        (out["sex"] == "Male")
        | (ethnicity == WHITE_BRITISH)
        | (~out["sex"].isin(UNKNOWN) & ~ethnicity.isin(UNKNOWN))
    )
    unknown_label = np.where(
        (out["sex"] == NOT_RECORDED) | (ethnicity == NOT_RECORDED), NOT_RECORDED, vocab.PREFER_NOT_TO_SAY
    )
    out["ethnic_minority_woman"] = np.where(known, np.where(minority_woman, YES, NO), unknown_label)
    if "imd_decile" in participants:
        out["imd_decile"] = _by_value(participants["imd_decile"].astype("Int64"), str)
    else:
        out["imd_decile"] = NOT_RECORDED
    return out.loc[:, list(GROUPINGS)].astype(object)


def _derived_flag(source: pd.Series, condition: pd.Series) -> pd.Series:
    """Yes / No from a condition on a recorded value; an unknown source value stays unknown."""
    return pd.Series(
        np.where(source.isin(UNKNOWN), source, np.where(condition, YES, NO)), index=source.index, dtype=object
    )


def people(participants: pd.DataFrame) -> pd.DataFrame:
    """Everyone referred: their groups, the adjustment columns, and whether they started and
    have an evidenced job (to date, as the process funnel counts them)."""
    j = process.journeys(participants)
    return characteristics(participants).assign(
        area_code=_column(participants, "area_code"),
        referral_source=_column(participants, "referral_source"),
        started=j["started"].to_numpy(dtype=bool),
        job=j["job"].to_numpy(dtype=bool),
    )


def at_stage(everyone: pd.DataFrame, *, stage: str) -> pd.DataFrame:
    """The people at risk of a stage with its outcome ``y``: starts, everyone referred and
    ``y`` = started; job_outcomes, everyone who started and ``y`` = an evidenced job."""
    check_stage(stage)
    if stage == "starts":
        return everyone.assign(y=everyone["started"])
    return everyone[everyone["started"]].assign(y=lambda f: f["job"])


def analysis_frame(participants: pd.DataFrame, *, stage: str) -> pd.DataFrame:
    """``at_stage(people(participants), stage=stage)``: groups, adjustment columns and ``y``."""
    return at_stage(people(participants), stage=stage)


def group_order(by: str, groups: pd.Series | list[str]) -> list[str]:
    """Groups in display order: the vocabulary's order, then others alphabetically, unknowns last."""
    known = ORDER.get(by, ())
    values = list(dict.fromkeys(str(g) for g in groups))
    first = [g for g in known if g in values and g not in UNKNOWN]
    rest = sorted(g for g in values if g not in known and g not in UNKNOWN)
    last = [g for g in (vocab.PREFER_NOT_TO_SAY, NOT_RECORDED) if g in values]
    return first + rest + last


def allowed_groups(by: str) -> tuple[str, ...] | None:
    """The groups a grouping can hold, where they form a closed list (None for ward, say)."""
    known = ORDER.get(by)
    if known is None:
        return None
    return (*known, *(u for u in (vocab.PREFER_NOT_TO_SAY, NOT_RECORDED) if u not in known))


def default_reference(by: str, n_by_group: pd.Series) -> str | None:
    """The comparison group when none is stated: "No" for a cohort flag, else the largest
    recorded group (ties go to the first in display order)."""
    if by in COHORTS:
        return NO
    counts = n_by_group[[g for g in n_by_group.index if g not in UNKNOWN]]
    if counts.empty:
        return None
    ordered = group_order(by, list(counts.index))
    counts = counts.reindex(ordered)
    return str(counts.idxmax())


def resolve_reference(by: str, reference: str | None, n_by_group: pd.Series) -> str | None:
    """The stated reference group, checked against the grouping's closed list; else the default.

    A stated group that the data do not hold is kept (its comparisons read "too few to say");
    a group the grouping cannot hold is refused, since it is a spelling mistake.
    """
    if reference is None:
        return default_reference(by, n_by_group)
    allowed = allowed_groups(by)
    if allowed is not None and reference not in allowed:
        raise ValueError(
            f"reference group {reference!r} is not a group of {by}; expected one of {', '.join(allowed)}"
        )
    return reference
