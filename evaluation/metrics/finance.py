"""Finance: cost per start and per job outcome, and budget reconciliation as QA findings.

Reconciliation never raises: a total that does not add up is a finding for the QA appendix, with
the lines involved, what they sum to and the difference, and, where one line elsewhere in the
budget would close the gap exactly, which line that is.
"""

from __future__ import annotations

import pandas as pd

from evaluation.metrics.results import QAFinding
from evaluation.params import Params, StatedTotal


def money(value: float) -> str:
    """Pounds with thousands separators for QA messages (the documents format their own)."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.0f}"


def run_budget(budget: pd.DataFrame, params: Params, financial_year: str) -> pd.DataFrame:
    """The budget lines of a run: its own code and (for a combined authority) its councils."""
    codes = {params.area.code, *params.area_codes}
    rows = budget[budget["area_code"].isin(codes) & (budget["financial_year"] == financial_year)]
    return rows.sort_values(["area_code", "strand", "category"], kind="stable").reset_index(drop=True)


def reconcile(lines: pd.DataFrame, stated: tuple[StatedTotal, ...]) -> list[QAFinding]:
    """Check each stated total against the sum of the lines it covers."""
    findings = []
    over = _surplus_by_strand(lines, stated)
    for total in stated:
        covered = lines if not total.strands else lines[lines["strand"].isin(total.strands)]
        found = float(covered["budgeted"].sum())
        diff = found - total.amount
        scope = "all budget lines" if not total.strands else "the lines under " + ", ".join(total.strands)
        if abs(diff) < 0.5:
            findings.append(
                QAFinding(
                    check=f"budget: {total.label}",
                    status="pass",
                    message=f"{scope} sum to {money(found)}, as stated ({total.source}).",
                    expected=total.amount,
                    found=found,
                    difference=0.0,
                    source=total.source,
                )
            )
            continue
        gap = -diff
        message = (
            f"{total.label}: {scope} ({len(covered)} lines) sum to {money(found)}, "
            f"{money(abs(diff))} {'short of' if diff < 0 else 'more than'} the stated {money(total.amount)} ({total.source})."
        )
        if total.strands and gap > 0:
            outside = lines[~lines["strand"].isin(total.strands)]
            closing = outside[(outside["budgeted"] - gap).abs() < 0.5]
            # Prefer a line whose own heading is over its stated total by the same amount: that
            # is the line counted in the wrong place, not one that merely has the same value.
            same_gap = [s for s, extra in over.items() if abs(extra - gap) < 0.5]
            misplaced = closing[closing["strand"].isin(same_gap)]
            closing = misplaced if not misplaced.empty else closing
            for _, line in closing.iterrows():
                message += (
                    f" The stated total is met only by counting '{line['category']}' ({money(line['budgeted'])}), "
                    f"which is listed under {line['strand']}."
                )
        findings.append(
            QAFinding(
                check=f"budget: {total.label}",
                status="fail",
                message=message,
                expected=total.amount,
                found=found,
                difference=diff,
                source=total.source,
            )
        )
    return findings


def _surplus_by_strand(lines: pd.DataFrame, stated: tuple[StatedTotal, ...]) -> dict[str, float]:
    """For headings with a stated total of their own: lines' sum less the stated amount."""
    return {
        t.strands[0]: float(lines.loc[lines["strand"] == t.strands[0], "budgeted"].sum()) - t.amount
        for t in stated
        if len(t.strands) == 1
    }


def cost_per_outcome(spend: float, starts: int, job_outcomes: int) -> dict[str, float | None]:
    """Spend to date divided by starts and by evidenced job outcomes (None where there are none)."""
    return {
        "spend_to_date": spend,
        "cost_per_start": spend / starts if starts else None,
        "cost_per_job_outcome": spend / job_outcomes if job_outcomes else None,
    }


PROGRAMME_WIDE = "Programme-wide (not allocated to a strand)"


def cost_by_strand(
    lines: pd.DataFrame, participants: pd.DataFrame, heading_to_strand: dict[str, str]
) -> pd.DataFrame:
    """Spend to date, starts and job outcomes by programme strand, and the cost of each.

    Budget headings are mapped to strands by the parameters file; headings not mapped (system
    management, say) are shown as programme-wide spend, not spread across strands by assumption.
    """
    spend = lines.assign(strand=[heading_to_strand.get(str(h), PROGRAMME_WIDE) for h in lines["strand"]])
    spend = spend.groupby("strand")["spend_to_date"].sum(min_count=1)
    started = participants[participants["start_date"].notna()]
    starts = started.groupby("strand").size()
    jobs = started[started["job_evidenced"].fillna(False).astype(bool)].groupby("strand").size()
    rows = []
    for strand in sorted(set(spend.index) | set(starts.index)):
        s, k, j = spend.get(strand), int(starts.get(strand, 0)), int(jobs.get(strand, 0))
        known = s is not None and not pd.isna(s) and strand != PROGRAMME_WIDE
        rows.append(
            {
                "strand": strand,
                "spend_to_date": None if s is None or pd.isna(s) else float(s),
                "starts": k if strand != PROGRAMME_WIDE else None,
                "job_outcomes": j if strand != PROGRAMME_WIDE else None,
                "cost_per_start": float(s) / k if known and k else None,
                "cost_per_job_outcome": float(s) / j if known and j else None,
            }
        )
    return pd.DataFrame(rows)
