"""Results hand-over: what an evaluation produces, written and read in a typed, versioned form.

Each evaluation (process, impact, baseline, equity) writes one section: tables as Parquet,
figures as JSON with their definitions, QA findings as JSON, charts as SVG with their alt text.
Documents read these files; nothing is ever scraped from a notebook's output.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from evaluation.figures import FigureRegister
from evaluation.metrics.results import QAFinding

RESULTS_VERSION = 1


@dataclass(frozen=True)
class ChartFile:
    """A chart as handed to documents: SVG text, title, alt text and the table behind it."""

    name: str
    title: str
    svg: str
    alt_text: str
    data: pd.DataFrame


@dataclass
class Results:
    """One evaluation section's results."""

    section: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: FigureRegister = field(default_factory=FigureRegister)
    qa: list[QAFinding] = field(default_factory=list)
    charts: dict[str, ChartFile] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # plain-words statements (methods, verdicts)


def _frame_for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(
                lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            )
    return out


def write_results(results: Results, folder: Path) -> Path:
    """Write a section to ``folder/<section>/``; returns that folder."""
    out = Path(folder) / results.section
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "charts").mkdir(parents=True, exist_ok=True)
    for name, frame in sorted(results.tables.items()):
        _frame_for_parquet(frame).to_parquet(out / "tables" / f"{name}.parquet", index=False)
    results.figures.write(out / "figures.json")
    (out / "qa.json").write_text(
        json.dumps([asdict(q) for q in results.qa], indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    charts = {}
    for name, chart in sorted(results.charts.items()):
        (out / "charts" / f"{name}.svg").write_text(chart.svg, encoding="utf-8")
        _frame_for_parquet(chart.data).to_parquet(out / "charts" / f"{name}.parquet", index=False)
        charts[name] = {"title": chart.title, "alt_text": chart.alt_text}
    manifest = {
        "version": RESULTS_VERSION,
        "section": results.section,
        "tables": sorted(results.tables),
        "charts": charts,
        "notes": dict(sorted(results.notes.items())),
    }
    (out / "results.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def read_results(folder: Path) -> Results:
    """Read one section written by ``write_results``; refuses another version."""
    folder = Path(folder)
    manifest = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    if manifest.get("version") != RESULTS_VERSION:
        raise ValueError(f"{folder}: results version {manifest.get('version')!r}; expected {RESULTS_VERSION}")
    tables = {name: pd.read_parquet(folder / "tables" / f"{name}.parquet") for name in manifest["tables"]}
    charts = {
        name: ChartFile(
            name=name,
            title=meta["title"],
            svg=(folder / "charts" / f"{name}.svg").read_text(encoding="utf-8"),
            alt_text=meta["alt_text"],
            data=pd.read_parquet(folder / "charts" / f"{name}.parquet"),
        )
        for name, meta in manifest["charts"].items()
    }
    qa = [QAFinding(**q) for q in json.loads((folder / "qa.json").read_text(encoding="utf-8"))]
    figures = FigureRegister.read(folder / "figures.json")
    return Results(manifest["section"], tables, figures, qa, charts, manifest.get("notes", {}))


def read_all(folder: Path) -> list[Results]:
    """Every section under a results folder, in name order."""
    return [read_results(p.parent) for p in sorted(Path(folder).glob("*/results.json"))]
