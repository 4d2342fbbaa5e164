"""Parameters files: the shipped ones load; bad ones are refused with file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.errors import ParamsError
from evaluation.params import load_params

PARAMS = Path(__file__).parent.parent / "params"
SHIPPED = sorted(PARAMS.glob("*.yaml"))


def test_four_params_files_ship() -> None:
    assert [p.name for p in SHIPPED] == [
        "north_east_2025-26.yaml",
        "rotherham_2025-26.yaml",
        "rotherham_2026-27.yaml",
        "south_yorkshire_2025-26.yaml",
    ]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_params_load(path: Path) -> None:
    params = load_params(path)
    assert params.area.code in {"E08000018", "E47000002", "E47000014"}


def test_combined_authorities_list_their_councils() -> None:
    assert len(load_params(PARAMS / "south_yorkshire_2025-26.yaml").area_codes) == 4
    assert len(load_params(PARAMS / "north_east_2025-26.yaml").area_codes) == 7


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (PARAMS / "rotherham_2026-27.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rotherham_2026-27.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_unknown_key_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "  threshold: 10\n", "  threshold: 10\n  treshold: 5\n")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    text = str(err.value)
    assert str(path) in text and "disclosure.treshold" in text and "unknown key" in text


def test_duplicate_key_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "  threshold: 10\n", "  threshold: 10\n  threshold: 5\n")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert "written twice" in str(err.value) and err.value.key == "threshold"


def test_code_must_be_text(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'code: "E08000018"', "code: 8000018")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert "area.code" in str(err.value)


def test_financial_year_form(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'financial_year: "2026/27"', 'financial_year: "2026/28"')
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert "financial_year" in str(err.value) and "2025/26" in str(err.value)


def test_period_order(tmp_path: Path) -> None:
    path = _variant(tmp_path, "data_cutoff: 2026-02-15", "data_cutoff: 2024-02-15")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert "data_cutoff" in str(err.value)
