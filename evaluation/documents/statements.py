"""Progress against targets in plain words, built from registered figures at presentation.

Answers the scrutiny question "will we reach 400 job outcomes by March?" in a sentence whose
every number comes from the projection.
"""

from __future__ import annotations

from evaluation.documents.formatting import count, percent, uk_date


def likelihood(probability: float) -> str:
    """Words for a probability, on the scale the intelligence professions use (PHIA yardstick)."""
    bands = (
        (0.05, "remote"),
        (0.20, "highly unlikely"),
        (0.35, "unlikely"),
        (0.55, "a realistic possibility"),
        (0.80, "likely"),
        (0.95, "highly likely"),
    )
    for upper, words in bands:
        if probability < upper:
            return words
    return "almost certain"


def target_statement(
    *,
    label: str,
    target: int,
    observed: int,
    central: float,
    low80: float,
    high80: float,
    probability: float | None,
    period_end,
    data_cutoff,
) -> str:
    """One paragraph: where the measure stands, where it is projected to end, and the chance of the target."""
    text = (
        f"To {uk_date(data_cutoff)} there have been {count(observed)} {label}, {percent(observed / target, 0)} of the "
        f"target of {count(target)}. On current progress about {count(central)} are expected by {uk_date(period_end)} "
        f"(80% interval {count(low80)} to {count(high80)})."
    )
    if probability is None:
        return text
    if observed >= target:
        return text + " The target has already been reached."
    chance = "less than 1%" if probability < 0.01 else percent(probability, 0)
    return (
        text + f" Reaching {count(target)} by then is {likelihood(probability)} (estimated chance {chance})."
    )


def target_statements(params, figures) -> list[str]:
    """A statement for each target that has a projection, from the registered figures."""
    out = []
    measure_label = {"starts": "starts", "job_outcomes": "evidenced job outcomes", "referrals": "referrals"}
    for t in params.targets:
        if f"projected_{t.measure}" not in figures or f"probability_{t.name}_target" not in figures:
            continue
        out.append(
            target_statement(
                label=measure_label.get(t.measure, t.measure.replace("_", " ")),
                target=t.value,
                observed=int(figures[t.measure].value),
                central=float(figures[f"projected_{t.measure}"].value),
                low80=float(figures[f"projected_{t.measure}_low80"].value),
                high80=float(figures[f"projected_{t.measure}_high80"].value),
                probability=figures[f"probability_{t.name}_target"].value,
                period_end=params.period.end,
                data_cutoff=params.period.data_cutoff,
            )
        )
    return out
