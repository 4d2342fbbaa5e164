"""Synthetic area-level inputs: the ward lookup, the survey series of inactivity, and budgets.

The area series are 12-month survey periods ending each quarter. Each programme area's true
path is its trend plus shocks shared across the region; the programme lowers inactivity by a
known, ramped amount from its start; the published estimate adds survey error whose size and
autocorrelation follow the Annual Population Survey. The true effects are returned for tests.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evaluation.data import synthetic_spec as spec
from evaluation.data.reference import ons_areas

APS_SOURCE = "ONS Annual Population Survey (synthetic series)"


def ward_lookup(rng: np.random.Generator) -> pd.DataFrame:
    """Wards of every participating council with synthetic codes and indicative IMD deciles."""
    rows = []
    number = 1
    councils = [c.code for c in spec.SOUTH_YORKSHIRE] + list(spec.NE_COUNCILS)
    for code in councils:
        if code == "E08000018":
            wards = list(spec.ROTHERHAM_WARDS)
        else:
            name = ons_areas().loc[code, "area_name"]
            deciles = rng.integers(1, 11, spec.OTHER_WARDS_PER_COUNCIL)
            wards = [(f"{name} ward {i + 1:02d}", int(d)) for i, d in enumerate(deciles)]
        for ward_name, decile in wards:
            rows.append(
                {
                    "ward_code": f"E05999{number:03d}",
                    "ward_name": ward_name,
                    "area_code": code,
                    "imd_decile": decile,
                }
            )
            number += 1
    return pd.DataFrame(rows)


def _quarter_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    ends = pd.date_range(first, last, freq="QE-DEC")
    return [d.date() for d in ends]


def _window_effect(period_end: dt.date, start: dt.date, full: float) -> float:
    """Average over a 12-month survey window of an effect ramping to ``full`` over a year."""
    months = pd.period_range(end=pd.Period(period_end, "M"), periods=12, freq="M")
    start_m = pd.Period(start, "M")
    since = np.array([(m - start_m).n + 1 if m >= start_m else 0 for m in months], dtype=float)
    return float(np.mean(full * np.minimum(since / spec.EFFECT_RAMP_MONTHS, 1.0)))


def _effect_sizes() -> dict[str, tuple[float, dt.date]]:
    """Full effect (people kept active) and start date for each programme council."""
    out: dict[str, tuple[float, dt.date]] = {}
    sy = [c.code for c in spec.SOUTH_YORKSHIRE]
    sy_pop = sum(spec.WORKING_AGE_POPULATION[c] for c in sy)
    for code in sy:
        out[code] = (
            spec.SY_TRUE_EFFECT_TOTAL * spec.WORKING_AGE_POPULATION[code] / sy_pop,
            spec.SY_PROGRAMME_START,
        )
    ne_pop = sum(spec.WORKING_AGE_POPULATION[c] for c in spec.NE_COUNCILS)
    for code in spec.NE_COUNCILS:
        out[code] = (
            spec.NE_TRUE_EFFECT_TOTAL * spec.WORKING_AGE_POPULATION[code] / ne_pop,
            spec.NE_PROGRAMME_START,
        )
    return out


def area_statistics(rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """The survey series for programme and comparison areas, and the true effects built in."""
    ends = _quarter_ends(spec.AREA_SERIES_FIRST_END, spec.AREA_SERIES_LAST_END)
    t = np.arange(len(ends), dtype=float)
    effects = _effect_sizes()
    regions = {c.code: "sy" for c in spec.SOUTH_YORKSHIRE} | {c: "ne" for c in spec.NE_COUNCILS}
    regions |= {c: "cmp" for c in spec.COMPARISON_AREAS}
    shared = {r: np.cumsum(rng.normal(0, 0.0012, len(ends))) for r in ("sy", "ne", "cmp")}
    national = 0.004 * np.sin(t / 6.0)
    rows = []
    truth: dict[str, dict] = {}
    ref_index = ends.index(spec.ROTHERHAM_STATS_PERIOD[1])
    for code in sorted(regions):
        pop = spec.WORKING_AGE_POPULATION[code] * (1 + 0.003 * (t - ref_index) / 4)
        base_rate = 0.255 + rng.normal(0, 0.02)
        trend = rng.normal(0.0004, 0.0004)
        true_rate = base_rate + trend * (t - ref_index) + shared[regions[code]] + national
        counterfactual = true_rate * pop
        full, start = effects.get(code, (0.0, None))
        effect = np.array([_window_effect(e, start, full) if start else 0.0 for e in ends])
        error = np.zeros(len(ends))
        sd = spec.APS_SE_SHARE * pop
        innovation = np.sqrt(1 - spec.APS_ERROR_AR**2)
        error[0] = rng.normal(0, sd[0])
        for i in range(1, len(ends)):
            error[i] = spec.APS_ERROR_AR * error[i - 1] * sd[i] / sd[i - 1] + innovation * rng.normal(
                0, sd[i]
            )
        estimate = counterfactual - effect + error
        if code == "E08000018":
            # Calibrate Rotherham so the published Apr 2023 to Mar 2024 figure is the paper's 46,600.
            shift = spec.ROTHERHAM_INACTIVE_TOTAL - round(estimate[ref_index])
            estimate += shift
            counterfactual += shift
        pop_i = np.round(pop).astype(int)
        count = np.round(estimate).astype(int)
        half = np.round(1.96 * sd).astype(int)
        role = "Comparison" if regions[code] == "cmp" else "Programme"
        name = ons_areas().loc[code, "area_name"]
        for i, end in enumerate(ends):
            start_p = (pd.Timestamp(end) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
            rows.append(
                {
                    "area_code": code,
                    "area_name": name,
                    "period_start": start_p.isoformat(),
                    "period_end": end.isoformat(),
                    "reason": "All reasons",
                    "inactive_count": int(count[i]),
                    "working_age_population": int(pop_i[i]),
                    "rate": round(100 * count[i] / pop_i[i], 1),
                    "ci_lower": int(count[i] - half[i]),
                    "ci_upper": int(count[i] + half[i]),
                    "role": role,
                    "source": APS_SOURCE,
                }
            )
        if effects.get(code):
            truth[code] = {
                "programme_start": start.isoformat(),
                "full_effect": round(full, 3),
                "effect_by_period_end": {
                    e.isoformat(): round(v, 3) for e, v in zip(ends, effect, strict=True) if v > 0
                },
            }
    # Rotherham by reason, as published for Apr 2023 to Mar 2024 (temporary sick and
    # discouraged are not published at district level, which is why the parts fall short).
    roth_pop = next(
        r["working_age_population"]
        for r in rows
        if r["area_code"] == "E08000018" and r["period_end"] == spec.ROTHERHAM_STATS_PERIOD[1].isoformat()
    )
    for reason, value in spec.ROTHERHAM_INACTIVE_BY_REASON.items():
        rows.append(
            {
                "area_code": "E08000018",
                "area_name": "Rotherham",
                "period_start": spec.ROTHERHAM_STATS_PERIOD[0].isoformat(),
                "period_end": spec.ROTHERHAM_STATS_PERIOD[1].isoformat(),
                "reason": reason,
                "inactive_count": value,
                "working_age_population": roth_pop,
                "rate": round(100 * value / roth_pop, 1),
                "ci_lower": None,
                "ci_upper": None,
                "role": "Programme",
                "source": "ONS Annual Population Survey, April 2023 to March 2024 (as cited in 001, paragraph 1.3)",
            }
        )
    frame = (
        pd.DataFrame(rows)
        .sort_values(["area_code", "period_end", "reason"], kind="stable")
        .reset_index(drop=True)
    )
    frame["ci_lower"] = frame["ci_lower"].astype("Int64")
    frame["ci_upper"] = frame["ci_upper"].astype("Int64")
    return frame, truth


def budget_lines() -> pd.DataFrame:
    """Budget lines of the seed papers (Rotherham, North East) and synthetic lines for the rest."""
    rows = []

    def add(code: str, fy: str, strand: str, category: str, amount: int, spent: float | None) -> None:
        rows.append(
            {
                "area_code": code,
                "financial_year": fy,
                "strand": strand,
                "category": category,
                "budgeted": amount,
                "spend_to_date": None if spent is None else round(spent),
            }
        )

    for i, (strand, category, amount) in enumerate(spec.ROTHERHAM_BUDGET):
        add("E08000018", "2025/26", strand, category, amount, amount * (0.70 + 0.02 * i))
        add("E08000018", "2026/27", strand, category, amount, None)
    for code, total in spec.SY_OTHER_BUDGETS.items():
        parts = (
            ("Personalised support", "Staffing and commissioned services", 0.55),
            ("Community engagement", "Commissioned services", 0.30),
            ("Employer activation", "Staffing and activity", 0.15),
        )
        amounts = [int(round(total * share, -3)) for _, _, share in parts]
        amounts[0] += total - sum(amounts)
        for (strand, category, _), amount in zip(parts, amounts, strict=True):
            add(code, "2025/26", strand, category, amount, amount * 0.74)
    sy_councils = sum(a for *_, a in spec.ROTHERHAM_BUDGET) + sum(spec.SY_OTHER_BUDGETS.values())
    add(
        "E47000002",
        "2025/26",
        "System stewardship",
        "System steward, programme management and evaluation",
        spec.SY_TOTAL - sy_councils,
        (spec.SY_TOTAL - sy_councils) * 0.65,
    )
    add(
        "E47000014",
        "2025/26",
        "Management",
        "Management budget",
        spec.NE_MANAGEMENT,
        spec.NE_MANAGEMENT * 0.7,
    )
    for line, (priority, amount, _) in spec.NE_ACTIVITY_LINES.items():
        add("E47000014", "2025/26", priority, line, amount, amount * 0.55)
    for line, amount in spec.NE_PRIORITY3_LINES:
        add("E47000014", "2025/26", "Priority 3", line, amount, amount * 0.4)
    for line, amount in spec.NE_EVALUATION_LINES:
        add("E47000014", "2025/26", "Evaluation", line, amount, amount * 0.3)
    frame = pd.DataFrame(rows)
    frame["spend_to_date"] = frame["spend_to_date"].astype("Int64")
    return frame
