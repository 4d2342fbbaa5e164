"""The validation summary: per file, rows in, accepted, quarantined and by which rule.

Also writes the quarantine files (rows with their reasons, for the data owner to fix) and the
findings list. Quarantined rows hold personal data, so they go to the run's internal folder,
never into a published pack; the summary (counts only) may be published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from evaluation.data.inputs import ValidatedInputs
from evaluation.data.validate import ValidatedTable


def summary_rows(tables: list[ValidatedTable]) -> list[dict]:
    """One row per file: the counts that must satisfy rows in = accepted + quarantined."""
    rows = []
    for t in tables:
        rows.append(
            {
                "table": t.name,
                "file": Path(t.file).name,
                "rows_in": t.rows_in,
                "accepted": t.accepted,
                "quarantined": t.quarantined,
                "warnings": len(t.warnings),
                "quarantined_by_rule": t.quarantined_by_rule(),
            }
        )
    return rows


def write_quarantine(inputs: ValidatedInputs, folder: Path) -> dict[str, Path]:
    """Write each table's quarantined rows and every finding to ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for t in inputs.tables():
        path = folder / f"{t.name}.quarantine.csv"
        t.quarantine.reset_index().to_csv(path, index=False, lineterminator="\n")
        written[t.name] = path
    findings = [
        {
            "table": t.name,
            "severity": f.severity,
            "file": Path(f.file).name,
            "sheet": f.sheet,
            "line": f.line,
            "column": f.column,
            "rule": f.rule,
            "message": f.message,
            "value": f.value,
            "expected": f.expected,
            "fix": f.fix,
        }
        for t in inputs.tables()
        for f in t.findings
    ]
    pd.DataFrame(
        findings,
        columns=[
            "table",
            "severity",
            "file",
            "sheet",
            "line",
            "column",
            "rule",
            "message",
            "value",
            "expected",
            "fix",
        ],
    ).to_csv(folder / "findings.csv", index=False, lineterminator="\n")
    (folder / "summary.json").write_text(
        json.dumps(summary_rows(inputs.tables()), indent=2) + "\n", encoding="utf-8"
    )
    return written
