"""Bias and coverage of the participant-level impact estimators on data with a known effect.

In: a number of replications and sample sizes. Out: for each sample size and estimator of
``evaluation.metrics.impact.estimate_impact`` (matching 4:1 with replacement, 1:1 without,
inverse probability weighting, doubly robust), its bias, RMSE, interval coverage and mean
interval width against the true average effect on the treated, written with the seeds and the
runtime to ``benchmarks/results/impact_simulation.json``.

The generator is self-contained. Each person gets the covariates of the analysis frame (age,
sex, disability, inactivity reason and its length, benefit, IMD decile, carer, area, quarter);
taking part follows a logistic model in them (so the default propensity formula is right);
being in work without the programme follows the synthetic data's own outcome model
(``evaluation.data.synthetic.outcome_index``: steps in age, a capped spell length, so the
doubly robust estimator's logistic outcome model is deliberately not quite right); taking part
adds 1.0 to the log-odds. The target is the population ATT, E[p1(X) − p0(X) | treated],
computed once from a million draws.

Run from the repository root: ``python -m benchmarks.impact_simulation``. It uses one BLAS
thread (set before numpy loads): replications are small and many, and several BLAS threads on a
shared two-core machine slow them a hundredfold.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data.synthetic import outcome_index
from evaluation.metrics.impact import estimate_impact, propensity

RESULT = Path(__file__).parent / "results" / "impact_simulation.json"
FIRST_SEED = 20260215
TRUTH_SEED = 1
TRUTH_DRAWS = 1_000_000
EFFECT_LOG_ODDS = 1.0
ESTIMATORS = ("matching_4to1_with_replacement", "matching_1to1_without_replacement", "ipw", "doubly_robust")
REASONS = ("Long-term sick", "Looking after family or home", "Student", "Other")
BENEFITS = ("None", "Universal Credit (health)", "Universal Credit (other)")
AREAS = ("E08000016", "E08000018", "E08000019")
ACCEPT = (0.90, 0.98)
SIZES = (600, 2500)  # about 80 and 330 participants: a council near the minimum, a combined authority


def _draw(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Covariates of n people, in the analysis frame's columns (a few held constant)."""
    reason = rng.choice(np.array(REASONS, dtype=object), n, p=[0.35, 0.25, 0.2, 0.2])
    sick = reason == "Long-term sick"
    months = np.clip(np.round(rng.lognormal(np.log(36), 0.9, n)), 1, 480)
    frame = pd.DataFrame(
        {
            "age": rng.integers(16, 65, n).astype(float),
            "months_inactive": months,
            "imd_decile": rng.integers(1, 11, n).astype(float),
            "sex": rng.choice(np.array(["Female", "Male"], dtype=object), n),
            "ethnic_group": "White",
            "disability": np.where(sick | (rng.random(n) < 0.3), "Yes", "No").astype(object),
            "health_condition_type": "Not recorded",
            "inactivity_reason": reason,
            "benefits": rng.choice(np.array(BENEFITS, dtype=object), n, p=[0.4, 0.35, 0.25]),
            "carer": np.where(rng.random(n) < 0.15, "Yes", "No").astype(object),
            "lone_parent": "No",
            "social_housing": "No",
            "area_code": rng.choice(np.array(AREAS, dtype=object), n),
            "entry_quarter": np.where(rng.random(n) < 0.5, "2025/26 Q1", "2025/26 Q2").astype(object),
        }
    )
    frame["log_months_inactive"] = np.log1p(frame["months_inactive"])
    return frame


def _selection(frame: pd.DataFrame) -> np.ndarray:
    """Log-odds of taking part: linear in the default propensity formula's terms."""
    age = frame["age"].to_numpy() - 40
    return (
        -2.9
        - 0.03 * age
        + 0.0008 * age**2
        - 0.3 * (frame["log_months_inactive"].to_numpy() - np.log(37))
        - 0.08 * (frame["imd_decile"].to_numpy() - 5)
        + 0.4 * (frame["disability"].to_numpy() == "Yes")
        + 0.3 * (frame["inactivity_reason"].to_numpy() == "Looking after family or home")
        - 0.5 * (frame["inactivity_reason"].to_numpy() == "Student")
        + 0.3 * (frame["benefits"].to_numpy() == "Universal Credit (health)")
        + 0.3 * (frame["carer"].to_numpy() == "Yes")
        + 0.2 * (frame["area_code"].to_numpy() == AREAS[1])
        + 0.6 * (frame["entry_quarter"].to_numpy() == "2025/26 Q2")
    )


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def true_att(*, draws: int = TRUTH_DRAWS, seed: int = TRUTH_SEED) -> float:
    """E[p1(X) − p0(X) | treated] = E[e(X)(p1 − p0)] / E[e(X)], by Monte Carlo."""
    frame = _draw(np.random.default_rng(seed), draws)
    e = _logistic(_selection(frame))
    base = outcome_index(frame)
    return float((e * (_logistic(base + EFFECT_LOG_ODDS) - _logistic(base))).sum() / e.sum())


def simulate(seed: int, *, n: int) -> pd.DataFrame:
    """One analysis frame: treated flag from the selection model, outcome from the outcome model."""
    rng = np.random.default_rng(seed)
    frame = _draw(rng, n)
    treated = rng.random(n) < _logistic(_selection(frame))
    index = outcome_index(frame) + EFFECT_LOG_ODDS * treated
    frame.insert(0, "unit_id", [f"S{i:06d}" for i in range(n)])
    frame.insert(1, "treated", treated.astype(int))
    frame.insert(2, "outcome", (rng.random(n) < _logistic(index)).astype(float))
    return frame


def replicate(seed: int, *, n: int, truth: float) -> list[dict]:
    """Every estimator on one simulated frame, scored against the truth."""
    frame = simulate(seed, n=n)
    model = propensity(frame)
    rows = []
    for name, est in zip(ESTIMATORS, estimate_impact(frame, model, min_treated=20), strict=True):
        row = {
            "seed": seed,
            "estimator": name,
            "treated": int(frame["treated"].sum()),
            "refused": est.refused,
        }
        if not est.refused:
            row.update(
                att=est.att,
                se=est.se,
                width=est.upper - est.lower,
                covered=est.lower <= truth <= est.upper,
                matched_treated=est.matched_treated,
            )
        rows.append(row)
    return rows


def _summary(rows: pd.DataFrame, truth: float) -> dict:
    done = rows[~rows["refused"]]
    err = done["att"] - truth
    cov = float(done["covered"].mean())
    r = len(done)
    return {
        "replications": r,
        "refused": int(rows["refused"].sum()),
        "bias": round(float(err.mean()), 5),
        "bias_mc_se": round(float(err.std(ddof=1) / np.sqrt(r)), 5),
        "rmse": round(float(np.sqrt((err**2).mean())), 5),
        "coverage": round(cov, 4),
        "coverage_mc_se": round(float(np.sqrt(cov * (1 - cov) / r)), 4),
        "mean_ci_width": round(float(done["width"].mean()), 5),
        "mean_se": round(float(done["se"].mean()), 5),
        "sd_of_estimates": round(float(done["att"].std(ddof=1)), 5),
        "mean_matched_treated": round(float(done["matched_treated"].mean()), 1),
    }


def _study(*, replications: int, n: int, first_seed: int, truth: float) -> dict:
    """Every replication at one sample size, summarised per estimator."""
    started = time.perf_counter()
    seeds = range(first_seed, first_seed + replications)
    rows = pd.DataFrame([row for seed in seeds for row in replicate(seed, n=n, truth=truth)])
    estimators = {name: _summary(rows[rows["estimator"] == name], truth) for name in ESTIMATORS}
    low, high = ACCEPT
    return {
        "passed": all(low <= s["coverage"] <= high for s in estimators.values()),
        "mean_treated": round(float(rows.groupby("seed")["treated"].first().mean()), 1),
        "estimators": estimators,
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }


def run(*, replications: int, sizes: tuple[int, ...] = SIZES, first_seed: int = FIRST_SEED) -> dict:
    """The whole study: per sample size and estimator, with the truth, seeds and runtime.

    The same seeds are used at each sample size, so the sizes differ only in their size.
    """
    started = time.perf_counter()
    truth = true_att()
    by_size = {
        str(n): _study(replications=replications, n=n, first_seed=first_seed, truth=truth) for n in sizes
    }
    low, high = ACCEPT
    return {
        "benchmark": "impact_simulation",
        "function": "evaluation.metrics.impact.estimate_impact (default propensity formula, caliper 0.2 SD, minmax support)",
        "acceptance": f"{low} <= coverage <= {high} for every estimator at every sample size",
        "passed": all(study["passed"] for study in by_size.values()),
        "replications": replications,
        "sample_sizes": list(sizes),
        "seeds": {"first": first_seed, "last": first_seed + replications - 1, "truth": TRUTH_SEED},
        "true_att": round(truth, 6),
        "truth_draws": TRUTH_DRAWS,
        "effect_log_odds": EFFECT_LOG_ODDS,
        "by_sample_size": by_size,
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--n", type=int, nargs="+", default=list(SIZES), help="people per simulated frame")
    parser.add_argument("--first-seed", type=int, default=FIRST_SEED)
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    result = run(replications=args.replications, sizes=tuple(args.n), first_seed=args.first_seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    for n, study in result["by_sample_size"].items():
        print(f"n = {n} (about {study['mean_treated']:.0f} participants each):")
        for name, s in study["estimators"].items():
            print(
                f"  {name:36s} bias {s['bias']:+.4f}  coverage {s['coverage']:.3f}  width {s['mean_ci_width']:.3f}"
            )
    print(f"{result['replications']} replications per size in {result['runtime_seconds']} s")


if __name__ == "__main__":
    main()
