"""The publishable view of results: every table protected, every chart drawn from protected tables.

Documents and the executed notebooks in a pack both show results only through this module, so
nothing unprotected is published. Results tables follow one naming convention for the columns
that count people (``COUNT_COLUMNS``); rates and intervals built on them are withheld with them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation import charts, charts_baseline
from evaluation.disclosure import CONFIDENTIAL, ProtectedTable, protect
from evaluation.params import Disclosure, Params
from evaluation.results import ChartFile, Results

# Columns of results tables that count people; every results table names its counts from this list.
COUNT_COLUMNS = (
    "k",
    "n",
    "referrals",
    "starts",
    "job_outcomes",
    "supported",
    "events",
    "censored",
    "delivered_job_outcomes",
    "sustained_13w",
    "sustained_26w",
    "matched_treated",
    "controls_used",
    "unmatched",
    "trimmed",
)
# Columns built on counts: withheld when any of their bases is.
DERIVED = {
    "rate": ("k", "n"),
    "lower": ("k", "n"),
    "upper": ("k", "n"),
    "days": ("events", "n"),
    "cost_per_start": ("starts",),
    "cost_per_job_outcome": ("job_outcomes",),
    **dict.fromkeys(
        (
            "rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper",
            "odds_ratio", "or_lower", "or_upper", "adjusted_rate", "adjusted_difference",
            "ad_lower", "ad_upper", "representation_ratio", "ratio_lower", "ratio_upper", "share",
        ),
        ("k", "n"),
    ),
}  # fmt: skip
# Groups that record that a characteristic is not known (see disclosure.protect's not_known).
NOT_KNOWN = ("Prefer not to say", "Not recorded")
# Columns comparing a row with its block's reference row: withheld for the whole block when the
# reference row's counts are, since a ratio and one rate give away the other.
COMPARED = ("rate_ratio", "rr_lower", "rr_upper", "rate_difference", "rd_lower", "rd_upper",
            "odds_ratio", "or_lower", "or_upper", "adjusted_difference", "ad_lower", "ad_upper")  # fmt: skip


def protect_table(name: str, frame: pd.DataFrame, rule: Disclosure) -> ProtectedTable:
    """Protect any results table by the naming convention; secondary suppression within each stage."""
    counts = tuple(c for c in COUNT_COLUMNS if c in frame)
    derived = {
        c: tuple(b for b in bases if b in frame)
        for c, bases in DERIVED.items()
        if c in frame and any(b in frame for b in bases)
    }
    # Sets of cells that add up to a published total: within each characteristic, stage or measure.
    keys = tuple(key for key in ("grouping", "stage", "measure") if key in frame)
    group_by = keys if keys and ("group" in frame or "quantile" in frame) else None
    label = next(
        (c for c in ("group", "label", "provider", "activity", "month", "stage") if c in frame), None
    )
    not_known = frame["group"].astype(str).isin(NOT_KNOWN) if "group" in frame else None
    protected = protect(
        frame,
        name=name,
        counts=counts,
        derived=derived,
        group_by=group_by,
        label=label,
        rule=rule,
        not_known=not_known,
    )
    return _withhold_comparisons(protected, frame, group_by or ())


def _withhold_comparisons(
    protected: ProtectedTable, frame: pd.DataFrame, keys: tuple[str, ...]
) -> ProtectedTable:
    """Withhold every comparison with a reference row whose own counts are withheld."""
    compared = [c for c in COMPARED if c in frame]
    if "reference" not in frame or not compared or not keys:
        return protected
    f = frame.reset_index(drop=True)
    out = protected.frame.copy()
    is_ref = (f["group"] == f["reference"]).to_numpy(dtype=bool, na_value=False)
    withheld = np.zeros(len(f), dtype=bool)
    for col in ("k", "n"):
        withheld |= np.array(
            [isinstance(v, str) and v == CONFIDENTIAL for v in out[col].tolist()], dtype=bool
        )
    ids = f.groupby(list(keys), sort=False, dropna=False).ngroup().to_numpy()
    blocks = [np.flatnonzero(ids == g) for g in range(ids.max() + 1)] if len(f) else []
    hit = [idx for idx in blocks if (withheld[idx] & is_ref[idx]).any()]
    if not hit:
        return protected
    rows = np.concatenate(hit)
    for col in compared:
        values = out[col].to_numpy(dtype=object, copy=True)
        values[rows] = CONFIDENTIAL
        out[col] = pd.Series(values, index=out.index, dtype=object)  # all markers: still object
    groups = f["group"].astype(str)
    log = [protected.log] + [
        pd.DataFrame(
            {
                "table": protected.name,
                "row": groups.iloc[idx],
                "column": ", ".join(compared),
                "reason": "compared with a withheld reference group",
            }
        )
        for idx in hit
    ]
    return ProtectedTable(protected.name, out, pd.concat(log, ignore_index=True), protected.rule)


def numeric(protected: ProtectedTable) -> pd.DataFrame:
    """A protected table with withheld cells as missing numbers, for drawing charts."""
    out = protected.frame.copy()
    for col in out.columns:
        if col in COUNT_COLUMNS or col in DERIVED:
            out[col] = pd.to_numeric(
                out[col].map(lambda v: np.nan if isinstance(v, str) and v.startswith("[") else v),
                errors="coerce",
            )
    return out


def process_charts(
    process: Results, params: Params, names: Collection[str] | None = None
) -> dict[str, ChartFile]:
    """The process evaluation's charts (or those ``names``), drawn from protected tables only."""
    rule = params.disclosure
    period = params.period
    made = []
    if _wanted("funnel", names):
        funnel = numeric(protect_table("funnel", process.tables["funnel"], rule))
        made.append(
            charts.funnel_chart(
                funnel[funnel["k"].notna()], title="Programme funnel", data_cutoff=period.data_cutoff
            )
        )
    if _wanted("rates_provider", names):
        prov = process.tables["funnel_by_provider"]
        prov_jobs = numeric(protect_table("providers", prov[prov["stage"] == "job_outcomes"], rule))
        made.append(
            charts.rates_chart(
                prov_jobs,
                title="Start to job outcome by provider",
                value_label="Evidenced job outcomes as a share of starts",
            )
        )
    if _wanted("cumulative_job_outcomes", names):
        jobs_target = next((t for t in params.targets if t.measure == "job_outcomes"), None)
        cumulative = numeric(protect_table("cumulative", process.tables["cumulative"], rule))
        # Months whose running total is withheld are left out of the line, not drawn as zero.
        cumulative = cumulative[cumulative["job_outcomes"].notna()]
        projection = _projection(process, "job_outcomes", period.data_cutoff, period.end)
        made.append(
            charts.cumulative_chart(
                cumulative,
                target=jobs_target.value if jobs_target else None,
                target_label=jobs_target.label if jobs_target else "",
                period_start=period.start,
                period_end=period.end,
                projection=projection,
                measure="job_outcomes",
                title="Cumulative evidenced job outcomes against the target",
            )
        )
    return {c.name: ChartFile(c.name, c.title, c.svg, c.alt_text, c.data) for c in made}


def _wanted(name: str, names: Collection[str] | None) -> bool:
    """Whether a chart is asked for: all of a section's charts unless ``names`` says which
    (a notebook shows one at a time, and drawing is most of a chart's cost)."""
    return names is None or name in names


def impact_charts(impact: Results, names: Collection[str] | None = None) -> dict[str, ChartFile]:
    """The Love plot of balance before and after adjustment (standardised differences only) and
    the overlap of propensity scores (or those of them ``names`` asks for)."""
    after = impact.tables.get("balance_after")
    if after is None or after.empty:
        return {}
    made = []
    if _wanted("love_plot", names):
        made.append(charts.love_plot(after, title="Balance of characteristics before and after adjustment"))
    if "overlap_density" in impact.tables and _wanted("overlap", names):
        made.append(
            charts.overlap_chart(
                impact.tables["overlap_density"],
                impact.tables["overlap_quartiles"],
                title="Overlap of propensity scores",
            )
        )
    return {c.name: ChartFile(c.name, c.title, c.svg, c.alt_text, c.data) for c in made}


# Characteristics whose job outcome rates are charted (the Equalities Analysis and its notebook).
EQUITY_CHARTS = (
    ("age_band", "age band"),
    ("sex", "sex"),
    ("disability", "disability"),
    ("ethnic_group", "ethnic group (broad)"),
)


def equity_charts(
    equity: Results, params: Params, names: Collection[str] | None = None
) -> dict[str, ChartFile]:
    """Job outcome rates by group with their intervals, one chart per charted characteristic (or
    those ``names`` asks for), drawn from the protected table: a withheld rate is left out and
    named in the alt text."""
    outcomes = equity.tables.get("outcomes")
    if outcomes is None:
        return {}
    made = []
    for grouping, label in EQUITY_CHARTS:
        if not _wanted(f"rates_{grouping}", names):
            continue
        part = outcomes[(outcomes["grouping"] == grouping) & (outcomes["stage"] == "job_outcomes")]
        if part.empty:
            continue
        table = numeric(protect_table(f"equity_{grouping}", part, params.disclosure))
        chart = charts.rates_chart(
            table.assign(grouping=label),  # the alt text says "by age band", not "by age_band"
            title=f"Job outcome rate by {label}",
            value_label="Evidenced job outcomes as a share of starts",
        )
        made.append((f"rates_{grouping}", chart))
    return {name: ChartFile(name, c.title, c.svg, c.alt_text, c.data) for name, c in made}


def baseline_charts(
    baseline: Results, params: Params, names: Collection[str] | None = None
) -> dict[str, ChartFile]:
    """Observed against do-nothing, the event study and the synthetic control gaps, as far as each
    method could be estimated (or those of them ``names`` asks for). Their tables are survey estimates for whole areas, not counts of
    participants, so there is nothing in them for disclosure control to withhold."""
    start = params.baseline.programme_start
    if start is None:
        return {}
    made = []
    if "trend_path" in baseline.tables and _wanted("observed_vs_baseline", names):
        made.append(
            charts_baseline.observed_vs_baseline_chart(
                baseline.tables["trend_path"],
                programme_start=start,
                area=params.area.name,
                title="Economically inactive residents against the do-nothing trend",
            )
        )
    if "event_study" in baseline.tables and _wanted("event_study", names):
        made.append(
            charts_baseline.event_study_chart(
                baseline.tables["event_study"], title="Event study: programme areas against comparison areas"
            )
        )
    if "synthetic_control_gaps" in baseline.tables and _wanted("synthetic_control_gaps", names):
        made.append(
            charts_baseline.synthetic_control_gap_chart(
                baseline.tables["synthetic_control_gaps"],
                programme_start=start,
                title="Synthetic control gap, with comparison areas as placebos",
            )
        )
    return {c.name: ChartFile(c.name, c.title, c.svg, c.alt_text, c.data) for c in made}


# Every chart a section can have, in the order its chart function draws them.
CHART_NAMES = {
    "process": ("funnel", "rates_provider", "cumulative_job_outcomes"),
    "impact": ("love_plot", "overlap"),
    "equity": tuple(f"rates_{grouping}" for grouping, _ in EQUITY_CHARTS),
    "baseline": ("observed_vs_baseline", "event_study", "synthetic_control_gaps"),
}


def section_charts(
    section: Results, params: Params, names: Collection[str] | None = None
) -> dict[str, ChartFile]:
    """A results section's charts (or those ``names``): the charts its notebook showed and handed
    over with the results (``Results.charts``, drawn by this module from the same protected
    tables), and any it did not, drawn here. So a document places the very chart the notebook
    shows, and a chart is drawn once per run rather than once per notebook and document."""
    wanted = [n for n in CHART_NAMES.get(section.section, ()) if names is None or n in names]
    draw = [n for n in wanted if n not in section.charts]
    drawn: dict[str, ChartFile] = {}
    if not draw:
        pass
    elif section.section == "impact":
        drawn = impact_charts(section, draw)
    elif section.section == "equity":
        drawn = equity_charts(section, params, draw)
    elif section.section == "baseline":
        drawn = baseline_charts(section, params, draw)
    elif section.section == "process":
        drawn = process_charts(section, params, draw)
    return {n: section.charts.get(n) or drawn[n] for n in wanted if n in section.charts or n in drawn}


@dataclass(frozen=True)
class ProjectionView:
    """A projection as read back from the results' projections table (what charts need)."""

    measure: str
    observed: int
    target: int | None
    data_cutoff: dt.date
    period_end: dt.date
    central: float
    low80: float
    high80: float
    low95: float
    high95: float
    probability_reaching_target: float | None


def _projection(process: Results, measure: str, cutoff: dt.date, end: dt.date) -> ProjectionView | None:
    """The projection of a measure rebuilt from the projections table (None if there is none)."""
    table = process.tables.get("projections")
    if table is None or table.empty:
        return None
    rows = table[table["measure"] == measure]
    if rows.empty:
        return None
    v = rows.drop_duplicates("quantity").set_index("quantity")["value"]
    target = v.get("target")
    prob = v.get("probability_reaching_target")
    return ProjectionView(
        measure=measure,
        observed=int(v["observed"]),
        target=None if target is None or pd.isna(target) else int(target),
        data_cutoff=cutoff,
        period_end=end,
        central=float(v["central"]),
        low80=float(v["low80"]),
        high80=float(v["high80"]),
        low95=float(v["low95"]),
        high95=float(v["high95"]),
        probability_reaching_target=None if prob is None or pd.isna(prob) else float(prob),
    )
