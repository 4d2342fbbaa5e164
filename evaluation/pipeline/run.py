"""The report run: for each parameters file, validate inputs and build its pack atomically.

In: parameters files and a reports folder. Out: ``reports/<area>/<period>/`` per file, each
replaced in one step only when everything for it succeeded; other areas go on if one fails.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from rich.console import Console

from evaluation.data.inputs import load_inputs
from evaluation.data.summary import summary_rows, write_quarantine
from evaluation.errors import EvaluationError, ParamsError
from evaluation.params import load_params
from evaluation.pipeline.atomic import staged_folder


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


def build_pack(params_path: Path, staging: Path, internal: Path, console: Console) -> dict:
    """Everything for one parameters file, written into ``staging``; returns the step times."""
    from evaluation.cli import print_summary

    params = load_params(params_path)
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    inputs = load_inputs(params_path, params)
    write_quarantine(inputs, internal / "quarantine")
    rows = summary_rows(inputs.tables())
    (staging / "validation_summary.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    steps["validate"] = round(time.perf_counter() - t0, 3)
    print_summary(f"{params.run_name}: inputs validated", rows)
    return steps


def run_report(params_files: list[Path], reports: Path, *, console: Console) -> bool:
    """Build every pack; True when all succeeded. A failing area is reported and the rest go on."""
    failures: list[str] = []
    for params_path in params_files:
        area, period = pack_location(params_path)
        final = Path(reports) / area / period
        internal = Path(reports) / ".internal" / area / period
        try:
            with staged_folder(final) as staging:
                build_pack(params_path, staging, internal, console)
            console.print(f"[green]pack written:[/] {final}")
        except EvaluationError as err:
            failures.append(f"{params_path.name}: {err}")
            console.print(f"[red]failed:[/] {params_path.name}: {err}")
    if failures:
        console.print(
            f"[red]{len(failures)} of {len(params_files)} runs failed[/]; their previous packs are unchanged."
        )
    return not failures
