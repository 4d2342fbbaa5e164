"""Coverage of the year-end projection's intervals on simulated programmes with known totals.

In: a number of replications and draws per projection. Out: the coverage of the 80% and 95%
intervals, their mean width and the bias of the central projection, for job outcomes and starts,
written to ``benchmarks/results/projection_coverage.json``.

Each replication is one programme simulated from its own seed over the whole period (1 April 2025
to 31 March 2026), so its true year-end totals are known; it is cut at the data cut-off (15
February 2026, 44 days before the period end), projected with
``evaluation.metrics.projection.project_year_end``, and each interval is scored on whether it
holds the realised total. The generator is self-contained and deliberately not the projection's
own model: referrals arrive as a Poisson process at a steady or a rising rate (alternate seeds),
about half of referrals start after a lognormal delay, most of the rest leave, and a latent share
of starters find work after a lognormal delay unless they leave first.

Run from the repository root: ``python -m benchmarks.projection_coverage``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.metrics.projection import project_year_end, simulate_totals

PERIOD_START = dt.date(2025, 4, 1)
DATA_CUTOFF = dt.date(2026, 2, 15)
PERIOD_END = dt.date(2026, 3, 31)
SCENARIOS = ("steady", "rising")
FIRST_SEED = 1000
RESULT = Path(__file__).parent / "results" / "projection_coverage.json"


@dataclass(frozen=True)
class Programme:
    """One simulated programme: its journeys as known at the cut-off and its true year-end totals."""

    seed: int
    scenario: str
    participants: pd.DataFrame
    true_starts: int
    true_jobs: int


def _referral_days(rng: np.random.Generator, scenario: str, days: int) -> np.ndarray:
    """Poisson referrals over the period: a steady rate, or one rising linearly from a quarter of
    its final level (as a new programme builds momentum), with 300 to 900 expected in the year."""
    count = rng.poisson(rng.uniform(300, 900))
    u = rng.random(count)
    if scenario == "steady":
        x = u
    else:  # density proportional to a + x on [0, 1], a = 1/3: inverse of its distribution function
        a = 1 / 3
        x = -a + np.sqrt(a * a + u * (2 * a + 1))
    return np.sort(np.floor(x * days).astype(int))


def simulate_programme(seed: int) -> Programme:
    """Simulate one programme to the period end from ``seed`` and cut it at the data cut-off."""
    rng = np.random.default_rng(seed)
    scenario = SCENARIOS[seed % 2]
    days = (PERIOD_END - PERIOD_START).days + 1
    end, cut = days - 1, (DATA_CUTOFF - PERIOD_START).days
    referral = _referral_days(rng, scenario, days)
    n = len(referral)
    p_start, p_employable = rng.uniform(0.4, 0.6), rng.uniform(0.35, 0.55)

    starts = rng.random(n) < p_start
    start = referral + np.clip(np.round(rng.lognormal(np.log(12), 0.8, n)), 0, 150).astype(int)
    # Most who never start leave 2 to 11 weeks after referral; the rest stay on the waiting list.
    leave_unstarted = ~starts & (rng.random(n) < 0.7)
    left_before = referral + rng.integers(14, 76, n)
    employable = starts & (rng.random(n) < p_employable)
    job = start + np.maximum(np.round(rng.lognormal(np.log(60), 0.7, n)), 7).astype(int)
    leaves = starts & (rng.random(n) < 0.3)
    left_after = start + rng.integers(30, 151, n)
    gets_job = employable & (~leaves | (job < left_after))

    true_starts = int((starts & (start <= end)).sum())
    true_jobs = int((gets_job & (job <= end)).sum())

    known = referral <= cut
    exit_day = np.where(
        gets_job, job, np.where(leaves, left_after, np.where(leave_unstarted, left_before, 10**6))
    )
    origin = np.datetime64(PERIOD_START, "D")

    def as_date(day: np.ndarray, present: np.ndarray) -> np.ndarray:
        return np.where(present & (day <= cut), origin + day.astype("timedelta64[D]"), np.datetime64("NaT"))

    job_known = gets_job & (job <= cut)
    frame = pd.DataFrame(
        {
            "referral_date": as_date(referral, known),
            "start_date": as_date(start, starts),
            "job_start_date": as_date(job, job_known),
            "exit_date": as_date(exit_day, np.ones(n, dtype=bool)),
            "job_evidenced": pd.array(job_known, dtype="boolean"),
        }
    )[known].reset_index(drop=True)
    return Programme(seed, scenario, frame, true_starts, true_jobs)


def _summary(rows: pd.DataFrame) -> dict[str, float | int]:
    r = len(rows)
    c80, c95 = rows["covered80"].mean(), rows["covered95"].mean()
    return {
        "replications": r,
        "coverage80": round(float(c80), 4),
        "coverage80_mc_se": round(float(np.sqrt(c80 * (1 - c80) / r)), 4),
        "coverage95": round(float(c95), 4),
        "coverage95_mc_se": round(float(np.sqrt(c95 * (1 - c95) / r)), 4),
        "mean_width80": round(float(rows["width80"].mean()), 3),
        "mean_width95": round(float(rows["width95"].mean()), 3),
        "bias": round(float(rows["error"].mean()), 3),
        "mean_abs_error": round(float(rows["error"].abs().mean()), 3),
        "mean_truth": round(float(rows["truth"].mean()), 3),
        "mean_observed": round(float(rows["observed"].mean()), 3),
        "pit_central80": round(float(rows["pit"].between(0.1, 0.9).mean()), 4),
        "pit_central95": round(float(rows["pit"].between(0.025, 0.975).mean()), 4),
        "pit_mean": round(float(rows["pit"].mean()), 4),
        "below_low80": round(float((rows["truth"] < rows["low80"]).mean()), 4),
        "above_high80": round(float((rows["truth"] > rows["high80"]).mean()), 4),
    }


def replicate(
    *, replications: int, draws: int, measures: tuple[str, ...] = ("job_outcomes", "starts")
) -> pd.DataFrame:
    """One row per (replication, measure): truth, projection and whether each interval covers it.

    ``pit`` is the randomised probability integral transform of the truth under the simulated
    totals (Czado, Gneiting and Held 2009): uniform when the projected distribution is calibrated,
    whole-number totals or not, so its central-80% share separates the method's calibration from
    the extra coverage that whole-number interval ends would give.
    """
    rows = []
    for seed in range(FIRST_SEED, FIRST_SEED + replications):
        prog = simulate_programme(seed)
        jitter = np.random.default_rng(seed).random(len(measures))
        for measure, v in zip(measures, jitter, strict=True):
            args = {"measure": measure, "data_cutoff": DATA_CUTOFF, "period_end": PERIOD_END, "draws": draws}
            p = project_year_end(prog.participants, seed=seed, **args)  # type: ignore[arg-type]
            totals = simulate_totals(prog.participants, seed=seed, **args)  # type: ignore[arg-type]
            truth = prog.true_jobs if measure == "job_outcomes" else prog.true_starts
            rows.append(
                {
                    "seed": seed,
                    "scenario": prog.scenario,
                    "measure": measure,
                    "truth": truth,
                    "observed": p.observed,
                    "central": p.central,
                    "low80": p.low80,
                    "high80": p.high80,
                    "covered80": p.low80 <= truth <= p.high80,
                    "covered95": p.low95 <= truth <= p.high95,
                    "width80": p.high80 - p.low80,
                    "width95": p.high95 - p.low95,
                    "error": p.central - truth,
                    "pit": float(np.mean(totals < truth) + v * np.mean(totals == truth)),
                }
            )
    return pd.DataFrame(rows)


def coverage(*, replications: int = 1000, draws: int = 2000) -> dict:
    """The benchmark's result: coverage, width and bias by measure, overall and by scenario."""
    rows = replicate(replications=replications, draws=draws)
    out: dict = {
        "benchmark": "projection_coverage",
        "function": "evaluation.metrics.projection.project_year_end",
        "data_cutoff": DATA_CUTOFF.isoformat(),
        "period_end": PERIOD_END.isoformat(),
        "replications": replications,
        "draws_per_projection": draws,
        "seeds": f"{FIRST_SEED} to {FIRST_SEED + replications - 1}; scenario {SCENARIOS[0]} for even "
        f"seeds, {SCENARIOS[1]} for odd; the projection uses the replication's seed",
        "acceptance": "job outcomes: 0.75 <= coverage80 <= 0.85 and coverage95 >= 0.90",
    }
    for measure, g in rows.groupby("measure", sort=True):
        summary: dict = _summary(g)
        summary["by_scenario"] = {str(s): _summary(gs) for s, gs in g.groupby("scenario", sort=True)}
        out[str(measure)] = summary
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    began = time.perf_counter()
    result = coverage(replications=args.replications, draws=args.draws)
    seconds = time.perf_counter() - began
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    for measure in ("job_outcomes", "starts"):
        s = result[measure]
        print(
            f"{measure}: coverage80 {s['coverage80']:.3f}, coverage95 {s['coverage95']:.3f}, "
            f"mean width80 {s['mean_width80']:.1f}, bias {s['bias']:+.2f} "
            f"({args.replications} replications)"
        )
    print(f"runtime {seconds:.1f} s; written to {args.out}")


if __name__ == "__main__":
    main()
