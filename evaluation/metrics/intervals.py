"""The one place confidence intervals for proportions are made (Wilson score, via statsmodels)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evaluation.metrics.results import Proportion

WILSON = "Wilson score interval, 95%"


def wilson(k: int, n: int, *, alpha: float = 0.05) -> Proportion:
    """k successes of n as a rate with its Wilson interval; n = 0 gives no rate rather than zero."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Proportion(k=0, n=0, rate=None, lower=None, upper=None, method=WILSON)
    lower, upper = _confint(k, n, alpha)
    return Proportion(k=int(k), n=int(n), rate=k / n, lower=float(lower), upper=float(upper), method=WILSON)


def wilson_columns(k: pd.Series, n: pd.Series, *, alpha: float = 0.05) -> pd.DataFrame:
    """Vectorised Wilson intervals for tables: columns k, n, rate, lower, upper, method."""
    k = k.astype(int)
    n = n.astype(int)
    safe_n = n.where(n > 0, 1)
    lower, upper = _confint(k.to_numpy(), safe_n.to_numpy(), alpha)
    empty = (n == 0).to_numpy()
    rate = np.where(empty, np.nan, k / safe_n)
    return pd.DataFrame(
        {
            "k": k.to_numpy(),
            "n": n.to_numpy(),
            "rate": rate,
            "lower": np.where(empty, np.nan, lower),
            "upper": np.where(empty, np.nan, upper),
            "method": WILSON,
        },
        index=k.index,
    )


def _confint(k: Any, n: Any, alpha: float) -> tuple[Any, Any]:
    # Imported here: documents and charts import this module for its names, and statsmodels
    # (with scipy.stats) takes most of a second to load in a run that only re-renders a paper.
    from statsmodels.stats.proportion import proportion_confint

    return proportion_confint(k, n, alpha=alpha, method="wilson")
