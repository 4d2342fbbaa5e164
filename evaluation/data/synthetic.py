"""A seeded, deterministic generator of the four input tables (and a ward lookup).

Calibrated to the seed papers (``synthetic_spec``): each council's referrals, starts and evidenced
job outcomes are exact by construction, and the comparison pool and area series carry known
true effects, written to ``truth.json`` beside the data so tests can check the estimators. Same
seed, same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data import synthetic_spec as spec
from evaluation.data import vocab
from evaluation.data.reference import ons_areas
from evaluation.data.synthetic_areas import area_statistics, budget_lines, ward_lookup

WHITE_BRITISH = "White: English, Welsh, Scottish, Northern Irish or British"
MINORITY_WEIGHTS: dict[str, float] = {
    "Asian, Asian British or Asian Welsh: Pakistani": 0.30,
    "White: Roma": 0.12,
    "White: Other White": 0.14,
    "Black, Black British, Black Welsh, Caribbean or African: African": 0.09,
    "Asian, Asian British or Asian Welsh: Indian": 0.05,
    "Asian, Asian British or Asian Welsh: Bangladeshi": 0.03,
    "Asian, Asian British or Asian Welsh: Chinese": 0.02,
    "Asian, Asian British or Asian Welsh: Other Asian": 0.02,
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean": 0.03,
    "Black, Black British, Black Welsh, Caribbean or African: Other Black": 0.01,
    "Mixed or Multiple ethnic groups: White and Asian": 0.03,
    "Mixed or Multiple ethnic groups: White and Black African": 0.02,
    "Mixed or Multiple ethnic groups: White and Black Caribbean": 0.03,
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups": 0.02,
    "White: Irish": 0.02,
    "Other ethnic group: Arab": 0.04,
    "Other ethnic group: Any other ethnic group": 0.03,
}
REFERRAL_SOURCE_WEIGHTS = (0.22, 0.28, 0.16, 0.14, 0.12, 0.03, 0.05)


@dataclass(frozen=True)
class SyntheticData:
    participants: pd.DataFrame
    comparison_pool: pd.DataFrame
    area_statistics: pd.DataFrame
    budget: pd.DataFrame
    ward_lookup: pd.DataFrame
    truth: dict


def _choice(rng: np.random.Generator, options: tuple | list, weights, size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(np.asarray(options, dtype=object), size=size, p=w / w.sum())


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def outcome_index(frame: pd.DataFrame) -> np.ndarray:
    """Log-odds of being in work six months on without the programme (the pool's true model)."""
    age = frame["age"].to_numpy(dtype=float)
    reason = frame["inactivity_reason"].to_numpy(dtype=object)
    months = frame["months_inactive"].fillna(24).to_numpy(dtype=float)
    return (
        -1.2
        + 0.45 * (age < 25)
        - 0.5 * (age >= 50)
        - 0.8 * (reason == "Long-term sick")
        + 0.5 * (reason == "Student")
        - 0.2 * (reason == "Looking after family or home")
        - 0.4 * (frame["disability"].to_numpy(dtype=object) == "Yes")
        - 0.012 * np.minimum(months, 120)
        + 0.06 * (frame["imd_decile"].fillna(5).to_numpy(dtype=float) - 5)
        - 0.3 * (frame["benefits"].to_numpy(dtype=object) == "Universal Credit (health)")
    )


def true_p0(frame: pd.DataFrame) -> np.ndarray:
    """Probability of being in work six months on without the programme."""
    return _logistic(outcome_index(frame))


def _covariates(rng: np.random.Generator, n: int, *, diversity: float, participant: bool) -> pd.DataFrame:
    """Characteristics of n people; participants are younger and more often long-term sick."""
    reasons = list(spec.REASON_WEIGHTS)
    reason_w = np.array(list(spec.REASON_WEIGHTS.values()), dtype=float)
    if participant:
        reason_w = reason_w * np.array([0.8, 1.1, 1.3, 1.5, 0.5, 1.5, 1.0])
    reason = _choice(rng, reasons, reason_w, n)
    age = np.where(
        reason == "Student",
        rng.integers(16, 25, n),
        np.where(
            reason == "Retired",
            rng.integers(50, 65, n),
            rng.integers(18 if participant else 20, 65, n),
        ),
    )
    if participant:
        young = rng.random(n) < 0.18
        age = np.where(young, rng.integers(16, 25, n), age)
    sex = _choice(rng, ("Female", "Male", vocab.PREFER_NOT_TO_SAY), (0.53, 0.46, 0.01), n)
    minority = rng.random(n) < diversity
    ethnicity = np.where(
        minority,
        _choice(rng, list(MINORITY_WEIGHTS), list(MINORITY_WEIGHTS.values()), n),
        WHITE_BRITISH,
    )
    ethnicity = np.where(rng.random(n) < 0.02, vocab.PREFER_NOT_TO_SAY, ethnicity)
    sick = np.isin(reason, ("Long-term sick", "Temporary sick"))
    disabled = np.where(sick | (rng.random(n) < 0.3), "Yes", "No")
    disabled = np.where(rng.random(n) < 0.04, vocab.PREFER_NOT_TO_SAY, disabled)
    health = np.where(
        disabled == "Yes",
        _choice(rng, vocab.HEALTH_CONDITION_TYPES[:5], (0.40, 0.24, 0.12, 0.10, 0.14), n),
        np.where(disabled == "No", "None", vocab.PREFER_NOT_TO_SAY),
    )
    months = np.clip(np.round(rng.lognormal(np.log(30 if participant else 40), 0.9, n)), 1, 480).astype(int)
    benefits = np.where(
        sick,
        _choice(rng, vocab.BENEFITS[:6], (0.05, 0.55, 0.05, 0.2, 0.1, 0.05), n),
        _choice(rng, vocab.BENEFITS[:6], (0.45, 0.1, 0.3, 0.02, 0.05, 0.08), n),
    )
    female = sex == "Female"
    return pd.DataFrame(
        {
            "age": age.astype(int),
            "sex": sex,
            "ethnicity": ethnicity,
            "disability": disabled,
            "health_condition_type": health,
            "inactivity_reason": reason,
            "months_inactive": months,
            "benefits": benefits,
            "carer": rng.random(n) < np.where(reason == "Looking after family or home", 0.35, 0.06),
            "lone_parent": rng.random(n) < np.where(female, 0.16, 0.03),
            "social_housing": rng.random(n) < (0.32 if participant else 0.22),
        }
    )


def _place(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    wards: pd.DataFrame,
    code: str,
    deprived_bias: float,
) -> pd.DataFrame:
    """Give each person a ward in their council (deprived wards more likely) and an IMD decile."""
    own = wards[wards["area_code"] == code]
    weight = np.power(11.0 - own["imd_decile"].to_numpy(dtype=float), deprived_bias)
    pick = rng.choice(len(own), size=len(frame), p=weight / weight.sum())
    chosen = own.iloc[pick]
    jitter = rng.integers(-1, 2, len(frame))
    out = frame.copy()
    out["area_code"] = code
    out["ward_code"] = chosen["ward_code"].to_numpy()
    out["ward_name"] = chosen["ward_name"].to_numpy()
    out["imd_decile"] = np.clip(chosen["imd_decile"].to_numpy() + jitter, 1, 10)
    return out


def _referral_dates(rng: np.random.Generator, n: int, first: dt.date, last: dt.date) -> np.ndarray:
    """Referral dates between two days, at a rate rising steadily (a slow start, then momentum)."""
    span = (last - first).days
    offsets = np.floor(span * np.power(rng.random(n), 0.8)).astype(int)
    return np.sort(np.datetime64(first) + offsets.astype("timedelta64[D]"))


def _pick_exact(
    rng: np.random.Generator, eligible: np.ndarray, weights: np.ndarray, k: int, what: str
) -> np.ndarray:
    """Exactly k of the eligible positions, drawn without replacement in proportion to weight."""
    idx = np.flatnonzero(eligible)
    if len(idx) < k:
        raise RuntimeError(f"synthetic calibration cannot place {k} {what}: only {len(idx)} eligible")
    w = weights[idx]
    return np.sort(rng.choice(idx, size=k, replace=False, p=w / w.sum()))


def _journeys(
    rng: np.random.Generator,
    people: pd.DataFrame,
    *,
    first: dt.date,
    starts: int,
    evidenced_jobs: int,
    cutoff: dt.date,
) -> pd.DataFrame:
    """Dates and outcomes for one council or activity line, with exact counts of starts and jobs."""
    n = len(people)
    cut = np.datetime64(cutoff)
    referral = _referral_dates(rng, n, first, cutoff)
    start_delay = np.clip(np.round(rng.lognormal(np.log(12), 0.8, n)), 0, 150).astype(int)
    start_at = referral + start_delay.astype("timedelta64[D]")
    started_idx = _pick_exact(rng, start_at <= cut, np.ones(n), starts, "starts")
    started = np.zeros(n, dtype=bool)
    started[started_idx] = True
    job_delay = np.clip(np.round(rng.lognormal(np.log(55), 0.7, n)), 7, 400).astype(int)
    job_at = start_at + job_delay.astype("timedelta64[D]")
    # Who finds work depends on the same characteristics as the counterfactual, lifted by support.
    lift = _logistic(outcome_index(people) + 1.1)
    job_idx = _pick_exact(rng, started & (job_at <= cut), lift, evidenced_jobs, "evidenced job outcomes")
    evidenced = np.zeros(n, dtype=bool)
    evidenced[job_idx] = True
    # A few further jobs have started but are not yet evidenced to DWP's standard.
    pending = started & ~evidenced & (job_at <= cut) & (rng.random(n) < 0.05)
    has_job = evidenced | pending
    observable13 = evidenced & (job_at + np.timedelta64(91, "D") <= cut)
    sustained13 = np.where(observable13, rng.random(n) < 0.76, None)
    observable26 = evidenced & (job_at + np.timedelta64(182, "D") <= cut)
    sustained26 = np.where(observable26, (sustained13 == True) & (rng.random(n) < 0.86), None)  # noqa: E712
    exit_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    exit_reason = np.full(n, None, dtype=object)
    not_started_exit = ~started & (rng.random(n) < 0.7)
    e1 = referral + rng.integers(14, 75, n).astype("timedelta64[D]")
    mask = not_started_exit & (e1 <= cut)
    exit_at[mask] = e1[mask]
    exit_reason[mask] = _choice(
        rng,
        ("Disengaged", "Moved away", "Health", "Other"),
        (0.7, 0.08, 0.14, 0.08),
        int(mask.sum()),
    )
    left = started & ~has_job & (rng.random(n) < 0.28)
    e2 = start_at + rng.integers(30, 150, n).astype("timedelta64[D]")
    mask = left & (e2 <= cut)
    exit_at[mask] = e2[mask]
    exit_reason[mask] = _choice(
        rng,
        ("Disengaged", "Health", "Completed support", "Moved away"),
        (0.55, 0.2, 0.15, 0.1),
        int(mask.sum()),
    )
    exit_at[evidenced] = job_at[evidenced]
    exit_reason[evidenced] = "Job outcome"
    out = people.copy()
    out["referral_date"] = referral
    out["start_date"] = np.where(started, start_at, np.datetime64("NaT"))
    out["job_start_date"] = np.where(has_job, job_at, np.datetime64("NaT"))
    out["job_evidenced"] = evidenced
    out["sustained_13w"] = sustained13
    out["sustained_26w"] = sustained26
    out["exit_date"] = exit_at
    out["exit_reason"] = exit_reason
    return out


def _extras(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Referral source, barriers and the other protected characteristics."""
    n = len(frame)
    out = frame.copy()
    out["referral_source"] = _choice(rng, vocab.REFERRAL_SOURCES, REFERRAL_SOURCE_WEIGHTS, n)
    young = out["age"].to_numpy() <= 24
    out["care_leaver"] = young & (rng.random(n) < 0.08)
    out["neet"] = young & (out["inactivity_reason"].to_numpy() != "Student") & (rng.random(n) < 0.7)
    k = np.clip(rng.poisson(2.2, n) + 1, 1, 6)
    health_first = out["disability"].to_numpy() == "Yes"
    barriers = []
    for i in range(n):
        pool = list(vocab.BARRIERS[1:]) if health_first[i] else list(vocab.BARRIERS)
        chosen = set(rng.choice(pool, size=min(k[i], len(pool)), replace=False).tolist())
        if health_first[i]:
            chosen.add("Health")
        barriers.append(";".join(b for b in vocab.BARRIERS if b in chosen))
    out["barriers"] = barriers
    out["barriers_count"] = [b.count(";") + 1 for b in barriers]
    out["religion"] = _choice(
        rng, vocab.RELIGION, (0.38, 0.42, 0.005, 0.005, 0.003, 0.06, 0.005, 0.01, 0.112), n
    )
    out["sexual_orientation"] = _choice(rng, vocab.SEXUAL_ORIENTATION, (0.86, 0.025, 0.02, 0.005, 0.09), n)
    out["marriage_civil_partnership"] = _choice(
        rng, vocab.LEGAL_PARTNERSHIP, (0.45, 0.3, 0.04, 0.1, 0.03, 0.08), n
    )
    out["pregnancy_maternity"] = np.where(
        (out["sex"].to_numpy() == "Female") & (out["age"].to_numpy() < 45),
        _choice(rng, vocab.YES_NO_REFUSED, (0.03, 0.9, 0.07), n),
        _choice(rng, vocab.YES_NO_REFUSED, (0.0, 0.93, 0.07), n),
    )
    out["gender_reassignment"] = _choice(rng, vocab.YES_NO_REFUSED, (0.004, 0.92, 0.076), n)
    out["notes"] = np.where(rng.random(n) < 0.1, "Attended confidence workshop", None)
    return out


def _plant_small_group(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly three Rotherham starters in one ethnic group, one with a job: the disclosure case."""
    column, value, size, jobs = spec.SMALL_GROUP
    out = frame.copy()
    roth = out["area_code"] == "E08000018"
    clash = out[column] == value
    out.loc[clash, column] = WHITE_BRITISH
    with_job = out.index[roth & out["job_evidenced"]]
    without = out.index[
        roth & out["start_date"].notna() & ~out["job_evidenced"] & out["job_start_date"].isna()
    ]
    chosen = list(rng.choice(with_job, jobs, replace=False)) + list(
        rng.choice(without, size - jobs, replace=False)
    )
    out.loc[chosen, column] = value
    return out


COLUMN_ORDER = (
    "participant_id", "area_code", "area_name", "ward_code", "ward_name", "imd_decile", "provider", "strand",
    "referral_source", "referral_date", "start_date", "job_start_date", "job_evidenced", "sustained_13w",
    "sustained_26w", "exit_date", "exit_reason", "age", "sex", "ethnicity", "disability", "health_condition_type",
    "carer", "care_leaver", "neet", "lone_parent", "social_housing", "inactivity_reason", "months_inactive",
    "benefits", "barriers_count", "barriers", "religion", "sexual_orientation", "marriage_civil_partnership",
    "pregnancy_maternity", "gender_reassignment", "notes",
)  # fmt: skip


def _assign_lines(
    rng: np.random.Generator, n: int, lines: tuple[spec.Line, ...]
) -> tuple[np.ndarray, np.ndarray]:
    idx = _choice(rng, list(range(len(lines))), [line.share for line in lines], n).astype(int)
    return (
        np.array([lines[i].provider for i in idx], dtype=object),
        np.array([lines[i].strand for i in idx], dtype=object),
    )


def _largest_remainder(total: int, shares: dict[str, float]) -> dict[str, int]:
    raw = {k: total * v / sum(shares.values()) for k, v in shares.items()}
    out = {k: int(np.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[: total - sum(out.values())]:
        out[k] += 1
    return out


def _south_yorkshire(rng: np.random.Generator, wards: pd.DataFrame) -> list[pd.DataFrame]:
    frames = []
    for council in spec.SOUTH_YORKSHIRE:
        people = _covariates(rng, council.referrals, diversity=council.diversity, participant=True)
        people = _place(rng, people, wards, council.code, deprived_bias=1.2)
        people["provider"], people["strand"] = _assign_lines(rng, council.referrals, council.lines)
        frames.append(
            _journeys(
                rng,
                people,
                first=council.first_referral,
                starts=council.starts,
                evidenced_jobs=council.evidenced_jobs,
                cutoff=spec.DATA_CUTOFF,
            )
        )
    return frames


def _north_east(rng: np.random.Generator, wards: pd.DataFrame) -> list[pd.DataFrame]:
    """Each activity line's residents supported (starts) as in the delivery plan, across councils."""
    frames = []
    shares = {code: share for code, (_, share) in spec.NE_COUNCILS.items()}
    for line, (_, _, supported) in spec.NE_ACTIVITY_LINES.items():
        line_shares = (
            {c: shares[c] for c in spec.NE_PILOT_AREAS} if line == "Primary care health pilot" else shares
        )
        for code, starts in _largest_remainder(supported, line_shares).items():
            if starts == 0:
                continue
            referrals = round(starts / spec.NE_START_RATE)
            people = _covariates(rng, referrals, diversity=0.06, participant=True)
            if line == "Young adults work placement":
                people["age"] = rng.integers(16, 25, referrals)
            if line == "Women":
                people["sex"] = "Female"
            if line == "Neurodiverse work placement":
                people["disability"] = "Yes"
                people["health_condition_type"] = "Neurodivergence or learning disability"
            if line == "Social housing tenants":
                people["social_housing"] = True
            if line == "Mayor's Childcare Grant":
                people["lone_parent"] = rng.random(referrals) < 0.6
                people["inactivity_reason"] = "Looking after family or home"
            people = _place(rng, people, wards, code, deprived_bias=1.0)
            people["provider"] = (
                f"Open call grantee: {line}"
                if line != "Local infrastructure"
                else f"{spec.NE_COUNCILS[code][0]} local infrastructure"
            )
            people["strand"] = line
            jobs = round(starts * spec.NE_JOB_RATE)
            frames.append(
                _journeys(
                    rng,
                    people,
                    first=spec.NE_PLAN_LINE_DATES[line],
                    starts=starts,
                    evidenced_jobs=jobs,
                    cutoff=spec.DATA_CUTOFF,
                )
            )
    return frames


def _participants(rng: np.random.Generator, wards: pd.DataFrame) -> pd.DataFrame:
    frames = _south_yorkshire(rng, wards) + _north_east(rng, wards)
    frame = pd.concat(frames, ignore_index=True)
    frame = _extras(rng, frame)
    frame = _plant_small_group(rng, frame)
    frame = frame.sort_values(["referral_date", "area_code"], kind="stable").reset_index(drop=True)
    # Pseudonymous ids, shuffled so that their order says nothing about the referral order.
    numbers = rng.permutation(len(frame)) + 1
    frame["participant_id"] = [f"P{num:07d}" for num in numbers]
    frame["area_name"] = frame["area_code"].map(ons_areas()["area_name"])
    return frame.loc[:, list(COLUMN_ORDER)]


def _pool(rng: np.random.Generator, participants: pd.DataFrame, wards: pd.DataFrame) -> pd.DataFrame:
    """Non-participants with the same characteristics; in work at 6 months from the true model."""
    frames = []
    last_entry = spec.DATA_CUTOFF - dt.timedelta(days=spec.IMPACT_FOLLOW_UP_DAYS)
    for code, count in participants.groupby("area_code", sort=True).size().items():
        n = int(count) * spec.POOL_PER_REFERRAL
        people = _covariates(rng, n, diversity=0.1, participant=False)
        people = _place(rng, people, wards, str(code), deprived_bias=0.6)
        span = (last_entry - dt.date(2025, 4, 1)).days
        people["entry_date"] = np.datetime64("2025-04-01") + rng.integers(0, span + 1, n).astype(
            "timedelta64[D]"
        )
        people["in_work_6m"] = rng.random(n) < true_p0(people)
        people["in_work_12m"] = None
        frames.append(people)
    pool = pd.concat(frames, ignore_index=True)
    pool["person_id"] = [f"C{num:08d}" for num in rng.permutation(len(pool)) + 1]
    cols = ["person_id", "area_code", "entry_date", "age", "sex", "ethnicity", "disability",
            "health_condition_type", "inactivity_reason", "months_inactive", "benefits", "imd_decile",
            "carer", "lone_parent", "social_housing", "in_work_6m", "in_work_12m"]  # fmt: skip
    return pool.loc[:, cols].sort_values("person_id", kind="stable").reset_index(drop=True)


def impact_truth(participants: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The true effect on the treated of being in work six months after starting, by area.

    Truth = mean observed outcome of eligible starters (started at least 182 days before the
    cut-off) less the mean of their true probability of work without the programme (the pool's
    outcome model): the expectation of the sample ATT that the estimators target.
    """
    last = pd.Timestamp(spec.DATA_CUTOFF - dt.timedelta(days=spec.IMPACT_FOLLOW_UP_DAYS))
    p = participants.copy()
    start = pd.to_datetime(p["start_date"])
    eligible = start.notna() & (start <= last)
    job = pd.to_datetime(p["job_start_date"])
    p["y1"] = (
        p["job_evidenced"].astype(bool) & (job - start <= pd.Timedelta(days=spec.IMPACT_FOLLOW_UP_DAYS))
    ).astype(float)
    p["p0"] = true_p0(p)
    e = p[eligible]
    ca = e["area_code"].map(ons_areas()["combined_authority_code"])
    out: dict[str, dict[str, float]] = {}
    for key, group in list(e.groupby("area_code")) + list(e.groupby(ca)):
        out[str(key)] = {
            "treated": len(group),
            "observed_rate": round(float(group["y1"].mean()), 6),
            "counterfactual_rate": round(float(group["p0"].mean()), 6),
            "att": round(float(group["y1"].mean() - group["p0"].mean()), 6),
        }
    return dict(sorted(out.items()))


def generate(seed: int = spec.SEED) -> SyntheticData:
    """All synthetic inputs for the shipped parameters files; deterministic in the seed."""
    rng = np.random.default_rng(seed)
    wards = ward_lookup(rng)
    participants = _participants(rng, wards)
    pool = _pool(rng, participants, wards)
    stats, area_truth = area_statistics(np.random.default_rng([seed, 1]))
    truth = {
        "seed": seed,
        "data_cutoff": spec.DATA_CUTOFF.isoformat(),
        "impact": {
            "outcome": "in work (evidenced job starting) within 182 days of programme start",
            "by_area": impact_truth(participants),
        },
        "area_effects": area_truth,
        "small_group": dict(
            zip(("column", "value", "people", "job_outcomes"), spec.SMALL_GROUP, strict=True)
        ),
    }
    return SyntheticData(participants, pool, stats, budget_lines(), wards.drop(columns="imd_decile"), truth)


def _uk_dates(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = pd.to_datetime(out[col]).dt.strftime("%d/%m/%Y").where(out[col].notna(), "")
    return out


def _yes_no(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = out[col].map({True: "Yes", False: "No"}).where(out[col].notna(), "")
    return out


def export_frames(data: SyntheticData) -> dict[str, pd.DataFrame]:
    """The tables as a council export would hold them: UK dates and Yes/No in journey files."""
    participants = _yes_no(
        _uk_dates(data.participants, ("referral_date", "start_date", "job_start_date", "exit_date")),
        (
            "job_evidenced",
            "sustained_13w",
            "sustained_26w",
            "carer",
            "care_leaver",
            "neet",
            "lone_parent",
            "social_housing",
        ),
    )
    pool = _yes_no(
        _uk_dates(data.comparison_pool, ("entry_date",)),
        ("carer", "lone_parent", "social_housing", "in_work_6m", "in_work_12m"),
    )
    return {
        "participants": participants,
        "comparison_pool": pool,
        "area_statistics": data.area_statistics,
        "budget": data.budget,
        "ward_lookup": data.ward_lookup,
    }


def write(data: SyntheticData, out: Path, *, fmt: str = "csv") -> list[Path]:
    """Write every table (CSV, XLSX or Parquet) and truth.json; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in export_frames(data).items():
        path = out / f"{name}.{fmt}"
        text = frame.astype(object).where(frame.notna(), "").astype(str)
        if fmt == "csv":
            text.to_csv(path, index=False, lineterminator="\n")
        elif fmt == "parquet":
            text.to_parquet(path, index=False)
        elif fmt == "xlsx":
            text.to_excel(path, index=False, sheet_name=name[:31])
        else:
            raise ValueError(f"unknown format {fmt!r}; expected csv, xlsx or parquet")
        written.append(path)
    truth = out / "truth.json"
    truth.write_text(json.dumps(data.truth, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [*written, truth]
