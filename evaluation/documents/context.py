"""Document contexts: everything a template shows, as plain values, built from results only.

In: the parameters, the results sections (figures, tables, charts, QA) and the provenance.
Out: a dict for a Jinja2 template. Figure references in the narrative are filled here; tables arrive already
protected; figures used are listed with their definitions for the appendix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from evaluation import __version__
from evaluation.disclosure import LEGEND, describe_rule
from evaluation.documents import narrative, tables
from evaluation.documents.formatting import figure_text
from evaluation.figures import FigureRegister
from evaluation.metrics.results import QAFinding
from evaluation.params import Params
from evaluation.results import ChartFile

STATUS_TEXT = {"pass": "Passed", "fail": "Does not reconcile", "note": "Note"}


@dataclass(frozen=True)
class InputRecord:
    name: str
    file: str
    sha256: str


@dataclass(frozen=True)
class Provenance:
    """What produced a document: the run, the parameters and inputs (by hash) and the code.

    The run is its analysis: the inputs, the parameters other than the documents' wording
    (``params.analysis_parameters``, by hash) and the toolkit. Rewording a paper changes that
    paper, not the run or the pack's other documents (the manifest has the whole file's hash).
    """

    run_id: str
    params_file: str
    analysis_sha256: str
    inputs: tuple[InputRecord, ...]
    commit: str
    source_date: str
    toolkit_version: str = __version__


class FigureUse:
    """Records which figures a document names, for its appendix of definitions."""

    def __init__(self, figures: FigureRegister) -> None:
        self.figures = figures
        self.used: set[str] = set()

    def fill(self, text: str, *, file: str, key: str, table_names: set[str]) -> narrative.Paragraph:
        self.used.update(m.group(1) for m in narrative.FIG.finditer(text))
        return narrative.paragraph(text, self.figures, file=file, key=key, tables=table_names)

    def listing(self) -> list[dict]:
        return [
            {"name": f.name, "text": figure_text(f), "definition": f.definition, "source": f.source}
            for f in self.figures
            if f.name in self.used
        ]


def short_title(title: str, limit: int = 60) -> str:
    """A running-header title: whole if short, else cut at a word boundary with an ellipsis."""
    if len(title) <= limit:
        return title
    return title[: title.rfind(" ", 0, limit)].rstrip(" –-,") + "…"


def qa_rows(qa: list[QAFinding]) -> tuple[list[dict], str]:
    rows = [{**asdict(q), "status_text": STATUS_TEXT.get(q.status, q.status)} for q in qa]
    failed = sum(q.status == "fail" for q in qa)
    summary = (
        f"{len(qa)} checks ran; {failed} found a figure that does not reconcile or agree."
        if qa
        else "No consistency checks apply."
    )
    return rows, summary


def common_context(
    *,
    params: Params,
    figures: FigureRegister,
    presented: dict[str, tables.PresentedTable],
    charts: dict[str, ChartFile],
    chart_href: str,
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    title: str,
    short_title: str,
    description: str,
    css_href: str,
    use: FigureUse,
) -> dict:
    """The parts every document shares: metadata, QA appendix, disclosure log, provenance."""
    qa_list, qa_summary = qa_rows(qa)
    logs = [t.log for t in presented.values() if not t.log.empty]
    withheld = sum(len(lg) for lg in logs)
    return {
        "doc": {
            **params.document.model_dump(),
            "title": title,
            "short_title": short_title,
            "description": description,
            "organisation": params.area.organisation,
            "key_decision_text": ("Yes" if params.document.key_decision else "No")
            + (
                ""
                if params.document.key_decision == params.document.forward_plan
                else f"; Forward Plan: {'Yes' if params.document.forward_plan else 'No'}"
            ),
        },
        "tables": presented,
        "charts": {
            name: {"href": f"{chart_href}/{name}.svg", "title": c.title, "alt_text": c.alt_text}
            for name, c in charts.items()
        },
        "qa": qa_list,
        "qa_summary": qa_summary,
        "validation": tables.validation_presented(validation_rows, rule=params.disclosure),
        "disclosure": {
            "rule": describe_rule(params.disclosure),
            "legend": [{"marker": m, "meaning": t} for m, t in LEGEND.items()],
            "summary": f"{withheld} cell(s) withheld in this document's tables."
            if withheld
            else "No cell in this document's tables needed to be withheld.",
            "log": tables.disclosure_log_presented(logs, rule=params.disclosure),
            "full_log": pd.concat(logs, ignore_index=True)
            if logs
            else pd.DataFrame(columns=["table", "row", "column", "reason"]),
        },
        "provenance": asdict(provenance),
        "css_href": css_href,
        "figures_used": use.listing(),
    }


def decision_paper_context(
    *,
    params: Params,
    params_file: Path,
    figures: FigureRegister,
    presented: dict[str, tables.PresentedTable],
    charts: dict[str, ChartFile],
    chart_href: str,
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    css_href: str,
) -> dict:
    """Context of the Cabinet report / Delegated Officer Decision paper, in the seed paper's order."""
    doc = params.document
    use = FigureUse(figures)
    file = str(params_file)
    names = set(presented)
    summary = [
        use.fill(t, file=file, key=f"document.summary[{i}]", table_names=names)
        for i, t in enumerate(doc.summary)
    ]
    recommendations = [
        narrative.fill(t, figures, file=file, key=f"document.recommendations[{i}]")
        for i, t in enumerate(doc.recommendations)
    ]
    sections = []
    for si, s in enumerate(doc.sections, start=1):
        paragraphs = []
        number = 0
        for pi, text in enumerate(s.paragraphs):
            body = use.fill(
                text, file=file, key=f"document.sections[{si - 1}].paragraphs[{pi}]", table_names=names
            )
            if body.table is None:
                number += 1
            paragraphs.append({"number": f"{si}.{number}" if body.table is None else "", "body": body})
        if s.key == "accountable_officers":
            for officer in doc.accountable_officers:
                number += 1
                paragraphs.append(
                    {
                        "number": f"{si}.{number}",
                        "body": narrative.Paragraph(lines=(f"{officer.name}, {officer.title}",)),
                    }
                )
        sections.append(
            {
                "number": si,
                "key": s.key,
                "heading": s.heading,
                "paragraphs": paragraphs,
                "charts": [c for c in s.charts if c in charts],
                "extra": "",
            }
        )
    ctx = common_context(
        params=params,
        figures=figures,
        presented=presented,
        charts=charts,
        chart_href=chart_href,
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        title=doc.title,
        short_title=short_title(doc.title),
        description=f"{doc.committee}, {doc.meeting_date:%-d %B %Y}: {doc.title}",
        css_href=css_href,
        use=use,
    )
    ctx.update(
        summary=summary,
        recommendations=recommendations,
        sections=sections,
        officers=list(doc.accountable_officers),
        approvals=[
            {
                "role": a.role,
                "name": a.name,
                "date": a.date.strftime("%-d %B %Y") if a.date else "To be confirmed",
            }
            for a in doc.approvals
        ],
    )
    return ctx


EQUALITIES_GROUPINGS = (
    ("age_band", "age band"),
    ("sex", "sex"),
    ("disability", "disability"),
    ("health_condition_type", "main health condition"),
    ("ethnic_group", "ethnic group (broad)"),
    ("ethnicity", "ethnic group (detailed)"),
    ("ethnic_minority_woman", "ethnic minority women"),
    ("religion", "religion or belief"),
    ("sexual_orientation", "sexual orientation"),
    ("pregnancy_maternity", "pregnancy and maternity"),
    ("marriage_civil_partnership", "marriage and civil partnership"),
    ("gender_reassignment", "gender reassignment"),
    ("carer", "unpaid carers"),
    ("care_leaver", "care leavers"),
    ("neet", "young people not in education, employment or training"),
    ("lone_parent", "lone parents"),
    ("social_housing", "social housing tenants"),
    ("neurodiverse", "neurodiverse residents"),
    ("roma", "the Roma community"),
    ("imd_decile", "deprivation decile of home area (1 most deprived)"),
)


def equalities_context(
    *,
    params: Params,
    params_file: Path,
    figures: FigureRegister,
    equity_tables: dict,
    notes: dict[str, str],
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    css_href: str,
    charts: dict[str, ChartFile] | None = None,
) -> dict:
    """Context of the Equalities Analysis: Part A screening and Part B analysis with actions
    (``charts``: job outcome rates by group, by name, placed after their characteristic's table)."""
    charts = charts or {}
    rule = params.disclosure
    use = FigureUse(figures)
    file = str(params_file)
    evidence = use.fill(
        "Participant journeys to {fig:data_cutoff} ({fig:referrals} referrals, {fig:starts} starts, "
        "{fig:job_outcomes} evidenced job outcomes), with characteristics recorded at referral.",
        file=file,
        key="(equalities analysis: evidence)",
        table_names=set(),
    )
    part_b = use.fill(
        "Yes. The programme is targeted at groups with protected characteristics. The analysis finds "
        "{fig:equity_material_gaps} material gap(s) in rates between groups and {fig:equity_too_few} group(s) "
        "too small to say; see Part B.",
        file=file,
        key="(equalities analysis: screening)",
        table_names=set(),
    )
    equalities = next((s for s in params.document.sections if s.key == "equalities"), None)
    narrative_paras = [
        use.fill(t, file=file, key=f"document.sections[equalities].paragraphs[{i}]", table_names=set())
        for i, t in enumerate(equalities.paragraphs if equalities else ())
    ]
    outcomes = equity_tables["outcomes"]
    presented = {
        f"equity_{g}": tables.equity_presented(outcomes, grouping=g, label=label, rule=rule)
        for g, label in EQUALITIES_GROUPINGS
        if (outcomes["grouping"] == g).any()
    }
    representation = equity_tables.get("representation")
    if representation is not None and not representation.empty:
        presented["representation"] = tables.representation_presented(representation, rule=rule)
    title = f"Equalities Analysis – {params.document.title}"
    ctx = common_context(
        params=params,
        figures=figures,
        presented=presented,
        charts=charts,
        chart_href="charts",
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        title=title,
        short_title=short_title(title),
        description=f"Equalities Analysis for {params.document.title}",
        css_href=css_href,
        use=use,
    )
    ctx.update(
        screening={
            "evidence": list(evidence.lines),
            "impact": "Yes. The programme is designed to reach residents with protected characteristics, notably disabled people and those with health conditions, ethnic minority groups and young people.",
            "part_b": " ".join(part_b.lines),
            "narrative": narrative_paras,
        },
        method=notes.get("method", ""),
        representation=presented.get("representation"),
        characteristic_tables=[
            {"table": presented[k], "chart": f"rates_{k.removeprefix('equity_')}"}
            for k in presented
            if k.startswith("equity_")
        ],
        actions=list(equity_tables["actions"]["action"]) if "actions" in equity_tables else [],
    )
    return ctx


def scrutiny_context(
    *,
    params: Params,
    params_file: Path,
    figures: FigureRegister,
    presented: dict[str, tables.PresentedTable],
    charts: dict[str, ChartFile],
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    css_href: str,
) -> dict:
    """Context of the scrutiny progress update: performance, targets and projection, providers, coverage."""
    from evaluation.documents.statements import target_statements

    use = FigureUse(figures)
    file = str(params_file)

    def say(text: str, key: str) -> str:
        return " ".join(use.fill(text, file=file, key=f"(scrutiny update: {key})", table_names=set()).lines)

    use.used.update(n for n in figures.names() if n.startswith(("projected_", "probability_", "target_")))
    sections = [
        {
            "id": "performance",
            "heading": "Performance to date",
            "paragraphs": [
                say(
                    "To {fig:data_cutoff} the programme has received {fig:referrals} referrals; {fig:starts} people have "
                    "started ({fig:referral_to_start_rate} of referrals) and {fig:job_outcomes} have an evidenced job outcome "
                    "({fig:start_to_job_rate} of starts). {fig:on_programme} people are still on programme.",
                    "performance",
                )
            ],
            "tables": [t for t in ("funnel",) if t in presented],
            "charts": [c for c in ("funnel",) if c in charts],
        },
        {
            "id": "targets",
            "heading": "Against targets, and the year-end projection",
            "paragraphs": [
                *target_statements(params, figures),
                "The projection simulates the rest of the year from the people on programme, the people waiting to start and "
                "new referrals at the recent rate, carrying the uncertainty of every rate it estimates.",
            ],
            "tables": [],
            "charts": [c for c in ("cumulative_job_outcomes",) if c in charts],
        },
        {
            "id": "providers",
            "heading": "Providers",
            "paragraphs": [
                "Each provider's evidenced job outcomes as a share of its starts, with 95% intervals, and job outcomes commissioned against delivered to date."
            ],
            "tables": [t for t in ("providers", "commissioned") if t in presented],
            "charts": [c for c in ("rates_provider",) if c in charts],
        },
        {
            "id": "coverage",
            "heading": "Coverage by ward and deprivation",
            "paragraphs": [
                "Starts as a share of referrals by ward of residence and by deprivation decile of the home area (1 is the most deprived tenth of areas in England)."
            ],
            "tables": [t for t in ("wards", "imd") if t in presented],
            "charts": [],
        },
    ]
    title = f"{params.programme}: progress update, {params.area.name}"
    ctx = common_context(
        params=params,
        figures=figures,
        presented=presented,
        charts=charts,
        chart_href="charts",
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        title=title,
        short_title=short_title(title),
        description=f"Scrutiny progress update, data to {params.period.data_cutoff:%-d %B %Y}",
        css_href=css_href,
        use=use,
    )
    ctx.update(sections=sections, data_cutoff=params.period.data_cutoff)
    return ctx


def delivery_plan_context(
    *,
    params: Params,
    figures: FigureRegister,
    presented: dict[str, tables.PresentedTable],
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    css_href: str,
    params_file: Path,
) -> dict:
    """Context of the delivery plan with its budget reconciliation."""
    use = FigureUse(figures)
    intro = use.fill(
        "The plan's activity lines total {fig:budget_total} across its headings. It aims to support "
        "{fig:plan_residents_supported} residents; {fig:starts} have started to {fig:data_cutoff}.",
        file=str(params_file),
        key="(delivery plan: introduction)",
        table_names=set(),
    )
    budget_checks = [q for q in qa if q.check.startswith("budget:")]
    rows, _ = qa_rows(budget_checks)
    failed = sum(q.status == "fail" for q in budget_checks)
    title = f"{params.programme}: delivery plan {params.financial_year}"
    ctx = common_context(
        params=params,
        figures=figures,
        presented=presented,
        charts={},
        chart_href="charts",
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        title=title,
        short_title=short_title(title),
        description=f"Delivery plan {params.financial_year} with budget reconciliation",
        css_href=css_href,
        use=use,
    )
    ctx.update(
        intro=list(intro.lines),
        reconciliation=rows,
        reconciliation_summary=f"{len(budget_checks)} stated totals were checked against the lines they cover; {failed} do not reconcile.",
        financial_year=params.financial_year,
        data_cutoff=params.period.data_cutoff,
    )
    return ctx


SECTION_TITLES = {
    "process": "Process evaluation",
    "equity": "Cohort equity",
    "impact": "Impact evaluation: participants against a matched comparison group",
    "baseline": "Impact evaluation: the area against a do-nothing baseline",
}
TECHNICAL_TABLES = {
    "process": (
        "funnel",
        "durations",
        "durations_by_provider",
        "projections",
        "league_start_to_job",
        "cost_by_strand",
        "funnel_by_referral_source",
        "funnel_by_quarter",
    ),
    "equity": ("difference_tests", "adjusted"),
    "baseline": (
        "side_by_side",
        "refusals",
        "gaps",
        "event_study",
        "synthetic_control_weights",
        "assumptions",
    ),
}
# Notes in reading order; a section not listed here has its notes in alphabetical order.
NOTE_ORDER = {
    "baseline": (
        "not_run",
        "reading",
        "detectability",
        "period",
        "comparison_areas",
        "method_supplied",
        "method_interrupted_time_series",
        "method_difference_in_differences",
        "method_synthetic_control",
        "refused_supplied",
        "refused_interrupted_time_series",
        "refused_difference_in_differences",
        "refused_synthetic_control",
        "event_study",
    ),
}


def _ordered_notes(section: str, notes: dict[str, str]) -> list[tuple[str, str]]:
    order = NOTE_ORDER.get(section, ())
    rank = {k: i for i, k in enumerate(order)}
    return sorted(notes.items(), key=lambda kv: (rank.get(kv[0], len(order)), kv[0]))


def technical_context(
    *,
    params: Params,
    sections: list,
    figures: FigureRegister,
    qa: list[QAFinding],
    validation_rows: list[dict],
    provenance: Provenance,
    css_href: str,
    notebooks: list[str],
    charts: dict[str, dict[str, ChartFile]],
) -> dict:
    """Context of the technical report: each section's method notes, main tables (protected) and
    charts (``charts`` by section, then by name)."""
    rule = params.disclosure
    presented: dict[str, tables.PresentedTable] = {}
    shown = []
    for r in sections:
        names = [
            n
            for n in TECHNICAL_TABLES.get(r.section, tuple(r.tables))
            if n in r.tables and not r.tables[n].empty
        ]
        made = []
        for n in names:
            key = f"{r.section}.{n}"
            presented[key] = tables.generic_presented(
                key,
                r.tables[n],
                rule=rule,
                caption=f"{SECTION_TITLES.get(r.section, r.section)}: {n.replace('_', ' ')}",
            )
            made.append(presented[key])
        shown.append(
            {
                "name": r.section,
                "title": SECTION_TITLES.get(r.section, r.section.capitalize()),
                "notes": [
                    {"key": k.replace("_", " ").capitalize(), "text": v}
                    for k, v in _ordered_notes(r.section, r.notes)
                ],
                "tables": made,
                "charts": list(charts.get(r.section, {})),
            }
        )
    use = FigureUse(figures)
    use.used.update(figures.names())
    title = f"{params.programme}: evaluation technical report, {params.area.name} {params.financial_year}"
    ctx = common_context(
        params=params,
        figures=figures,
        presented=presented,
        charts={name: c for by_name in charts.values() for name, c in by_name.items()},
        chart_href="charts",
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        title=title,
        short_title=short_title(title),
        description="Evaluation technical report: methods, diagnostics, assumptions",
        css_href=css_href,
        use=use,
    )
    ctx.update(
        sections=shown,
        data_cutoff=params.period.data_cutoff,
        notebooks=[{"name": n, "href": f"notebooks/{n}.ipynb"} for n in notebooks],
    )
    return ctx
