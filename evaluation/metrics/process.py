"""Process evaluation: the referral -> start -> job outcome -> sustained job funnel.

In: validated participant journeys (one run's areas) and the data cut-off. Out: tidy tables with
k, n, rate, lower, upper and method for every stage, overall and by any grouping column.

Two kinds of rate, both stated in their definitions:
- *to date* conversion, as DWP returns and the papers report it: of everyone who started, the
  share with an evidenced job so far (Rotherham: 73 of 307). People still on programme are in
  the denominator, so this rate rises as they progress;
- sustained-job rates count only jobs whose 13 or 26 weeks have passed, so a job too recent to
  be judged lowers no rate. Time-to-event measures with censoring are in ``durations``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from evaluation.data.reference import ons_areas
from evaluation.metrics.intervals import wilson, wilson_columns
from evaluation.metrics.results import Proportion

STAGES = ("referrals", "starts", "job_outcomes", "sustained_13w", "sustained_26w")
STAGE_LABELS = {
    "referrals": "Referrals",
    "starts": "Starts on programme",
    "job_outcomes": "Evidenced job outcomes",
    "sustained_13w": "Sustained 13 weeks",
    "sustained_26w": "Sustained 26 weeks",
}
STAGE_DEFINITIONS = {
    "referrals": "People referred to the programme up to the data cut-off.",
    "starts": "Referrals who started on programme; rate = starts / referrals, to date.",
    "job_outcomes": "Starts with a job outcome evidenced to DWP's standard; rate = job outcomes / starts, to date.",
    "sustained_13w": "Evidenced jobs still held 13 weeks after the job start, of jobs whose 13 weeks have passed.",
    "sustained_26w": "Evidenced jobs still held 26 weeks after the job start, of jobs whose 26 weeks have passed.",
}
GROUPINGS = {
    "area": "area_name",
    "provider": "provider",
    "strand": "strand",
    "referral_source": "referral_source",
    "quarter": "referral_quarter",
    "ward": "ward_name",
    "imd_decile": "imd_decile",
}


def financial_quarter(dates: pd.Series) -> pd.Series:
    """UK financial quarter of each date, as '2025/26 Q1' (April to June is Q1); labelled once
    per distinct date, as a programme's million rows hold a few hundred dates."""
    codes, distinct = pd.factorize(pd.to_datetime(dates), use_na_sentinel=True)
    d = pd.Series(distinct)
    start_year = d.dt.year.where(d.dt.month >= 4, d.dt.year - 1)
    quarter = ((d.dt.month - 4) % 12) // 3 + 1
    label = (
        start_year.astype("Int64").astype(str)
        + "/"
        + ((start_year + 1) % 100).astype("Int64").astype(str).str.zfill(2)
        + " Q"
        + quarter.astype("Int64").astype(str)
    )
    return pd.Series(label.array.take(codes, allow_fill=True), index=dates.index, name=dates.name)


def journeys(participants: pd.DataFrame) -> pd.DataFrame:
    """The stage flags and groupings the funnel needs, added to a copy of the participants
    (shallow: with copy-on-write the participants' own columns are shared, never changed)."""
    f = participants.copy(deep=False)
    f["referred"] = True
    f["started"] = f["start_date"].notna()
    f["job"] = f["job_evidenced"].fillna(False).astype(bool)
    f["sustained_13w_known"] = f["job"] & f["sustained_13w"].notna()
    f["sustained_13w_yes"] = f["sustained_13w_known"] & f["sustained_13w"].fillna(False).astype(bool)
    f["sustained_26w_known"] = f["job"] & f["sustained_26w"].notna()
    f["sustained_26w_yes"] = f["sustained_26w_known"] & f["sustained_26w"].fillna(False).astype(bool)
    f["on_programme"] = f["started"] & ~f["job"] & f["exit_date"].isna()
    f["area_name"] = f["area_code"].map(ons_areas()["area_name"])
    f["referral_quarter"] = financial_quarter(f["referral_date"])
    return f


@dataclass(frozen=True)
class Funnel:
    """The headline funnel of one run: counts and the conversions between stages."""

    referrals: int
    starts: Proportion
    job_outcomes: Proportion
    sustained_13w: Proportion
    sustained_26w: Proportion
    on_programme: int
    data_cutoff: dt.date


def funnel(participants: pd.DataFrame, *, data_cutoff: dt.date) -> Funnel:
    """Headline funnel: starts of referrals, jobs of starts, sustained of jobs that can be judged."""
    f = journeys(participants)
    return Funnel(
        referrals=len(f),
        starts=wilson(int(f["started"].sum()), len(f)),
        job_outcomes=wilson(int(f["job"].sum()), int(f["started"].sum())),
        sustained_13w=wilson(int(f["sustained_13w_yes"].sum()), int(f["sustained_13w_known"].sum())),
        sustained_26w=wilson(int(f["sustained_26w_yes"].sum()), int(f["sustained_26w_known"].sum())),
        on_programme=int(f["on_programme"].sum()),
        data_cutoff=data_cutoff,
    )


def _stage_counts(f: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = f.groupby(keys, dropna=False, observed=True, sort=True) if keys else None
    agg = {
        "referrals": ("referred", "sum"),
        "starts": ("started", "sum"),
        "job_outcomes": ("job", "sum"),
        "s13_k": ("sustained_13w_yes", "sum"),
        "s13_n": ("sustained_13w_known", "sum"),
        "s26_k": ("sustained_26w_yes", "sum"),
        "s26_n": ("sustained_26w_known", "sum"),
    }
    if g is None:
        return pd.DataFrame({k: [int(f[col].sum())] for k, (col, _) in agg.items()})
    return g.agg(**agg).reset_index()


def funnel_table(participants: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Tidy funnel: one row per (group, stage) with k, n, rate, lower, upper, method, definition.

    ``by`` is one of the keys of ``GROUPINGS`` (area, provider, strand, referral_source, quarter,
    ward, imd_decile) or None for the whole run.
    """
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; expected one of {', '.join(GROUPINGS)}")
    f = journeys(participants)
    keys = [GROUPINGS[by]] if by else []
    counts = _stage_counts(f, keys)
    pairs = {
        "referrals": ("referrals", None),
        "starts": ("starts", "referrals"),
        "job_outcomes": ("job_outcomes", "starts"),
        "sustained_13w": ("s13_k", "s13_n"),
        "sustained_26w": ("s26_k", "s26_n"),
    }
    parts = []
    for stage, (k_col, n_col) in pairs.items():
        if n_col is None:
            part = pd.DataFrame(
                {
                    "k": counts[k_col].astype(int),
                    "n": pd.NA,
                    "rate": float("nan"),
                    "lower": float("nan"),
                    "upper": float("nan"),
                    "method": "count",
                }
            )
        else:
            part = wilson_columns(counts[k_col], counts[n_col])
        part.insert(0, "stage", stage)
        if keys:
            part.insert(0, "group", counts[keys[0]].astype(str).to_numpy())
        part["definition"] = STAGE_DEFINITIONS[stage]
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    if keys:
        out.insert(0, "grouping", by)
        out = out.sort_values(
            ["group", "stage"], key=lambda s: s.map(STAGES.index) if s.name == "stage" else s, kind="stable"
        )
    return out.reset_index(drop=True)


def cumulative_by_month(
    participants: pd.DataFrame, *, data_cutoff: dt.date, period_start: dt.date
) -> pd.DataFrame:
    """Cumulative referrals, starts and job outcomes at the end of each month (by event date)."""
    f = journeys(participants)
    months = pd.period_range(pd.Period(period_start, "M"), pd.Period(data_cutoff, "M"), freq="M")
    rows = []
    for m in months:
        end = min(m.end_time.normalize(), pd.Timestamp(data_cutoff))
        rows.append(
            {
                "month": str(m),
                "month_end": end.date().isoformat(),
                "referrals": int((f["referral_date"] <= end).sum()),
                "starts": int((f["start_date"] <= end).sum()),
                "job_outcomes": int((f["job"] & (f["job_start_date"] <= end)).sum()),
            }
        )
    return pd.DataFrame(rows)


def quarterly_by_area(participants: pd.DataFrame) -> pd.DataFrame:
    """Counts by area and financial quarter of each event (referral, start, job, sustained), for returns.

    Each event is counted in the quarter it happened: referrals by referral date, starts by start
    date, evidenced job outcomes and sustained outcomes by job start date.
    """
    f = journeys(participants)
    events = {
        "referrals": (f["referral_date"], f["referred"]),
        "starts": (f["start_date"], f["started"]),
        "job_outcomes": (f["job_start_date"], f["job"]),
        "sustained_13w": (f["job_start_date"], f["sustained_13w_yes"]),
        "sustained_26w": (f["job_start_date"], f["sustained_26w_yes"]),
    }
    parts = []
    for name, (dates, flag) in events.items():
        counted = pd.DataFrame(
            {"area_code": f["area_code"], "area_name": f["area_name"], "quarter": financial_quarter(dates)}
        )[flag.to_numpy(dtype=bool)]
        parts.append(counted.groupby(["area_code", "area_name", "quarter"]).size().rename(name))
    table = pd.concat(parts, axis=1).fillna(0).astype(int).reset_index()
    return table.sort_values(["area_name", "quarter"], kind="stable").reset_index(drop=True)
