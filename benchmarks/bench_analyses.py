"""Measurements of the analyses, each in a fresh process: phases timed, peak memory after each.

In: a step name and its inputs (validated tables stored by ``benchmarks.bench_data`` as
Parquet, so that reading them is not what is measured). Out: one line of JSON on stdout: the
wall time of each phase, the process's peak resident memory after each phase (``peak_mb``
only grows, so each figure is the peak up to the end of that phase), and counts that show the
work done.

Steps:
- ``analyses PARTICIPANTS``: the process metrics (``analyses.process.process_results``: funnel
  by every grouping, quarterly and monthly series, durations, budget; without targets, so
  without the year-end projections, which ``projection`` times apart),
  the equity tables (``analyses.equity.equity_results``) and disclosure control of every table a
  decision paper can place (``documents.build.presented_tables``, which runs
  ``disclosure.protect``), for every participant row (a run whose areas are all the areas);
- ``projection PARTICIPANTS``: the year-end projections of starts and job outcomes (run only up
  to ``PROJECTION_MAX_ROWS`` participants);
- ``impact PARTICIPANTS POOL``: the analysis frame, the propensity model, inverse probability
  and doubly robust weighting, balance after weighting, then matching 4:1 with replacement and
  1:1 without; the raw tables are let go once the frame is built, as the estimators need only it;
- ``area_baseline``: the area-level do-nothing baselines on the synthetic area statistics
  (interrupted time series, difference-in-differences with its event study, synthetic control
  with its placebos, the minimum detectable effect), both regions; their size is fixed by the
  number of areas and survey periods, not by participants;
- ``render REPORTS``: one document (the Rotherham 2026/27 decision paper) rendered again from a
  built pack's results: context, HTML, PDF.

Run by ``benchmarks.bench``; by hand: ``python -m benchmarks.bench_analyses impact P.parquet C.parquet``.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import sys
import time
from pathlib import Path

from benchmarks.bench_steps import peak_mb

HERE = Path(__file__).parent
ROOT = HERE.parent
PERIOD_START = dt.date(2025, 4, 1)
DATA_CUTOFF = dt.date(2026, 2, 15)
PARAMS = ROOT / "params" / "south_yorkshire_2025-26.yaml"
DOCUMENT_PARAMS = "rotherham_2026-27.yaml"
# The year-end projection draws per cell of identical journeys, so its cost is set by distinct
# journeys x draws, not by participants. At 1 million rows of these tiled inputs (2,973 distinct
# journeys) both projections took 3 s, peak 1.2 GB of which 1.0 GB is the table; a simulated
# programme of 1 million untiled journeys (54,000 distinct) took 17 to 42 s, peak 0.65 GB (shared
# machine, load 3.6 to 5.6). Before, it held participants x 250 draws: 113 s and 2.7 GB at 100,000.
PROJECTION_MAX_ROWS = 1_000_000


class Phases:
    """Times and peak memory of consecutive phases."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
        self._t = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = now - self._t
        self.peaks[name] = round(peak_mb(), 1)
        self._t = time.perf_counter()


def _table(name: str, frame, path: str = ""):
    import pandas as pd

    from evaluation.data.validate import ValidatedTable

    return ValidatedTable(name, path, frame, pd.DataFrame(columns=["rules", "reasons"]), [])


def _small_inputs() -> dict:
    """The default synthetic area statistics, budget and ward lookup, validated."""
    from benchmarks import bench_data
    from evaluation.data.validate import RuleContext, read_and_validate

    folder = bench_data.ensure_inputs()
    ctx = RuleContext(PERIOD_START, DATA_CUTOFF)
    return {
        name: read_and_validate(folder / f"{name}.csv", name, ctx=ctx)
        for name in ("ward_lookup", "area_statistics", "budget")
    }


def _all_areas_params(codes: list[str]):
    """The South Yorkshire parameters with every area in the data as the run's councils."""
    from evaluation.params import load_params

    params = load_params(PARAMS)
    return params.model_copy(update={"area": params.area.model_copy(update={"councils": tuple(codes)})})


def analyses(participants_path: Path) -> dict:
    import pandas as pd

    from evaluation.analyses.equity import equity_results
    from evaluation.analyses.process import process_results
    from evaluation.data.inputs import ValidatedInputs
    from evaluation.documents.build import presented_tables

    small = _small_inputs()
    ph = Phases()
    part = pd.read_parquet(participants_path)
    empty_pool = _table("comparison_pool", pd.DataFrame())
    inputs = ValidatedInputs(
        small["ward_lookup"],
        _table("participants", part),
        empty_pool,
        small["area_statistics"],
        small["budget"],
    )
    params = _all_areas_params(sorted(part["area_code"].dropna().unique()))
    ph.done("load")
    # Without targets, so without the year-end projections, which are measured on their own.
    process = process_results(params.model_copy(update={"targets": []}), inputs)
    ph.done("process")
    equity = equity_results(params, inputs)
    ph.done("equity")
    tabs = {f"process.{k}": v for k, v in process.tables.items()}
    presented = presented_tables(params, tabs)
    ph.done("disclosure")
    ph.times["total"] = ph.times["process"] + ph.times["equity"] + ph.times["disclosure"]
    counts = {
        "participants": len(part),
        "process_tables": len(process.tables),
        "equity_tables": len(equity.tables),
        "equity_rows": int(sum(len(t) for t in equity.tables.values())),
        "tables_protected": len(presented),
        "referrals": int(process.figures["referrals"].value),
    }
    return {"times": ph.times, "peaks": ph.peaks, "counts": counts}


def projection(participants_path: Path) -> dict:
    """The year-end projections of starts and of job outcomes (2,000 draws each), every row; with
    the number of distinct journeys (cells), which sets the cost, counted after the timed phases."""
    import pandas as pd

    from evaluation.metrics.projection import _as_at, project_year_end

    ph = Phases()
    part = pd.read_parquet(participants_path)
    ph.done("load")
    for measure in ("starts", "job_outcomes"):
        project_year_end(part, measure=measure, data_cutoff=DATA_CUTOFF, period_end=dt.date(2026, 3, 31))
        ph.done(measure)
    ph.times["total"] = ph.times["starts"] + ph.times["job_outcomes"]
    counts = {"participants": len(part), "distinct_journeys": len(_as_at(part, DATA_CUTOFF).count)}
    return {"times": ph.times, "peaks": ph.peaks, "counts": counts}


def impact(participants_path: Path, pool_path: Path) -> dict:
    """The impact step's phases; counts hold the estimates and each phase's CPU seconds (user and
    system), which other work on a shared machine inflates less than wall time."""
    import pandas as pd
    import pyarrow as pa

    from evaluation.metrics import impact as im

    cpu = {"start": time.process_time()}

    def done(name: str) -> None:
        ph.done(name)
        cpu[name] = time.process_time()

    ph = Phases()
    part = pd.read_parquet(participants_path)
    pool = pd.read_parquet(pool_path)
    codes = sorted(set(part["area_code"].dropna()) | set(pool["area_code"].dropna()))
    done("load")
    frame = im.build_analysis_frame(part, pool, area_codes=codes, data_cutoff=DATA_CUTOFF)
    del part, pool
    gc.collect()
    # The tables' text lives in pyarrow's allocator, which keeps freed pages for its own reuse
    # (2.5 GB at 10 million pool rows) unless asked: the estimators allocate through numpy.
    pa.default_memory_pool().release_unused()
    done("frame")
    model = im.propensity(frame)
    done("propensity")
    ipw = im.ipw_att(frame, model)
    done("ipw")
    dr = im.doubly_robust_att(frame, model)
    done("doubly_robust")
    im.balance_table(frame, weights=dr.weights)
    done("balance")
    nn4 = im.nearest_neighbour_att(frame, model)
    done("matching_4_to_1")
    nn1 = im.nearest_neighbour_att(frame, model, replace=False)
    done("matching_1_to_1")
    t = ph.times
    t["weighting"] = t["frame"] + t["propensity"] + t["ipw"] + t["doubly_robust"]
    t["matching"] = t["matching_4_to_1"] + t["matching_1_to_1"]
    t["total"] = t["weighting"] + t["balance"] + t["matching"]
    marks = list(cpu.items())
    counts = {
        "frame_rows": len(frame),
        "treated": int((frame["treated"] == 1).sum()),
        "design_columns": int(model.design.shape[1]),
        "converged": bool(model.converged),
        "att_ipw": ipw.att,
        "att_dr": dr.att,
        "att_matching_4_to_1": nn4.att,
        "att_matching_1_to_1": nn1.att,
        "se_ipw": ipw.se,
        "se_dr": dr.se,
        "se_matching_4_to_1": nn4.se,
        "se_matching_1_to_1": nn1.se,
        "cpu_seconds": {name: round(at - marks[i][1], 3) for i, (name, at) in enumerate(marks[1:])},
    }
    return {"times": t, "peaks": ph.peaks, "counts": counts}


def area_baseline() -> dict:
    from benchmarks.baseline_simulation import COMPARISON, REGIONS
    from evaluation.metrics import baseline as bl

    areas = _small_inputs()["area_statistics"].frame
    ph = Phases()
    estimates = 0
    for codes, start in REGIONS.values():
        bl.interrupted_time_series(areas, area_codes=codes, programme_start=start)
        ph.done("its" if "its" not in ph.times else "its_2")
        bl.difference_in_differences(
            areas, treated_codes=codes, comparison_codes=COMPARISON, programme_start=start
        )
        bl.event_study(areas, treated_codes=codes, comparison_codes=COMPARISON, programme_start=start)
        ph.done("did" if "did" not in ph.times else "did_2")
        bl.synthetic_control(areas, treated_code=codes, donor_codes=COMPARISON, programme_start=start)
        ph.done("synthetic_control" if "synthetic_control" not in ph.times else "synthetic_control_2")
        bl.minimum_detectable_effect(
            areas,
            design="interrupted_time_series",
            treated_codes=codes,
            programme_start=start,
        )
        ph.done("mde" if "mde" not in ph.times else "mde_2")
        estimates += 5
    t = {
        k: ph.times.get(k, 0) + ph.times.get(f"{k}_2", 0) for k in ("its", "did", "synthetic_control", "mde")
    }
    t["total"] = sum(t.values())
    return {"times": t, "peaks": ph.peaks, "counts": {"areas_rows": len(areas), "estimates": estimates}}


def render(reports: Path) -> dict:
    import shutil
    import tempfile

    from evaluation.data.store import read_validated
    from evaluation.data.summary import summary_rows
    from evaluation.documents import build, context, render
    from evaluation.params import load_params
    from evaluation.pipeline import run
    from evaluation.pipeline.manifest import provenance_for
    from evaluation.published import process_charts
    from evaluation.results import read_all

    params_path = reports.parent / "params" / DOCUMENT_PARAMS
    params = load_params(params_path)
    area, period = run.pack_location(params_path)
    work = reports / ".internal" / area / period
    staging = Path(tempfile.mkdtemp(prefix="render-", dir=reports.parent))
    try:
        with run.source_date_epoch(params):
            ph = Phases()
            rows = summary_rows(read_validated(work / "validated").tables())
            sections = read_all(work / "results")
            provenance = provenance_for(params_path, params)
            ph.done("load")
            figures, qa, tabs, _ = build.merged(sections)
            charts = process_charts(next(r for r in sections if r.section == "process"), params)
            build.copy_assets(staging, charts)
            ctx = context.decision_paper_context(
                params=params, params_file=params_path, figures=figures,
                presented=build.presented_tables(params, tabs), charts=charts, chart_href="charts",
                qa=qa, validation_rows=rows, provenance=provenance, css_href="assets/print.css",
            )  # fmt: skip
            ph.done("context")
            html = render.render_html("decision_paper.html.j2", ctx)
            ph.done("html")
            pdf = render.render_pdf(html, base=staging)
            ph.done("pdf")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    t = ph.times
    t["total"] = t["context"] + t["html"] + t["pdf"]
    return {"times": t, "peaks": ph.peaks, "counts": {"html_bytes": len(html), "pdf_bytes": len(pdf)}}


def main() -> None:
    step, args = sys.argv[1], [Path(a) for a in sys.argv[2:]]
    import pandas  # noqa: F401

    import evaluation.metrics.impact

    floor = peak_mb()
    if step == "analyses":
        out = analyses(args[0])
    elif step == "projection":
        out = projection(args[0])
    elif step == "impact":
        out = impact(args[0], args[1])
    elif step == "area_baseline":
        out = area_baseline()
    elif step == "render":
        out = render(args[0])
    else:
        raise SystemExit(f"unknown step {step!r}")
    import evaluation

    out.update(peak_rss_mb=round(peak_mb(), 1), import_rss_mb=round(floor, 1), code=evaluation.__file__)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
