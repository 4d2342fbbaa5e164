"""The Love plot and the overlap chart: alt text from the numbers, densities that are densities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaluation.charts import love_plot, overlap_chart
from evaluation.metrics.balance_overlap import overlap_density, overlap_quartiles


def test_love_plot_names_what_fails_after_adjustment() -> None:
    balance = pd.DataFrame(
        {
            "covariate": ["age", "sex", "benefits"],
            "level": ["", "Female", "ESA"],
            "smd_before": [-0.4, 0.2, 0.05],
            "smd_after": [0.02, -0.15, 0.01],
        }
    )
    chart = love_plot(balance, title="Balance")
    assert "Above the threshold after adjustment: sex: Female." in chart.alt_text
    assert "Largest before: age at 0.40" in chart.alt_text and "<desc" in chart.svg


def test_overlap_density_integrates_to_one_and_quartiles_are_the_data() -> None:
    rng = np.random.default_rng(1)
    logit = np.concatenate([rng.normal(-2, 0.5, 400), rng.normal(-3, 0.7, 4000)])
    treated = np.r_[np.ones(400), np.zeros(4000)]
    d = overlap_density(logit, treated, points=400)
    # Integrated by the trapezoid rule over a grid covering 99.8% of the scores: close to 1 each.
    for col in ("participants", "comparison"):
        assert abs(np.trapezoid(d[col], d["logit_score"]) - 1) < 0.03
    q = overlap_quartiles(logit, treated).set_index("group")
    assert q.loc["participants", "q50"] == np.quantile(logit[:400], 0.5)
    chart = overlap_chart(d, overlap_quartiles(logit, treated), title="Overlap")
    assert f"{q.loc['participants', 'q25']:.2f} to {q.loc['participants', 'q75']:.2f}" in chart.alt_text
