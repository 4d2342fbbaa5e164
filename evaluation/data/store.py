"""Validated tables on disk (Parquet), so that each evaluation reads them without validating again.

Written to the run's internal folder (they hold pseudonymised personal data): never published.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evaluation.data.inputs import ValidatedInputs
from evaluation.data.validate import ValidatedTable

TABLE_NAMES = ("ward_lookup", "participants", "comparison_pool", "area_statistics", "budget")


def write_validated(inputs: ValidatedInputs, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for t in inputs.tables():
        t.frame.to_parquet(folder / f"{t.name}.parquet")
        t.quarantine.astype(str).to_parquet(folder / f"{t.name}.quarantine.parquet")


def read_validated(folder: Path) -> ValidatedInputs:
    """The validated tables of a run (findings stay in the quarantine folder's findings.csv)."""
    tables = {}
    for name in TABLE_NAMES:
        frame = pd.read_parquet(Path(folder) / f"{name}.parquet")
        quarantine = pd.read_parquet(Path(folder) / f"{name}.quarantine.parquet")
        tables[name] = ValidatedTable(name, f"{name} (validated)", frame, quarantine, [])
    return ValidatedInputs(**tables)
