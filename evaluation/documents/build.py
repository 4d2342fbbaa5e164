"""Build documents into a pack folder: HTML with its assets, and the tagged PDF.

In: parameters, results sections, validation summary and provenance. Out: files in the pack.
Every table goes through ``documents.tables`` (and so through disclosure control) first.
"""

from __future__ import annotations

from pathlib import Path

from evaluation.data.reference import ons_areas
from evaluation.documents import context, render, tables
from evaluation.figures import FigureRegister
from evaluation.params import Params
from evaluation.pipeline.atomic import write_bytes_atomic
from evaluation.published import section_charts
from evaluation.results import Results


def merged(sections: list[Results]) -> tuple[FigureRegister, list, dict, dict]:
    """Figures, QA findings, tables and charts of every results section, as one."""
    figures = FigureRegister()
    qa: list = []
    tabs: dict = {}
    charts: dict = {}
    for r in sections:
        figures = figures.merge(r.figures)
        qa += r.qa
        tabs |= {f"{r.section}.{k}": v for k, v in r.tables.items()}
        charts |= r.charts
    return figures, qa, tabs, charts


def presented_tables(params: Params, tabs: dict) -> dict[str, tables.PresentedTable]:
    """The tables a decision paper can place with {table:NAME}, each protected and formatted."""
    rule = params.disclosure
    out: dict[str, tables.PresentedTable] = {}
    if "process.budget" in tabs:
        out["budget"] = tables.budget_table(
            tabs["process.budget"], financial_year=params.budget.financial_year, rule=rule
        )
    if "process.league_start_to_job" in tabs:
        areas = ons_areas()
        first = params.area_codes[0]
        ca = (
            areas.loc[first, "combined_authority_code"]
            if params.area.kind == "local_authority"
            else params.area.code
        )
        out["league"] = tables.league_presented(
            tabs["process.league_start_to_job"], rule=rule, region=str(areas.loc[ca, "area_name"])
        )
    if "process.funnel" in tabs:
        out["funnel"] = tables.funnel_presented(
            tabs["process.funnel"], rule=rule, caption="Programme funnel to the data cut-off"
        )
    if "process.funnel_by_provider" in tabs:
        out["providers"] = tables.groups_presented(
            tabs["process.funnel_by_provider"],
            stage="job_outcomes",
            rule=rule,
            caption="Evidenced job outcomes by provider, as a share of starts",
            group_header="Provider",
        )
    if "process.commissioned" in tabs:
        out["commissioned"] = tables.commissioned_presented(tabs["process.commissioned"], rule=rule)
    if "process.funnel_by_ward" in tabs:
        out["wards"] = tables.groups_presented(
            tabs["process.funnel_by_ward"],
            stage="starts",
            rule=rule,
            caption="Starts by ward, as a share of referrals",
            group_header="Ward",
        )
    if "process.funnel_by_imd_decile" in tabs:
        out["imd"] = tables.groups_presented(
            tabs["process.funnel_by_imd_decile"],
            stage="starts",
            rule=rule,
            caption="Starts by deprivation decile of home area (1 most deprived)",
            group_header="IMD decile",
        )
    if "process.delivery_plan" in tabs:
        out["delivery_plan"] = tables.delivery_plan_presented(tabs["process.delivery_plan"], rule=rule)
    return out


def write_log(pack: Path, document: str, ctx: dict) -> None:
    """The document's cell-by-cell disclosure log (rows, columns and reasons; never values)."""
    (pack / "data").mkdir(parents=True, exist_ok=True)
    ctx["disclosure"]["full_log"].assign(document=document).to_csv(
        pack / "data" / f"disclosure_log_{document}.csv", index=False, lineterminator="\n"
    )


def copy_assets(pack: Path, charts: dict) -> None:
    """The style sheet and ``charts`` (SVG) into the pack, each written only when it differs and
    then atomically: a PDF may be laid out from them in another process at the same time."""
    files = {pack / "assets" / "print.css": (render.TEMPLATES / "print.css").read_bytes()}
    files |= {pack / "charts" / f"{name}.svg": c.svg.encode("utf-8") for name, c in charts.items()}
    (pack / "charts").mkdir(parents=True, exist_ok=True)
    for path, data in sorted(files.items()):
        if not path.is_file() or path.read_bytes() != data:
            write_bytes_atomic(path, data)


def build_decision_paper(
    params: Params,
    params_file: Path,
    sections: list[Results],
    validation_rows: list[dict],
    provenance: context.Provenance,
    pack: Path,
    *,
    pdf_cache: Path | None = None,
) -> list[Path]:
    """Render the Cabinet report / Delegated Officer Decision paper as HTML and PDF into ``pack``."""
    figures, qa, tabs, _ = merged(sections)
    process = next(r for r in sections if r.section == "process")
    charts = section_charts(process, params)
    copy_assets(pack, charts)
    ctx = context.decision_paper_context(
        params=params,
        params_file=params_file,
        figures=figures,
        presented=presented_tables(params, tabs),
        charts=charts,
        chart_href="charts",
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        css_href="assets/print.css",
    )
    return _render("decision_paper.html.j2", ctx, pack, "decision_paper", pdf_cache)


def build_return(params: Params, sections: list[Results], participants, pack: Path) -> list[Path]:
    """The DWP quarterly return (XLSX, CSVs, schema) from the process results."""
    from evaluation.documents.returns import return_tables, write_return

    process = next(r for r in sections if r.section == "process")
    equity = next((r for r in sections if r.section == "equity"), None)
    mine = participants[participants["area_code"].isin(params.area_codes)]
    return write_return(return_tables(process, mine, params, equity), params, pack)


def build_equalities_analysis(
    params: Params,
    params_file: Path,
    sections: list[Results],
    validation_rows: list[dict],
    provenance: context.Provenance,
    pack: Path,
    *,
    pdf_cache: Path | None = None,
) -> list[Path]:
    """The Equalities Analysis (Part A screening, Part B analysis and actions) as HTML and PDF."""
    figures, qa, _, _ = merged(sections)
    equity = next(r for r in sections if r.section == "equity")
    charts = section_charts(equity, params)
    copy_assets(pack, charts)
    ctx = context.equalities_context(
        params=params,
        params_file=params_file,
        figures=figures,
        charts=charts,
        equity_tables=equity.tables,
        notes=equity.notes,
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        css_href="assets/print.css",
    )
    return _render("equalities_analysis.html.j2", ctx, pack, "equalities_analysis", pdf_cache)


def _render(template: str, ctx: dict, pack: Path, name: str, pdf_cache: Path | None) -> list[Path]:
    """A document's disclosure log, HTML and PDF (the PDF from ``pdf_cache`` when unchanged)."""
    write_log(pack, name, ctx)
    html = render.render_html(template, ctx)
    html_path = pack / f"{name}.html"
    html_path.write_text(html, encoding="utf-8")
    return [html_path, render.write_pdf(html, pack / f"{name}.pdf", cache=pdf_cache)]


def build_scrutiny_update(
    params: Params,
    params_file: Path,
    sections: list[Results],
    validation_rows: list[dict],
    provenance: context.Provenance,
    pack: Path,
    *,
    pdf_cache: Path | None = None,
) -> list[Path]:
    """The scrutiny progress update as HTML and PDF."""
    figures, qa, tabs, _ = merged(sections)
    charts = section_charts(next(r for r in sections if r.section == "process"), params)
    copy_assets(pack, charts)
    ctx = context.scrutiny_context(
        params=params,
        params_file=params_file,
        figures=figures,
        presented=presented_tables(params, tabs),
        charts=charts,
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        css_href="assets/print.css",
    )
    return _render("scrutiny_update.html.j2", ctx, pack, "scrutiny_update", pdf_cache)


def build_delivery_plan(
    params: Params,
    params_file: Path,
    sections: list[Results],
    validation_rows: list[dict],
    provenance: context.Provenance,
    pack: Path,
    *,
    pdf_cache: Path | None = None,
) -> list[Path]:
    """The delivery plan with its reconciliation as HTML and PDF."""
    figures, qa, tabs, _ = merged(sections)
    copy_assets(pack, {})
    ctx = context.delivery_plan_context(
        params=params,
        figures=figures,
        presented=presented_tables(params, tabs),
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        css_href="assets/print.css",
        params_file=params_file,
    )
    return _render("delivery_plan.html.j2", ctx, pack, "delivery_plan", pdf_cache)


def build_technical_report(
    params: Params,
    params_file: Path,
    sections: list[Results],
    validation_rows: list[dict],
    provenance: context.Provenance,
    pack: Path,
) -> list[Path]:
    """The technical report (methods, diagnostics, main tables) as HTML and PDF."""
    figures, qa, _, _ = merged(sections)
    charts: dict[str, dict] = {}
    for r in sections:
        if r.section in ("impact", "baseline"):
            charts[r.section] = section_charts(r, params)
    copy_assets(pack, {name: c for by_name in charts.values() for name, c in by_name.items()})
    notebooks = sorted(p.stem for p in (pack / "notebooks").glob("*.ipynb"))
    ctx = context.technical_context(
        params=params,
        sections=sections,
        figures=figures,
        qa=qa,
        validation_rows=validation_rows,
        provenance=provenance,
        css_href="assets/print.css",
        notebooks=notebooks,
        charts=charts,
    )
    # HTML only. Its PDF once differed between builds in two folders: WeasyPrint wrote the links
    # to the notebooks as absolute file URIs (render.finish_pdf now makes them relative). It is
    # still not produced because laying out its long tables costs about a minute a pack.
    write_log(pack, "technical_report", ctx)
    html_path = pack / "technical_report.html"
    html_path.write_text(render.render_html("technical_report.html.j2", ctx), encoding="utf-8")
    return [html_path]
