"""Shared fixtures: the synthetic inputs (generated once per session) and the fixture lookups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaluation.pipeline.threads import one_blas_thread

one_blas_thread()  # as a report run has it (before numpy is imported), so tests see the same figures

from evaluation.data import synthetic  # noqa: E402
from evaluation.data.validate import RuleContext, read_and_validate  # noqa: E402

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


def params_copy(name: str, inputs: Path, folder: Path, *, replace: tuple[str, str] | None = None) -> Path:
    """A shipped parameters file pointed at other inputs (and optionally with one edit)."""
    text = (ROOT / "params" / f"{name}.yaml").read_text(encoding="utf-8").replace("../inputs/", f"{inputs}/")
    if replace:
        assert replace[0] in text, replace[0]
        text = text.replace(*replace)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def rotherham_pack(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Rotherham 2026/27 pack built once by the real pipeline on the default synthetic data."""
    from rich.console import Console

    from evaluation.pipeline.run import run_report

    base = tmp_path_factory.mktemp("run")
    params = params_copy("rotherham_2026-27", synthetic_dir, base / "params")
    assert run_report([params], base / "reports", console=Console(quiet=True))
    return base / "reports" / "rotherham" / "2026-27"
