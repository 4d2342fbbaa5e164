"""Equity charts: job outcome rates by group, drawn only from the protected table.

Expected values: Wilson intervals from statsmodels on each group's own counts; the disclosure rule
(threshold 10) says which group is withheld.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from evaluation.params import Params, load_params
from evaluation.published import equity_charts
from evaluation.results import Results
from tests.conftest import params_copy


@pytest.fixture(scope="module")
def rotherham_params(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Params:
    return load_params(params_copy("rotherham_2026-27", synthetic_dir, tmp_path_factory.mktemp("p")))


COUNTS = {"Female": (40, 157), "Male": (32, 148), "Prefer not to say": (1, 2)}


def outcomes() -> pd.DataFrame:
    rows = []
    for group, (k, n) in COUNTS.items():
        lower, upper = proportion_confint(k, n, method="wilson")
        rows.append(
            {
                "grouping": "sex",
                "stage": "job_outcomes",
                "group": group,
                "reference": "Male",
                "k": k,
                "n": n,
                "rate": k / n,
                "lower": lower,
                "upper": upper,
                "method": "Wilson score interval, 95%",
            }
        )
    return pd.DataFrame(rows)


def test_sex_chart_shows_protected_rates_only(rotherham_params: Params) -> None:
    made = equity_charts(Results("equity", tables={"outcomes": outcomes()}), rotherham_params)
    assert set(made) == {"rates_sex"}
    alt = made["rates_sex"].alt_text
    lower, upper = proportion_confint(40, 157, method="wilson")
    assert f"Female {40 / 157:.1%} ({lower:.1%} to {upper:.1%}; 40 of 157)" in alt
    assert "Not shown, as their rates are withheld or unavailable: Prefer not to say." in alt
    assert "1 of 2" not in alt and "1 of 2" not in made["rates_sex"].svg
    assert list(made["rates_sex"].data["group"]) == ["Female", "Male"]
