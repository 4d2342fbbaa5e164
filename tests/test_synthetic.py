"""The synthetic data reproduces the seed papers' figures, counted independently of the library.

Counts are made with the standard library's csv module on the written files, not with the
toolkit's readers, so a fault in either shows up.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from pathlib import Path

from evaluation.data import synthetic


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _funnel(rows: list[dict[str, str]], area: str) -> tuple[int, int, int]:
    mine = [r for r in rows if r["area_code"] == area]
    return (
        len(mine),
        sum(1 for r in mine if r["start_date"]),
        sum(1 for r in mine if r["job_evidenced"] == "Yes"),
    )


def test_rotherham_reproduces_575_307_73(synthetic_dir: Path) -> None:
    # Delegated Officer Decision, 2 March 2026, paragraph 1.14: 575 referrals, 307 starts, 73 jobs.
    assert _funnel(_rows(synthetic_dir / "participants.csv"), "E08000018") == (575, 307, 73)


def test_sheffield_first_and_rotherham_second_on_start_to_job(synthetic_dir: Path) -> None:
    # Paragraph 1.14: Rotherham's 24% start-to-job conversion is "second only to Sheffield".
    rows = _rows(synthetic_dir / "participants.csv")
    sy = {
        "E08000016": "Barnsley",
        "E08000017": "Doncaster",
        "E08000018": "Rotherham",
        "E08000019": "Sheffield",
    }
    rates = {name: _funnel(rows, code)[2] / _funnel(rows, code)[1] for code, name in sy.items()}
    assert sorted(rates, key=rates.get, reverse=True)[:2] == ["Sheffield", "Rotherham"]


def test_north_east_residents_supported_follow_the_delivery_plan(synthetic_dir: Path) -> None:
    # Delivery plan (004, Appendix 1), "Total number of residents supported" per activity line.
    plan = {
        "Local infrastructure": 200,
        "Mayor's Childcare Grant": 45,
        "Young adults work placement": 190,
        "Neurodiverse work placement": 175,
        "Women": 100,
        "Social housing tenants": 150,
        "Primary care health pilot": 60,
        "VCSE small grants": 300,
        "Employers": 150,
    }
    rows = _rows(synthetic_dir / "participants.csv")
    ne = {"E06000047", "E08000037", "E08000021", "E08000022", "E06000057", "E08000023", "E08000024"}
    started = Counter(r["strand"] for r in rows if r["area_code"] in ne and r["start_date"])
    assert dict(started) == plan
    assert sum(plan.values()) == 1370  # "over 1,350" in paragraph 2.2
    councils_with_starts = {r["area_code"] for r in rows if r["area_code"] in ne and r["start_date"]}
    assert councils_with_starts == ne


def test_rotherham_inactivity_as_published(synthetic_dir: Path) -> None:
    # Paragraph 1.3: 46,600 inactive (ONS, March 2024); students 11,200, family 8,500,
    # long-term sick 15,000, retired 5,200, other 6,000.
    rows = [
        r
        for r in _rows(synthetic_dir / "area_statistics.csv")
        if r["area_code"] == "E08000018" and r["period_end"] == "2024-03-31"
    ]
    by_reason = {r["reason"]: int(r["inactive_count"]) for r in rows}
    assert by_reason == {
        "All reasons": 46600,
        "Student": 11200,
        "Looking after family or home": 8500,
        "Long-term sick": 15000,
        "Retired": 5200,
        "Other": 6000,
    }


def test_budgets_are_the_papers(synthetic_dir: Path) -> None:
    rows = _rows(synthetic_dir / "budget.csv")
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        totals[(r["area_code"], r["financial_year"])] += int(r["budgeted"])
    assert totals[("E08000018", "2025/26")] == 1_703_928  # 001, paragraph 2.6
    sy = sum(
        v
        for (code, fy), v in totals.items()
        if fy == "2025/26" and code in {"E08000016", "E08000017", "E08000018", "E08000019", "E47000002"}
    )
    assert sy == 10_000_000  # 001, paragraph 1.8: "£10m of DWP funding"
    assert totals[("E47000014", "2025/26")] == 10_000_000  # 004, Total Budget
    p3 = sum(int(r["budgeted"]) for r in rows if r["strand"] == "Priority 3")
    assert p3 == 1_200_000 + 200_000  # the plan's two Priority 3 lines


def test_small_group_is_planted(synthetic_dir: Path) -> None:
    rows = [
        r
        for r in _rows(synthetic_dir / "participants.csv")
        if r["area_code"] == "E08000018" and r["ethnicity"] == "White: Gypsy or Irish Traveller"
    ]
    assert len(rows) == 3 and sum(r["job_evidenced"] == "Yes" for r in rows) == 1


def test_ids_are_text_with_leading_zeros(synthetic_dir: Path) -> None:
    ids = [r["participant_id"] for r in _rows(synthetic_dir / "participants.csv")]
    assert len(ids) == len(set(ids))
    assert any(i.startswith("P000") for i in ids)


def test_same_seed_same_bytes(tmp_path: Path, synthetic_dir: Path) -> None:
    synthetic.write(synthetic.generate(), tmp_path)
    for path in sorted(synthetic_dir.iterdir()):
        assert (
            hashlib.sha256(path.read_bytes()).hexdigest()
            == hashlib.sha256((tmp_path / path.name).read_bytes()).hexdigest()
        ), path.name


def test_truth_is_recorded_beside_the_data(synthetic_dir: Path) -> None:
    import json

    truth = json.loads((synthetic_dir / "truth.json").read_text())
    assert truth["impact"]["by_area"]["E08000018"]["treated"] > 0
    assert set(truth["area_effects"]) == {
        "E08000016", "E08000017", "E08000018", "E08000019",
        "E06000047", "E08000037", "E08000021", "E08000022", "E06000057", "E08000023", "E08000024",
    }  # fmt: skip
    # The built-in effect ramps to the stated totals: about 950 in South Yorkshire.
    sy_full = sum(
        truth["area_effects"][c]["full_effect"] for c in ("E08000016", "E08000017", "E08000018", "E08000019")
    )
    assert abs(sy_full - 950) < 1e-6 * 950 + 0.01
