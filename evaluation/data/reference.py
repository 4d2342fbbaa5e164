"""The ONS area lookup shipped with the package (codes and names checked together)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def ons_areas() -> pd.DataFrame:
    """ONS codes of districts and combined authorities, indexed by code (read once, on first use)."""
    with resources.files("evaluation.reference").joinpath("ons_areas.csv").open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return frame.set_index("area_code")


def area_name(code: str) -> str:
    """The ONS name of an area code; KeyError if the code is not in the lookup."""
    return str(ons_areas().loc[code, "area_name"])
