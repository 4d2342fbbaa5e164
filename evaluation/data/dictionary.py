"""The data dictionary, generated from the schemas so that it cannot drift from the code."""

from __future__ import annotations

from evaluation.data.schemas import TABLES, Column

KIND_TEXT = {
    "id": "text (identifier)",
    "code": "text (ONS code)",
    "text": "text",
    "category": "category",
    "int": "whole number",
    "float": "number",
    "money": "pounds",
    "bool": "yes/no",
    "date": "date (dd/mm/yyyy or yyyy-mm-dd)",
    "list": "list (separated by ;)",
}


def _allowed(col: Column) -> str:
    parts = []
    if col.allowed:
        parts.append("; ".join(col.allowed))
    if col.minimum is not None or col.maximum is not None:
        lo = "" if col.minimum is None else f"{col.minimum:g}"
        hi = "" if col.maximum is None else f"{col.maximum:g}"
        parts.append(f"{lo} to {hi}".strip())
    if col.pattern and col.kind in ("id", "code"):
        parts.append(f"pattern `{col.pattern}`")
    return " ".join(parts) or "any"


def data_dictionary() -> str:
    """Markdown: for each input table, every column's type, whether required, allowed values, meaning."""
    lines = [
        "# Data dictionary",
        "",
        "Generated from `evaluation/data/schemas.py` by `python -m evaluation dictionary`; do not edit by hand.",
        "",
        "Missing values: a blank cell, `N/A`, `NA`, `-`, `null` or `Not known` is read as missing. ",
        "`Prefer not to say` is kept as its own answer where the column lists it, and read as missing elsewhere.",
        "Dates are read day first (dd/mm/yyyy) or as ISO (yyyy-mm-dd); Excel serial numbers only where the",
        "source declares `excel_serial_dates: true`. Identifiers are always read as text.",
        "",
    ]
    for table in TABLES.values():
        lines += [
            f"## {table.title} (`{table.name}`)",
            "",
            table.description,
            "",
            f"Key: {', '.join(table.key)}.",
            "",
        ]
        lines += [
            "| column | type | required | may be blank | allowed values | meaning |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for col in table.columns:
            lines.append(
                f"| `{col.name}` | {KIND_TEXT[col.kind]} | {'yes' if col.required else 'no'} | "
                f"{'yes' if col.nullable else 'no'} | {_allowed(col)} | {col.meaning} |"
            )
        lines.append("")
    return "\n".join(lines)
