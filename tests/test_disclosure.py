"""Disclosure control: small counts withheld, nothing recoverable by subtraction, rules as stated."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.disclosure import CONFIDENTIAL, protect
from evaluation.params import Disclosure

RULE = Disclosure()


def test_hand_worked_table() -> None:
    # Four providers' job outcomes: 3 is below 10 (primary); with one cell withheld the total
    # would give it away, so the next smallest (12) is withheld too (secondary). Rates go with them.
    t = pd.DataFrame({"group": ["A", "B", "C", "D"], "k": [3, 12, 40, 55], "n": [30, 60, 100, 120]})
    t["rate"] = t["k"] / t["n"]
    p = protect(t, name="t", counts=("k",), derived={"rate": ("k",)}, label="group", rule=RULE)
    assert p.frame["k"].tolist() == [CONFIDENTIAL, CONFIDENTIAL, 40, 55]
    assert p.frame["rate"].tolist()[:2] == [CONFIDENTIAL, CONFIDENTIAL]
    assert set(p.log["reason"].str.split(":").str[0]) == {"primary", "secondary", "built on a withheld count"}
    assert "3" not in p.log.to_string(index=False).split()  # the log names cells, never values


def test_zeros_and_rounding() -> None:
    t = pd.DataFrame({"group": ["A", "B", "C"], "k": [0, 12, 23]})
    kept = protect(
        t, name="t", counts=("k",), label="group", rule=Disclosure(zeros="publish", secondary=False)
    )
    assert kept.frame["k"].tolist() == [0, 12, 23]
    hidden = protect(
        t,
        name="t",
        counts=("k",),
        label="group",
        rule=Disclosure(zeros="suppress", rounding_base=5, secondary=False),
    )
    assert hidden.frame["k"].tolist() == [CONFIDENTIAL, 10, 25]


counts = st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=4))
def test_no_withheld_cell_recoverable_by_differencing(columns: list[list[int]]) -> None:
    """For random groups whose total is published, each group withholds none or at least two cells,
    and no published count is between 1 and the threshold."""
    rows = []
    for stage, values in enumerate(columns):
        rows += [{"stage": f"s{stage}", "group": f"g{i}", "k": v} for i, v in enumerate(values)]
    t = pd.DataFrame(rows)
    p = protect(t, name="t", counts=("k",), group_by="stage", label="group", rule=RULE)
    out = p.frame.assign(stage=t["stage"])
    for _, group in out.groupby("stage"):
        hidden = int((group["k"] == CONFIDENTIAL).sum())
        assert hidden != 1, "a single withheld cell could be recovered from the group's total"
    shown = pd.to_numeric(out["k"][out["k"] != CONFIDENTIAL])
    assert not ((shown > 0) & (shown < RULE.threshold)).any()


def test_not_known_cell_needs_no_second_suppression() -> None:
    # Female 290, Male 277, Prefer not to say 8: the 8 is withheld; subtracting from the total
    # would reveal only how many did not say, so Male (the reference group) stays published.
    t = pd.DataFrame({"group": ["Female", "Male", "Prefer not to say"], "k": [290, 277, 8]})
    p = protect(
        t, name="t", counts=("k",), label="group", rule=RULE, not_known=t["group"] == "Prefer not to say"
    )
    assert p.frame["k"].tolist() == [290, 277, CONFIDENTIAL]
    # A small known group still takes a second cell with it.
    t2 = pd.DataFrame({"group": ["A", "B", "Prefer not to say"], "k": [290, 4, 20]})
    p2 = protect(
        t2, name="t", counts=("k",), label="group", rule=RULE, not_known=t2["group"] == "Prefer not to say"
    )
    assert p2.frame["k"].tolist() == [290, CONFIDENTIAL, CONFIDENTIAL]
