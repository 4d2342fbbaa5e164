"""Overlap of propensity scores between participants and the comparison pool, as smooth densities.

Kernel density estimates (scipy) on a fixed grid of the logit score, and quartiles of each group's
score: enough to judge common support, and no count of people in any score band is published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde


def overlap_density(logit: np.ndarray, treated: np.ndarray, *, points: int = 120) -> pd.DataFrame:
    """Densities of the logit propensity score for participants and the comparison pool on one grid."""
    logit = np.asarray(logit, dtype=float)
    treated = np.asarray(treated).astype(bool)
    lo, hi = np.quantile(logit, [0.001, 0.999])
    grid = np.linspace(lo, hi, points)
    out = pd.DataFrame({"logit_score": grid})
    for name, mask in (("participants", treated), ("comparison", ~treated)):
        values = logit[mask]
        out[name] = gaussian_kde(values)(grid) if len(values) > 1 and np.ptp(values) > 0 else np.nan
    return out


def overlap_quartiles(logit: np.ndarray, treated: np.ndarray) -> pd.DataFrame:
    """Quartiles (and 5th and 95th percentiles) of the logit score in each group."""
    logit = np.asarray(logit, dtype=float)
    treated = np.asarray(treated).astype(bool)
    qs = (0.05, 0.25, 0.5, 0.75, 0.95)
    rows = [
        {"group": g, **{f"q{int(q * 100):02d}": float(np.quantile(logit[m], q)) for q in qs}}
        for g, m in (("participants", treated), ("comparison", ~treated))
    ]
    return pd.DataFrame(rows)
