"""UK public-sector formats: 2 March 2026, £1,703,928 and £1.7m, 2025/26, 53.4%, 1,000.

Used as Jinja2 filters and by the narrative's figure references; the only place numbers become text.
"""

from __future__ import annotations

import datetime as dt
import math

from evaluation.disclosure import CONFIDENTIAL, LOW
from evaluation.figures import Figure


def uk_date(value: dt.date | str) -> str:
    """2 March 2026 (no leading zero, full month name)."""
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.day} {d:%B %Y}"


def month_year(value: dt.date | str) -> str:
    d = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d:%B %Y}"


def count(value: float | int) -> str:
    """1,000: whole numbers with thousands separators."""
    return f"{round(value):,}"


def money(value: float, *, short: bool = False) -> str:
    """£1,703,928; short form £1.7m or £350k for headlines."""
    if short:
        if abs(value) >= 1_000_000:
            text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".")
            return f"£{text}m"
        if abs(value) >= 1_000:
            return f"£{value / 1_000:.0f}k"
    return f"£{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"£{value:,.2f}"


def percent(value: float, decimals: int = 1) -> str:
    """A proportion (0 to 1) as 53.4%; [low] where it is above zero but would print as 0.0%."""
    text = f"{100 * value:.{decimals}f}%"
    return LOW if value > 0 and float(text[:-1]) == 0 else text


def financial_year(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def figure_text(fig: Figure, spec: str | None = None) -> str:
    """A registered figure as text. ``spec``: digits (decimal places) or 'short' (money)."""
    if fig.suppressed:
        return CONFIDENTIAL
    v = fig.value
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "[x]"
    decimals = int(spec) if spec is not None and spec.isdigit() else None
    if fig.unit == "count":
        return count(float(v))
    if fig.unit == "proportion":
        return percent(float(v), 1 if decimals is None else decimals)
    if fig.unit == "money":
        return money(float(v), short=spec == "short")
    if fig.unit == "date":
        return uk_date(str(v))
    if fig.unit == "number":
        return f"{float(v):,.{1 if decimals is None else decimals}f}"
    return str(v)
