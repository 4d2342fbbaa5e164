"""The committed data dictionary is the one the schemas generate (no drift)."""

from __future__ import annotations

from pathlib import Path

from evaluation.data.dictionary import data_dictionary
from evaluation.data.schemas import TABLES


def test_dictionary_matches_schemas() -> None:
    committed = (Path(__file__).parent.parent / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary() + "\n", "run `make dictionary` and commit the result"


def test_dictionary_lists_every_column() -> None:
    text = data_dictionary()
    for table in TABLES.values():
        for col in table.columns:
            assert f"| `{col.name}` |" in text
