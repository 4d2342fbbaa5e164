"""Validated tables on disk (Parquet, with their findings as JSON), read back without validating again.

Written to internal folders only (they hold pseudonymised personal data): never published.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from evaluation.data.inputs import ValidatedInputs
from evaluation.data.validate import ValidatedTable
from evaluation.errors import Finding

TABLE_NAMES = ("ward_lookup", "participants", "comparison_pool", "area_statistics", "budget")


def write_validated(inputs: ValidatedInputs, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for t in inputs.tables():
        t.frame.to_parquet(folder / f"{t.name}.parquet")
        t.quarantine.astype(str).to_parquet(folder / f"{t.name}.quarantine.parquet")
        meta = {"file": t.file, "findings": [asdict(f) for f in t.findings]}
        (folder / f"{t.name}.findings.json").write_text(
            json.dumps(meta, sort_keys=True) + "\n", encoding="utf-8"
        )


def read_validated(folder: Path) -> ValidatedInputs:
    """The validated tables of a run, with their quarantine and findings."""
    tables = {}
    for name in TABLE_NAMES:
        frame = pd.read_parquet(Path(folder) / f"{name}.parquet")
        quarantine = pd.read_parquet(Path(folder) / f"{name}.quarantine.parquet")
        meta = json.loads((Path(folder) / f"{name}.findings.json").read_text(encoding="utf-8"))
        tables[name] = ValidatedTable(
            name, meta["file"], frame, quarantine, [Finding(**f) for f in meta["findings"]]
        )
    return ValidatedInputs(**tables)
