"""reports/index.html: every pack in the reports folder, with links to its documents."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.documents.render import render_html
from evaluation.pipeline.atomic import write_bytes_atomic

LABELS = {
    "decision_paper.pdf": "Decision paper (PDF)",
    "decision_paper.html": "Decision paper (HTML)",
    "equalities_analysis.pdf": "Equalities Analysis (PDF)",
    "scrutiny_update.pdf": "Scrutiny progress update (PDF)",
    "delivery_plan.pdf": "Delivery plan (PDF)",
    "dwp_return.xlsx": "DWP quarterly return (XLSX)",
    "dwp_return.csv": "DWP quarterly return (CSV)",
    "technical_report.html": "Technical report (HTML)",
    "manifest.json": "Manifest (inputs, parameters, outputs and their SHA-256)",
}


def write_index(reports: Path) -> Path:
    """List each pack (area, period, run id, documents) in a plain accessible HTML page."""
    packs = []
    for manifest in sorted(Path(reports).glob("*/*/manifest.json")):
        pack = manifest.parent
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        links = [
            {"href": f"{pack.parent.name}/{pack.name}/{name}", "label": label}
            for name, label in LABELS.items()
            if (pack / name).exists()
        ]
        packs.append(
            {
                "area": meta["parameters"]["area"]["name"],
                "title": meta["parameters"]["document"]["title"],
                "financial_year": meta["parameters"]["financial_year"],
                "run_id": meta["run_id"],
                "links": links,
            }
        )
    path = Path(reports) / "index.html"
    write_bytes_atomic(path, render_html("index.html.j2", {"packs": packs}).encode("utf-8"))
    return path
