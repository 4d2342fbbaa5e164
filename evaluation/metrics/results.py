"""Frozen result types passed between stages: no bare tuples or dicts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Proportion:
    """k of n, the rate and its interval; rate is None when n is 0 (no rate, not a zero rate)."""

    k: int
    n: int
    rate: float | None
    lower: float | None
    upper: float | None
    method: str


@dataclass(frozen=True)
class QAFinding:
    """One consistency check of the QA appendix: what was checked, what was found, by how much."""

    check: str
    status: str  # "pass", "fail" or "note"
    message: str
    expected: float | None = None
    found: float | None = None
    difference: float | None = None
    source: str = ""
