"""League table, budget reconciliation and consistency checks, with hand-worked expectations."""

from __future__ import annotations

import pandas as pd

from evaluation.metrics import consistency, finance, league
from evaluation.params import StatedTotal


def _by_area(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"group": g, "stage": "job_outcomes", "k": k, "n": n, "rate": k / n, "lower": 0.0, "upper": 1.0}
            for g, k, n in rows
        ]
    )


def test_league_marks_only_distinguishable_differences() -> None:
    # A: 80/100 and C: 20/100 differ overwhelmingly (z about 8.5); B: 50/100 against either has
    # z about 4.3 (p < 0.0001): all three pairs survive Holm at 5%.
    t = league.league_table(_by_area([("A", 80, 100), ("B", 50, 100), ("C", 20, 100)]), stage="job_outcomes")
    assert t["group"].tolist() == ["A", "B", "C"]
    assert t.set_index("group")["differs_from"].to_dict() == {"A": "B, C", "B": "A, C", "C": "A, B"}
    # With 12/50 against 11/50 nothing can be told apart.
    t2 = league.league_table(_by_area([("A", 12, 50), ("B", 11, 50)]), stage="job_outcomes")
    assert t2["differs_from"].tolist() == ["", ""]
    assert "within the margin of error" in league.standing(t2, "B", region="Test")
    assert league.standing(t2, "B", region="Test").startswith("second only to A within Test")


def test_reconciliation_finds_the_misplaced_line() -> None:
    lines = pd.DataFrame(
        [
            ("P1", "a", 100.0),
            ("P1", "b", 50.0),
            ("P3", "c", 70.0),
            ("Eval", "hub", 30.0),
            ("Eval", "evaluation", 10.0),
            ("P1", "same value, wrong heading", 0.0),
        ],
        columns=["strand", "category", "budgeted"],
    )
    stated = (
        StatedTotal(label="P3", amount=100, strands=("P3",), source="plan"),
        StatedTotal(label="Eval", amount=10, strands=("Eval",), source="plan"),
        StatedTotal(label="Total", amount=260, source="plan"),
    )
    found = {f.check: f for f in finance.reconcile(lines, stated)}
    assert found["budget: P3"].status == "fail" and found["budget: P3"].difference == -30
    assert "'hub'" in found["budget: P3"].message and "listed under Eval" in found["budget: P3"].message
    assert found["budget: Eval"].difference == 30
    assert found["budget: Total"].status == "pass"


def test_inactivity_components_gap() -> None:
    stats = pd.DataFrame(
        [
            ("E08000018", "Rotherham", pd.Timestamp("2024-03-31"), "All reasons", 100, "APS"),
            ("E08000018", "Rotherham", pd.Timestamp("2024-03-31"), "Student", 40, "APS"),
            ("E08000018", "Rotherham", pd.Timestamp("2024-03-31"), "Retired", 55, "APS"),
        ],
        columns=["area_code", "area_name", "period_end", "reason", "inactive_count", "source"],
    )
    (f,) = consistency.inactivity_components(stats, ("E08000018",))
    assert f.status == "fail" and f.difference == -5 and "5 short of the stated total of 100" in f.message


def test_shipped_params_reproduce_the_seed_faults(synthetic_dir) -> None:
    """The faults named in DESIGN.md, found from the shipped params and the default data."""
    from pathlib import Path

    from evaluation.data.inputs import load_inputs
    from evaluation.params import load_params

    root = Path(__file__).parent.parent / "params"
    out = {}
    for name in ("rotherham_2026-27", "north_east_2025-26"):
        text = (root / f"{name}.yaml").read_text(encoding="utf-8").replace("../inputs/", f"{synthetic_dir}/")
        path = synthetic_dir.parent / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        params = load_params(path)
        inputs = load_inputs(path, params)
        lines = finance.run_budget(inputs.budget.frame, params, params.budget.financial_year)
        out[name] = (params, inputs, finance.reconcile(lines, params.budget.stated_totals))
    params, inputs, roth = out["rotherham_2026-27"]
    assert [(f.status, f.found) for f in roth] == [("pass", 1_703_928)]  # 001, paragraph 2.6
    (gap,) = consistency.inactivity_components(inputs.area_statistics.frame, ("E08000018",))
    assert (gap.expected, gap.found, gap.difference) == (46_600, 45_900, -700)
    papers = {f.check: f for f in consistency.published_figures(params)}
    assert papers["papers agree: Employment Solutions job outcomes"].difference == 6  # 138 against 144
    assert papers["commissioned job outcomes"].status == "pass"  # 138 + 272 = 410
    _, _, ne = out["north_east_2025-26"]
    p3 = next(f for f in ne if f.check == "budget: Priority 3")
    assert (p3.expected, p3.found, p3.difference) == (1_750_000, 1_400_000, -350_000)
    assert "System LMI Hub and data sharing" in p3.message and "Mayor's Childcare Grant" not in p3.message


def test_cost_by_strand_by_hand() -> None:
    from tests.journeys import journeys

    # Spend: Personal Support heading £30,000 and £10,000 (mapped), System management £5,000 (not mapped).
    lines = pd.DataFrame(
        [
            ("Personal Support", "Staff", 30_000.0),
            ("Personal Support", "Commissioned", 10_000.0),
            ("System management", "Staff", 5_000.0),
        ],
        columns=["strand", "category", "spend_to_date"],
    )
    # Four starters in Personalised support, two with evidenced jobs; one referral not started.
    people = journeys(
        [
            {
                "referral_date": "2025-06-01",
                "start_date": "2025-06-02",
                "job_start_date": "2025-07-01",
                "job_evidenced": True,
            },
            {
                "referral_date": "2025-06-01",
                "start_date": "2025-06-02",
                "job_start_date": "2025-08-01",
                "job_evidenced": True,
            },
            {"referral_date": "2025-06-01", "start_date": "2025-06-02"},
            {"referral_date": "2025-06-01", "start_date": "2025-06-02"},
            {"referral_date": "2025-06-01"},
        ]
    )
    t = finance.cost_by_strand(lines, people, {"Personal Support": "Personalised support"}).set_index(
        "strand"
    )
    assert t.loc["Personalised support", "cost_per_start"] == 40_000 / 4  # £10,000
    assert t.loc["Personalised support", "cost_per_job_outcome"] == 40_000 / 2  # £20,000
    assert t.loc[finance.PROGRAMME_WIDE, "spend_to_date"] == 5_000 and pd.isna(
        t.loc[finance.PROGRAMME_WIDE, "cost_per_start"]
    )
