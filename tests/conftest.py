"""Shared fixtures: the synthetic inputs (generated once per session) and the fixture lookups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluation.data import synthetic
from evaluation.data.validate import RuleContext, read_and_validate

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parent.parent
PERIOD_START = dt.date(2025, 4, 1)
CUTOFF = dt.date(2026, 2, 15)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic inputs as CSV, written once for the whole test session."""
    out = tmp_path_factory.mktemp("inputs")
    synthetic.write(synthetic.generate(), out)
    return out


@pytest.fixture(scope="session")
def fixture_ctx() -> RuleContext:
    wards = read_and_validate(FIXTURES / "ward_lookup.csv", "ward_lookup")
    return RuleContext(period_start=PERIOD_START, data_cutoff=CUTOFF, wards=wards.frame)


@pytest.fixture(scope="session")
def synthetic_ctx(synthetic_dir: Path) -> RuleContext:
    wards = read_and_validate(synthetic_dir / "ward_lookup.csv", "ward_lookup")
    return RuleContext(period_start=PERIOD_START, data_cutoff=CUTOFF, wards=wards.frame)
