"""Medians, growth fits and targets of the benchmark runs, and the Markdown report of them.

In: the runs ``benchmarks.bench`` made (one dict per process). Out: the summary stored beside the
runs in ``results.json``, and ``results.md``. A hand-written section between ``<!-- notes -->``
and ``<!-- /notes -->`` in an existing report is kept when the report is written again.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from pathlib import Path

TARGET_SECONDS = 30.0  # 1 million participants validated and their funnel computed
TARGET_RATIO = 3.0  # at most this many times the bare-pandas baseline
TARGET_EXPONENT = 1.0  # cost growing no faster than linearly in rows
TARGET_ROWS = 1_000_000
STEP_TITLES = {
    "participants": "Toolkit: read + validate participants, then funnel and funnel by provider",
    "baseline": "Bare baseline: pandas read_csv + the same funnel counts",
    "pool": "Toolkit: read + validate comparison pool",
    "pool_baseline": "Bare baseline: pandas read_csv of the comparison pool",
}
PHASES = ("read", "parse", "rules", "validate", "funnel", "total")


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summarise(runs: list[dict]) -> dict:
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for run in runs:
        groups[(run["label"], run["step"], run["rows"])].append(run)
    medians = []
    for (label, step, rows), group in sorted(groups.items()):
        times = {p: _median([r["times"][p] for r in group]) for p in PHASES if p in group[0]["times"]}
        medians.append(
            {
                "label": label,
                "step": step,
                "rows": rows,
                "runs": len(group),
                "times": times,
                "total_min": round(min(r["times"]["total"] for r in group), 3),
                "total_max": round(max(r["times"]["total"] for r in group), 3),
                "peak_rss_mb": _median([r["peak_rss_mb"] for r in group]),
                "import_rss_mb": _median([r["import_rss_mb"] for r in group]),
                "counts": group[0]["counts"],
            }
        )
    fits = []
    by_series: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for m in medians:
        by_series[(m["label"], m["step"])].append(m)
    for (label, step), series in sorted(by_series.items()):
        series.sort(key=lambda m: m["rows"])
        if len(series) < 2:
            continue
        xs = [math.log(m["rows"]) for m in series]
        ys = [math.log(m["times"]["total"]) for m in series]
        fits.append(
            {
                "label": label,
                "step": step,
                "sizes": [m["rows"] for m in series],
                "exponent": round(_slope(xs, ys), 3),
                "exponent_largest_two": round(_slope(xs[-2:], ys[-2:]), 3),
                "seconds_per_million_rows_at_largest": round(
                    series[-1]["times"]["total"] / series[-1]["rows"] * 1e6, 3
                ),
            }
        )
    return {"medians": medians, "fits": fits, "targets": _targets(medians, fits), "checks": _checks(medians)}


def _checks(medians: list[dict]) -> list[dict]:
    """The toolkit's funnel counts against the bare baseline's, size by size."""
    out = []
    for m in medians:
        bare = _find(medians, m["label"], "baseline", m["rows"]) if m["step"] == "participants" else None
        if bare:
            keys = [k for k in bare["counts"] if k in m["counts"]]
            same = all(m["counts"][k] == bare["counts"][k] for k in keys)
            out.append({"label": m["label"], "rows": m["rows"], "counts": keys, "agree": same})
    return out


def _slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def _find(medians: list[dict], label: str, step: str, rows: int) -> dict | None:
    return next((m for m in medians if (m["label"], m["step"], m["rows"]) == (label, step, rows)), None)


def _targets(medians: list[dict], fits: list[dict]) -> list[dict]:
    out = []
    toolkit = _find(medians, "after", "participants", TARGET_ROWS)
    bare = _find(medians, "after", "baseline", TARGET_ROWS)
    if toolkit:
        seconds = toolkit["times"]["total"]
        out.append(
            {
                "target": f"1 million participants validated and funnel computed in under {TARGET_SECONDS:g} s",
                "value": seconds,
                "met": seconds < TARGET_SECONDS,
                "margin": f"{seconds:.1f} s against {TARGET_SECONDS:g} s ({seconds / TARGET_SECONDS:.0%} of the limit)",
            }
        )
    if toolkit and bare:
        ratio = toolkit["times"]["total"] / bare["times"]["total"]
        out.append(
            {
                "target": f"within {TARGET_RATIO:g}x the bare baseline at 1 million participants",
                "value": round(ratio, 2),
                "met": ratio <= TARGET_RATIO,
                "margin": f"{ratio:.2f}x against {TARGET_RATIO:g}x",
            }
        )
    for fit in fits:
        if fit["label"] == "after" and fit["step"] in ("participants", "pool"):
            worst = max(fit["exponent"], fit["exponent_largest_two"])
            out.append(
                {
                    "target": f"{fit['step']}: cost growing no faster than linearly",
                    "value": fit["exponent"],
                    "met": worst <= TARGET_EXPONENT + 0.05,
                    "margin": (
                        f"exponent {fit['exponent']:.2f} over {_sizes(fit['sizes'])}, "
                        f"{fit['exponent_largest_two']:.2f} between the two largest (limit {TARGET_EXPONENT:g}, "
                        "with 0.05 allowed for timing noise)"
                    ),
                }
            )
    return out


def _loads(runs: list[dict]) -> str:
    """The 1-minute load average seen before the runs of each label."""
    seen: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        if run.get("load_before"):
            seen[run["label"]].append(run["load_before"][0])
    parts = [f"{label} runs {min(v):.2f} to {max(v):.2f}" for label, v in sorted(seen.items())]
    return ("1-minute load average before each run: " + "; ".join(parts) + ".") if parts else ""


def _sizes(sizes: list[int]) -> str:
    return ", ".join(_rows(s) for s in sizes)


def _rows(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def write_markdown(result: dict, path: Path) -> None:
    m = result["machine"]
    medians = result["medians"]
    notes = ""
    if path.exists():
        kept = re.search(r"<!-- notes -->.*?<!-- /notes -->", path.read_text(encoding="utf-8"), re.S)
        notes = kept.group(0) if kept else ""
    out = [
        "# Benchmarks: ingest and the process funnel at scale",
        "",
        "Written by `python -m benchmarks.bench` (`make bench`); every number below is in `results.json`.",
        "",
        "## Machine",
        "",
        f"- {m.get('cores')} cores ({m.get('cpu', 'CPU model unknown')}), {m.get('ram', 'RAM unknown')} RAM, {m['platform']}",
        f"- Python {m['python']}, pandas {m['pandas']}, numpy {m['numpy']}, pyarrow {m['pyarrow']}, pandera {m['pandera']}",
        f"- Last invocation started {m['started']}; load average (1, 5, 15 min) {m.get('load_at_start')} at "
        f"its start and {m.get('load_at_end')} at its end. {_loads(result['runs'])} A load above the number "
        "of cores means other work was competing for the CPU, which slows every measurement; toolkit and "
        "baseline runs alternate so that both are slowed alike.",
        "",
        "## Targets",
        "",
    ]
    out += _table(
        ["target", "result", "met"],
        [[t["target"], t["margin"], "met" if t["met"] else "**missed**"] for t in result["targets"]],
    )
    out += [
        "",
        "## Measurements (median of runs; seconds of wall time; peak resident memory of the process)",
        "",
    ]
    for label in sorted({x["label"] for x in medians}, key=lambda s: s != "after"):
        for step, title in STEP_TITLES.items():
            rows = [x for x in medians if x["label"] == label and x["step"] == step]
            if not rows:
                continue
            phases = [p for p in PHASES if p in rows[0]["times"]]
            out += [f"### {title} ({label})", ""]
            out += _table(
                ["rows", "runs", *phases, "range of total", "peak RSS MB", "of which imports MB"],
                [
                    [
                        f"{x['rows']:,}",
                        str(x["runs"]),
                        *(f"{x['times'][p]:.2f}" for p in phases),
                        f"{x['total_min']:.2f} to {x['total_max']:.2f}",
                        f"{x['peak_rss_mb']:.0f}",
                        f"{x['import_rss_mb']:.0f}",
                    ]
                    for x in rows
                ],
            )
            out.append("")
    ratios = []
    for x in medians:
        if x["label"] == "after" and x["step"] in ("participants", "pool"):
            bare = _find(
                medians, "after", "baseline" if x["step"] == "participants" else "pool_baseline", x["rows"]
            )
            if bare:
                ratios.append(
                    [x["step"], f"{x['rows']:,}", f"{x['times']['total']:.2f}", f"{bare['times']['total']:.2f}",
                     f"{x['times']['total'] / bare['times']['total']:.2f}x"]
                )  # fmt: skip
    if ratios:
        out += ["## Toolkit against the bare baseline", ""]
        out += [*_table(["table", "rows", "toolkit s", "bare pandas s", "ratio"], ratios), ""]
        agree = [c for c in result.get("checks", []) if c["label"] == "after"]
        if agree:
            verdict = "agree" if all(c["agree"] for c in agree) else "**differ**"
            out += [
                f"The toolkit's and the baseline's counts ({', '.join(agree[0]['counts'])}) {verdict} at every "
                "size.",
                "",
            ]
    before = [x for x in medians if x["label"] == "before"]
    if before:
        out += ["## Before and after this change (same harness, same inputs)", ""]
        rows = []
        for b in before:
            a = _find(medians, "after", b["step"], b["rows"])
            if not a:
                continue
            for phase in ("read", "parse", "rules", "validate", "funnel", "total"):
                if phase in b["times"] and phase in a["times"]:
                    rows.append(
                        [b["step"], f"{b['rows']:,}", phase, f"{b['times'][phase]:.2f}", f"{a['times'][phase]:.2f}",
                         f"{b['times'][phase] / max(a['times'][phase], 1e-9):.1f}x"]
                    )  # fmt: skip
        out += [*_table(["step", "rows", "phase", "before s", "after s", "speed-up"], rows), ""]
        memory = [
            [b["step"], f"{b['rows']:,}", f"{b['peak_rss_mb']:.0f}", f"{a['peak_rss_mb']:.0f}"]
            for b in before
            if (a := _find(medians, "after", b["step"], b["rows"]))
        ]
        out += ["Peak resident memory of the process, before and after:", ""]
        out += [*_table(["step", "rows", "before MB", "after MB"], memory), ""]
    out += ["## Growth with size (slope of log time against log rows)", ""]
    out += _table(
        ["code", "step", "sizes", "exponent", "exponent, two largest", "s per million rows at the largest"],
        [
            [f["label"], f["step"], _sizes(f["sizes"]), f"{f['exponent']:.2f}", f"{f['exponent_largest_two']:.2f}",
             f"{f['seconds_per_million_rows_at_largest']:.2f}"]
            for f in result["fits"]
        ],
    )  # fmt: skip
    out += [
        "",
        "## Method",
        "",
        "- Inputs: `benchmarks/bench_data.py` tiles the default synthetic tables "
        "(`evaluation.data.synthetic.generate()`: 4,895 participants, 29,370 pool rows), shuffles them, moves "
        "each age by up to two years and gives every row a fresh identifier, then writes UTF-8 CSV as a "
        "council export would hold it (UK dates, Yes/No). Every row is valid, so nothing is quarantined.",
        "- Each measurement is a fresh Python process; times exclude imports and interpreter start. "
        "`validate` is read + parse + rules (`read_raw`, `parse_table`, `validate_parsed`, which is what "
        "`read_and_validate` runs); `funnel` is `funnel()` and `funnel_table(by='provider')`. Peak memory "
        "is `ru_maxrss` of the process, including the imports' share shown beside it.",
        "- The bare baseline reads the same CSV with `pandas.read_csv` defaults and computes the same funnel "
        "counts with masks and a `groupby`; its counts are checked equal to the toolkit's.",
        "",
    ]
    if notes:
        out += [notes, ""]
    path.write_text("\n".join(out), encoding="utf-8")
