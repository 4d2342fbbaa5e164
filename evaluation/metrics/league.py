"""Comparison across areas: a league table that ranks only the differences the data can tell apart.

In: the funnel by area for the councils of one combined authority. Out: each council's rate and
interval, its position on the point estimate, and which councils it differs from after pairwise
two-proportion tests with Holm's correction for multiple comparisons (statsmodels).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

ORDINALS = {1: "highest", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh"}
LEAGUE_METHOD = "Pairwise two-proportion z-tests, Holm correction across all pairs, 5% family-wise level"


def league_table(by_area: pd.DataFrame, *, stage: str, alpha: float = 0.05) -> pd.DataFrame:
    """Rank councils on one stage's rate, noting which differences are statistically distinguishable."""
    t = by_area[by_area["stage"] == stage].copy()
    t = t.sort_values(["rate", "group"], ascending=[False, True], kind="stable").reset_index(drop=True)
    t["position"] = np.arange(1, len(t) + 1)
    pairs = list(combinations(range(len(t)), 2))
    differs: dict[int, list[str]] = {i: [] for i in range(len(t))}
    if pairs:
        pvals = []
        for i, j in pairs:
            counts = np.array([t.loc[i, "k"], t.loc[j, "k"]])
            nobs = np.array([t.loc[i, "n"], t.loc[j, "n"]])
            pvals.append(proportions_ztest(counts, nobs)[1] if nobs.min() > 0 else 1.0)
        reject = multipletests(pvals, alpha=alpha, method="holm")[0]
        for (i, j), r in zip(pairs, reject, strict=True):
            if r:
                differs[i].append(t.loc[j, "group"])
                differs[j].append(t.loc[i, "group"])
    t["differs_from"] = [", ".join(sorted(differs[i])) for i in range(len(t))]
    t["comparison_method"] = LEAGUE_METHOD
    return t[["group", "position", "k", "n", "rate", "lower", "upper", "differs_from", "comparison_method"]]


def standing(league: pd.DataFrame, area: str, *, region: str) -> str:
    """Plain words for one council's place, saying when the data cannot separate it from others."""
    row = league[league["group"] == area]
    if row.empty:
        return f"not ranked within {region}"
    pos = int(row["position"].iloc[0])
    above = league[league["position"] < pos]["group"].tolist()
    if pos == 1:
        text = f"the highest within {region}"
    elif pos == 2:
        text = f"second only to {above[0]} within {region}"
    else:
        text = f"{ORDINALS.get(pos, f'{pos}th')} of {len(league)} within {region}, after {', '.join(above)}"
    others = [g for g in league["group"] if g != area]
    different = set(filter(None, str(row["differs_from"].iloc[0]).split(", ")))
    alike = [g for g in others if g not in different]
    if alike and len(alike) == len(others):
        text += " (on point estimates; the differences between the councils are within the margin of error)"
    elif alike:
        text += f" (on point estimates; the data cannot tell it apart from {', '.join(alike)})"
    return text
