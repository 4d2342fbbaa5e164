"""Narrative from parameters files, with figures named by a restricted reference.

``{fig:NAME}``, ``{fig:NAME:1}`` (decimal places) or ``{fig:NAME:short}`` is replaced by the
registered figure NAME, formatted; ``{table:NAME}`` stands alone in a paragraph to place a table.
Nothing is evaluated: the text is never a template, so ``{{ 7*7 }}`` or HTML stays literal text
(it is escaped when rendered). An unknown name stops the build naming the file and key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from evaluation.documents.formatting import figure_text
from evaluation.errors import TemplateError
from evaluation.figures import FigureRegister

FIG = re.compile(r"\{fig:([a-z][a-z0-9_]*)(?::([0-9]|short))?\}")
TABLE = re.compile(r"^\{table:([a-z][a-z0-9_]*)\}$")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph ready to present: plain text lines and bullet items, or a table reference."""

    lines: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    table: str | None = None


def fill(text: str, figures: FigureRegister, *, file: str, key: str) -> str:
    """Replace each figure reference by its formatted value; refuse unknown names."""

    def repl(m: re.Match[str]) -> str:
        name, spec = m.group(1), m.group(2)
        if name not in figures:
            raise TemplateError(
                f"the narrative names the figure {name!r}, which no evaluation registered",
                file=file,
                key=key,
                expected="one of: " + ", ".join(figures.names()),
            )
        return figure_text(figures[name], spec)

    return FIG.sub(repl, text)


def paragraph(text: str, figures: FigureRegister, *, file: str, key: str, tables: set[str]) -> Paragraph:
    """Fill a paragraph; lines starting '- ' become bullet items; a lone {table:X} places a table."""
    m = TABLE.match(text.strip())
    if m:
        if m.group(1) not in tables:
            raise TemplateError(
                f"the narrative places the table {m.group(1)!r}, which this document does not have",
                file=file,
                key=key,
                expected="one of: " + ", ".join(sorted(tables)),
            )
        return Paragraph(table=m.group(1))
    filled = fill(text, figures, file=file, key=key)
    lines, bullets = [], []
    for line in filled.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            bullets.append(stripped[2:])
        elif stripped:
            lines.append(stripped)
    return Paragraph(tuple(lines), tuple(bullets))
