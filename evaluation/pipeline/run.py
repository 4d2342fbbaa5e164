"""The report run: for each parameters file, validate, execute the notebooks, render documents.

In: parameters files and a reports folder. Out: ``reports/<area>/<period>/`` per file, each
replaced in one step only when everything for it succeeded; if one area fails, the others go on
and the run ends non-zero with a summary. Working files (validated tables, quarantine, results)
go to ``reports/.internal/<area>/<period>/`` and are never part of a published pack.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from evaluation.data.inputs import load_inputs
from evaluation.data.store import write_validated
from evaluation.data.summary import summary_rows, write_quarantine
from evaluation.errors import EvaluationError, ParamsError, PipelineError
from evaluation.params import Params, load_params
from evaluation.pipeline.atomic import staged_folder
from evaluation.pipeline.manifest import provenance_for, write_manifest
from evaluation.pipeline.notebooks import NOTEBOOKS, execute_notebook
from evaluation.results import read_all


def pack_location(params_path: Path) -> tuple[str, str]:
    """(area, period) of a parameters file named ``<area>_<period>.yaml``, e.g. rotherham, 2026-27."""
    stem = Path(params_path).stem
    area, sep, period = stem.rpartition("_")
    if not sep or not area or not period:
        raise ParamsError(
            "parameters files are named <area>_<period>.yaml, e.g. rotherham_2026-27.yaml",
            file=str(params_path),
        )
    return area, period


def select_params(params_dir: Path, area: str | None = None) -> list[Path]:
    """Every parameters file in a folder, or those of one area, in name order."""
    files = sorted(Path(params_dir).glob("*.yaml"))
    if area:
        files = [f for f in files if pack_location(f)[0] == area]
    if not files:
        raise ParamsError(
            f"no parameters files{' for area ' + repr(area) if area else ''}",
            file=str(params_dir),
            expected="files named <area>_<period>.yaml",
        )
    return files


@contextmanager
def source_date_epoch(params: Params) -> Iterator[None]:
    """Fix the time every writer records (PDF dates, font tables): ``SOURCE_DATE_EPOCH`` if set,
    else midnight UTC at the start of the data cut-off day, so equal inputs give equal bytes."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    cutoff = dt.datetime.combine(params.period.data_cutoff, dt.time(0), tzinfo=dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = old or str(int(cutoff.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def build_pack(params_path: Path, staging: Path, work: Path, console: Console) -> dict[str, float]:
    """Everything for one parameters file, written into ``staging``; returns each step's seconds."""
    with source_date_epoch(load_params(params_path)):
        return _build_pack(params_path, staging, work, console)


def _build_pack(params_path: Path, staging: Path, work: Path, console: Console) -> dict[str, float]:
    from evaluation.cli import print_summary
    from evaluation.documents.build import build_decision_paper

    steps: dict[str, float] = {}
    t = time.perf_counter()
    params = load_params(params_path)
    inputs = load_inputs(params_path, params)
    if work.exists():
        shutil.rmtree(work)
    write_validated(inputs, work / "validated")
    write_quarantine(inputs, work / "quarantine")
    rows = summary_rows(inputs.tables())
    (staging / "data").mkdir(parents=True, exist_ok=True)
    (staging / "data" / "validation_summary.json").write_text(
        json.dumps(rows, indent=2) + "\n", encoding="utf-8"
    )
    steps["validate"] = time.perf_counter() - t
    print_summary(f"{params.run_name}: inputs validated", rows)

    for name in NOTEBOOKS:
        t = time.perf_counter()
        execute_notebook(
            name, params_path=params_path, work=work, out=staging / "notebooks" / f"{name}.ipynb"
        )
        steps[f"notebook:{name}"] = time.perf_counter() - t

    t = time.perf_counter()
    sections = read_all(work / "results")
    provenance = provenance_for(params_path, params)
    if "decision_paper" in params.documents:
        build_decision_paper(params, params_path, sections, rows, provenance, staging)
    steps["documents"] = time.perf_counter() - t
    write_manifest(staging, params_path=params_path, params=params, provenance=provenance, steps=steps)
    return steps


def run_report(params_files: list[Path], reports: Path, *, console: Console) -> bool:
    """Build every pack; True when all succeeded. A failing area is reported and the rest go on."""
    failures: list[str] = []
    for params_path in params_files:
        area, period = pack_location(params_path)
        final = Path(reports) / area / period
        work = Path(reports) / ".internal" / area / period
        try:
            with staged_folder(final) as staging:
                steps = build_pack(params_path, staging, work, console)
            console.print(f"[green]pack written:[/] {final} ({sum(steps.values()):.1f} s)")
        except (EvaluationError, PipelineError) as err:
            failures.append(f"{params_path.name}: {err}")
            console.print(f"[red]failed:[/] {params_path.name}: {err}")
    if failures:
        console.print(
            f"[red]{len(failures)} of {len(params_files)} runs failed[/]; their previous packs are unchanged."
        )
    return not failures
