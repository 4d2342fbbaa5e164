"""The validation summary: per file, rows in, accepted, quarantined and by which rule.

Also writes the quarantine files (rows with their reasons, for the data owner to fix) and the
findings list. Quarantined rows hold personal data, so they go to the run's internal folder,
never into a published pack; the summary (counts only) may be published.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from evaluation.data.identifiers import redact_identifiers
from evaluation.data.inputs import ValidatedInputs
from evaluation.data.schemas import TABLES
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


def record_keys(t: ValidatedTable) -> dict[int, str]:
    """The pseudonymous key of each row a finding names (``participant_id P0000003``), by
    spreadsheet line: how a data owner finds the row without the report holding more of it."""
    key = TABLES[t.name].key
    lines = {f.line for f in t.findings if f.line is not None}
    out: dict[int, str] = {}
    for frame in (t.frame, t.quarantine):
        if len(frame) and lines and all(k in frame for k in key):
            rows = frame.loc[frame.index.intersection(list(lines)), list(key)]
            for line, values in zip(rows.index, rows.itertuples(index=False), strict=True):
                shown = [str(v) for v in values if v is not None and not pd.isna(v) and str(v) != "None"]
                if shown:
                    out[int(line)] = ", ".join(f"{k} {v}" for k, v in zip(key, shown, strict=False))
    return out


def write_quarantine(inputs: ValidatedInputs, folder: Path) -> dict[str, Path]:
    """Write each table's quarantined rows and every finding to ``folder``; return the paths.

    Rows are named by file, line and pseudonymous key; values of sensitive columns are redacted
    (already, by the validation), and anything shaped like a direct identifier in any cell or
    finding is redacted here, so that a validation report can be passed to the data owner."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for t in inputs.tables():
        path = folder / f"{t.name}.quarantine.csv"
        quarantine = t.quarantine.reset_index()
        for col in quarantine.columns:
            if quarantine[col].dtype == object:
                quarantine[col] = quarantine[col].map(redact_identifiers)
        quarantine.to_csv(path, index=False, lineterminator="\n")
        written[t.name] = path
    findings = []
    for t in inputs.tables():
        keys = record_keys(t)
        for f in t.findings:
            findings.append(
                {
                    "table": t.name,
                    "severity": f.severity,
                    "file": Path(f.file).name,
                    "sheet": f.sheet,
                    "line": f.line,
                    "record": keys.get(f.line) if f.line is not None else None,
                    "column": f.column,
                    "rule": f.rule,
                    "message": redact_identifiers(f.message),
                    "value": redact_identifiers(f.value),
                    "expected": f.expected,
                    "fix": f.fix,
                }
            )
    pd.DataFrame(
        findings,
        columns=[
            "table",
            "severity",
            "file",
            "sheet",
            "line",
            "record",
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
