"""Consistency checks across sources: published parts against totals, and papers against papers.

Each check returns QA findings for the appendix; none raises. These are the faults the seed
papers hold (Rotherham's inactivity components, Employment Solutions' 138 and 144).
"""

from __future__ import annotations

import pandas as pd

from evaluation.data import vocab
from evaluation.metrics.results import QAFinding
from evaluation.params import Params


def inactivity_components(area_statistics: pd.DataFrame, area_codes: tuple[str, ...]) -> list[QAFinding]:
    """For each area and period with reasons published, the reasons against the stated total."""
    f = area_statistics[area_statistics["area_code"].isin(area_codes)]
    findings = []
    parts = f[f["reason"] != vocab.ALL_REASONS]
    for (code, end), group in parts.groupby(["area_code", "period_end"], sort=True):
        total_rows = f[
            (f["area_code"] == code) & (f["period_end"] == end) & (f["reason"] == vocab.ALL_REASONS)
        ]
        if total_rows.empty:
            continue
        total = int(total_rows["inactive_count"].iloc[0])
        found = int(group["inactive_count"].sum())
        name = (
            total_rows["area_name"].iloc[0]
            if "area_name" in total_rows and pd.notna(total_rows["area_name"].iloc[0])
            else code
        )
        missing = [r for r in vocab.INACTIVITY_REASONS if r not in set(group["reason"])]
        period = pd.Timestamp(end).strftime("%B %Y")
        if found == total:
            findings.append(
                QAFinding(
                    "inactivity components",
                    "pass",
                    f"{name}, year to {period}: the reasons sum to the total {total:,}.",
                    total,
                    found,
                    0,
                )
            )
            continue
        findings.append(
            QAFinding(
                check="inactivity components",
                status="fail",
                message=(
                    f"{name}, year to {period}: the published reasons sum to {found:,}, {abs(total - found):,} "
                    f"{'short of' if found < total else 'more than'} the stated total of {total:,}. "
                    + (f"Not published: {', '.join(missing).lower()}." if missing else "")
                ),
                expected=float(total),
                found=float(found),
                difference=float(found - total),
                source=str(total_rows["source"].iloc[0]) if "source" in total_rows else "",
            )
        )
    return findings


def published_figures(params: Params) -> list[QAFinding]:
    """Figures the papers print more than once must agree; commissioned outcomes must sum."""
    findings = []
    by_name: dict[str, list] = {}
    for fig in params.published_figures:
        by_name.setdefault(fig.name, []).append(fig)
    for _name, figs in sorted(by_name.items()):
        values = sorted({f.value for f in figs})
        if len(values) > 1:
            listing = "; ".join(f"{f.value:,.0f} in {f.source}" for f in figs)
            findings.append(
                QAFinding(
                    check=f"papers agree: {figs[0].label}",
                    status="fail",
                    message=f"{figs[0].label} is given as {listing}. The papers disagree by {values[-1] - values[0]:,.0f}.",
                    expected=values[0],
                    found=values[-1],
                    difference=values[-1] - values[0],
                    source=" / ".join(f.source for f in figs),
                )
            )
    total = by_name.get("commissioned_job_outcomes_total")
    if params.commissioned and total:
        parts = sum(c.job_outcomes for c in params.commissioned)
        stated = total[0].value
        listing = " + ".join(f"{c.job_outcomes:,} {c.provider}" for c in params.commissioned)
        status = "pass" if parts == stated else "fail"
        findings.append(
            QAFinding(
                check="commissioned job outcomes",
                status=status,
                message=f"{listing} = {parts:,} against the stated {stated:,.0f} ({total[0].source}).",
                expected=stated,
                found=float(parts),
                difference=float(parts - stated),
                source=total[0].source,
            )
        )
    return findings
