"""Statistical disclosure control: the only way a table or figure reaches a published document.

In: a results table with counts (and rates built on them) and the run's rule. Out: a
``ProtectedTable`` whose small counts are replaced by the GSS marker ``[c]``, with rates and
intervals built on them withheld too, secondary suppression so that a withheld cell cannot be
recovered from the group's total, optional rounding, and a log of every cell withheld and why
(the log holds no values, so it can be published in the QA appendix).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from evaluation.figures import Figure, FigureRegister
from evaluation.params import Disclosure

CONFIDENTIAL = "[c]"
NOT_AVAILABLE = "[x]"
NOT_APPLICABLE = "[z]"
LOW = "[low]"
LEGEND = {
    CONFIDENTIAL: "confidential: withheld to protect people from being identified",
    NOT_AVAILABLE: "not available",
    NOT_APPLICABLE: "not applicable",
    LOW: "low: more than zero, but rounds to zero at the precision shown",
}


@dataclass(frozen=True)
class ProtectedTable:
    """A table that has passed disclosure control; documents accept nothing else."""

    name: str
    frame: pd.DataFrame  # object columns; withheld cells hold a GSS marker
    log: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["table", "row", "column", "reason"])
    )
    rule: str = ""


def describe_rule(rule: Disclosure) -> str:
    text = f"counts from 1 to {rule.threshold - 1} are withheld"
    text += "; zeros are withheld" if rule.zeros == "suppress" else "; zeros are published"
    if rule.rounding_base > 1:
        text += f"; other counts are rounded to the nearest {rule.rounding_base}"
    if rule.secondary:
        text += (
            "; where one cell of a group would be withheld, the next smallest is withheld too, so no cell can be found by "
            "subtraction from the total (except a cell counting people whose characteristic is not known, which reveals nobody's)"
        )
    text += "; rates and intervals built on a withheld count are withheld"
    return text


def _primary(values: pd.Series, rule: Disclosure) -> pd.Series:
    v = pd.to_numeric(values, errors="coerce")
    small = (v > 0) & (v < rule.threshold)
    if rule.zeros == "suppress":
        small |= v == 0
    return small.fillna(False)


def protect(
    table: pd.DataFrame,
    *,
    name: str,
    counts: tuple[str, ...],
    derived: dict[str, tuple[str, ...]] | None = None,
    group_by: str | tuple[str, ...] | None = None,
    label: str | None = None,
    rule: Disclosure,
    not_known: pd.Series | None = None,
) -> ProtectedTable:
    """Withhold small counts and what is built on them; the one door to publication.

    ``counts``: columns of counts. ``derived``: column -> the count columns it is built on
    (rates, intervals); withheld when any of them is. ``group_by``: a column whose values split
    the table into sets of cells that add up to a published total (for example ``stage`` in a
    funnel by provider); secondary suppression works within each set. ``label``: the column
    naming each row, for the log. ``not_known``: rows for people whose characteristic is not
    known (prefer not to say, not recorded); withheld when small, but a set whose only withheld
    cell is such a row needs no second cell withheld, since subtracting reveals only how many
    people did not say, nobody's characteristic.
    """
    derived = derived or {}
    frame = table.reset_index(drop=True).copy()
    rows = len(frame)
    # Whole columns at a time (a pack protects every table several times over): masks are arrays.
    mask = {col: np.zeros(rows, dtype=bool) for col in frame.columns}
    names = [str(v) for v in frame[label].tolist()] if label else [str(i + 1) for i in range(rows)]
    reasons: list[dict] = []

    def note(where: np.ndarray, col: str, reason: str) -> None:
        reasons.extend({"row": names[i], "column": col, "reason": reason} for i in np.flatnonzero(where))

    numbers: dict[str, np.ndarray] = {}
    for col in counts:
        numbers[col] = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        primary = _primary(frame[col], rule).to_numpy(dtype=bool)
        # A cell already marked [c] was withheld by the pack-level solve (see
        # disclosure_linked): it stays withheld here and counts as withheld for what follows.
        linked = np.array([isinstance(v, str) and v == CONFIDENTIAL for v in frame[col].tolist()], dtype=bool)
        mask[col] |= primary | linked
        note(primary, col, f"primary: count below {rule.threshold}")
        note(
            linked,
            col,
            "secondary: protects a withheld cell from subtraction, in this table or another of the pack",
        )
    if rule.secondary and rows >= 2:
        keys = [group_by] if isinstance(group_by, str) else list(group_by or ())
        if keys:
            ids = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
            groups = [np.flatnonzero(ids == g) for g in range(ids.max() + 1)] if rows else []
        else:
            groups = [np.arange(rows)]
        unknown = None if not_known is None else not_known.to_numpy(dtype=bool)
        for col in counts:
            for idx in groups:
                hidden = mask[col][idx]
                if int(hidden.sum()) != 1 or len(idx) < 2:
                    continue
                if unknown is not None and bool(unknown[idx][hidden].all()):
                    continue
                values = numbers[col][idx]
                open_ = ~hidden & ~np.isnan(values)
                if not open_.any():
                    continue
                j = idx[open_][np.argmin(values[open_])]  # the smallest; the first of equals
                mask[col][j] = True
                reasons.append(
                    {
                        "row": names[j],
                        "column": col,
                        "reason": "secondary: protects a withheld cell from subtraction",
                    }
                )
    for col, bases in derived.items():
        hit = np.logical_or.reduce([mask[b] for b in bases]) if bases else np.zeros(rows, dtype=bool)
        mask[col] |= hit
        note(hit, col, "built on a withheld count")
    out = frame.astype(object)
    for col in counts:
        if rule.rounding_base > 1:
            v = pd.to_numeric(out[col], errors="coerce")
            rounded = (np.round(v / rule.rounding_base) * rule.rounding_base).astype("Int64")
            out[col] = rounded.where(v.notna(), out[col]).astype(object)
    for col in out.columns:
        if mask[col].any():
            values = out[col].to_numpy(dtype=object, copy=True)
            values[mask[col]] = CONFIDENTIAL
            out[col] = pd.Series(values, index=out.index, dtype=object)  # all markers: still object
    log = pd.DataFrame(reasons, columns=["row", "column", "reason"])
    log.insert(0, "table", name)
    return ProtectedTable(
        name=name, frame=out, log=log.drop_duplicates().reset_index(drop=True), rule=describe_rule(rule)
    )


def protect_figures(figures: FigureRegister, rule: Disclosure, basis: dict[str, int]) -> FigureRegister:
    """Mark figures whose underlying count is small as withheld; ``basis`` maps name -> count."""
    out = []
    for fig in figures:
        k = basis.get(fig.name)
        small = k is not None and ((0 < k < rule.threshold) or (k == 0 and rule.zeros == "suppress"))
        if small:
            fig = Figure(fig.name, None, fig.unit, fig.definition, fig.source, None, None, True)
        out.append(fig)
    return FigureRegister(out)
