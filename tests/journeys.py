"""Hand-made participant journeys for unit tests, in the validated frame's column types."""

from __future__ import annotations

import pandas as pd


def journeys(rows: list[dict]) -> pd.DataFrame:
    """Participants from short dicts: dates as ISO text, flags as True/False/None."""
    defaults = {
        "area_code": "E08000018",
        "provider": "Provider A",
        "strand": "Personalised support",
        "referral_source": "Self-referral",
        "start_date": None,
        "job_start_date": None,
        "job_evidenced": False,
        "sustained_13w": None,
        "sustained_26w": None,
        "exit_date": None,
        "ward_name": "Ward 1",
        "imd_decile": 1,
        "neet": False,
        "care_leaver": False,
        "barriers_count": 1,
    }
    frame = pd.DataFrame([{**defaults, **r} for r in rows])
    for col in ("referral_date", "start_date", "job_start_date", "exit_date"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    for col in ("job_evidenced", "sustained_13w", "sustained_26w", "neet", "care_leaver"):
        frame[col] = frame[col].astype("boolean")
    frame["participant_id"] = [f"P{i:03d}" for i in range(len(frame))]
    return frame
