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

from benchmarks.bench_analyses import PROJECTION_MAX_ROWS

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
STEP_TITLES |= {
    "analyses": "Toolkit: process metrics, equity tables and disclosure control, every participant row",
    "projection": "Toolkit: year-end projections of starts and job outcomes (2,000 draws each), run once",
    "impact": "Toolkit: participant-level impact (participants x comparison pool)",
    "area_baseline": "Toolkit: area-level do-nothing baselines (both regions, synthetic area statistics)",
    "pack_cold": "Whole default pack from a cold start (every params file, every document)",
    "pack_warm": "Whole default pack rerun, nothing changed",
    "pack_edit": "One paper re-rendered after a narrative edit (Rotherham 2026/27)",
    "pack_cold_blas_default": (
        "Whole default pack from a cold start, no BLAS thread count in the environment (the run sets one itself)"
    ),
    "render": "One document rendered (Rotherham 2026/27 decision paper) from a built pack's results",
}
GROWTH_PHASES = {
    "analyses": ("process", "equity", "disclosure"),
    "projection": ("starts", "job_outcomes"),
    "impact": ("frame", "propensity", "ipw", "doubly_robust", "weighting", "balance", "matching"),
}
LINEAR_EXEMPT = ("impact: matching",)  # matching may grow faster than linearly (the issue says so)
PACK_TARGETS = {"pack_cold": 60.0, "pack_warm": 2.0, "pack_edit": 5.0}
IMPACT_ROWS, IMPACT_POOL = 1_000_000, 10_000_000
IMPACT_SECONDS, IMPACT_GIB = 120.0, 8.0


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summarise(runs: list[dict]) -> dict:
    groups: dict[tuple[str, str, int], list[dict]] = defaultdict(list)
    for run in runs:
        if run.get("counts", {}).get("refused"):  # a file refused whole: listed apart, not timed
            continue
        groups[(run["label"], run["step"], run["rows"])].append(run)
    medians = []
    for (label, step, rows), group in sorted(groups.items()):
        names = [p for p in PHASES if p in group[0]["times"]] + [
            p for p in group[0]["times"] if p not in PHASES
        ]
        times = {p: _median([r["times"][p] for r in group if p in r["times"]]) for p in names}
        extra = {}
        if "peaks" in group[0]:
            extra["peaks"] = {p: _median([r["peaks"][p] for r in group]) for p in group[0]["peaks"]}
        if "pool" in group[0]:
            extra["pool"] = group[0]["pool"]
        if "step_seconds_summed_over_packs" in group[0]:
            extra["step_seconds_summed_over_packs"] = group[0]["step_seconds_summed_over_packs"]
        medians.append(
            {
                "label": label,
                "step": step,
                "rows": rows,
                "runs": len(group),
                **extra,
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
        for phase in ("total", *GROWTH_PHASES.get(step, ())):
            points = [m for m in series if m["rows"] > 0 and m["times"].get(phase, 0) > 0]
            if len(points) < 2:
                continue
            rows = [m["rows"] + m.get("pool", 0) for m in points]  # impact: rows of the analysis data
            xs = [math.log(r) for r in rows]
            ys = [math.log(m["times"][phase]) for m in points]
            fits.append(
                {
                    "label": label,
                    "step": step if phase == "total" else f"{step}: {phase}",
                    "sizes": rows,
                    "exponent": round(_slope(xs, ys), 3),
                    "exponent_largest_two": round(_slope(xs[-2:], ys[-2:]), 3),
                    "seconds_per_million_rows_at_largest": round(
                        points[-1]["times"][phase] / rows[-1] * 1e6, 3
                    ),
                }
            )
    refused = sorted(
        {(r["label"], r["step"], r["rows"], ", ".join(r["counts"]["file_faults"])) for r in runs
         if r.get("counts", {}).get("refused")}
    )  # fmt: skip
    return {
        "medians": medians, "fits": fits, "targets": _targets(medians, fits), "checks": _checks(medians),
        "refused": [{"label": a, "step": b, "rows": c, "file_faults": d} for a, b, c, d in refused],
    }  # fmt: skip


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


def _target(target: str, value: float, met: bool, margin: str) -> dict:
    return {"target": target, "value": round(value, 3), "met": met, "margin": margin}


def _targets(medians: list[dict], fits: list[dict]) -> list[dict]:
    out = []
    for step, limit in PACK_TARGETS.items():
        m = _find(medians, "after", step, 0)
        if m:
            sec = m["times"]["total"]
            did = ", ".join(f"{v} {k}" for k, v in m["counts"].items() if k != "packs" and v)
            out.append(
                _target(f"{STEP_TITLES[step]} in under {limit:g} s", sec, sec < limit,
                        f"{sec:.1f} s against {limit:g} s ({sec / limit:.0%} of the limit); packs: {did}")
            )  # fmt: skip
    toolkit = _find(medians, "after", "participants", TARGET_ROWS)
    bare = _find(medians, "after", "baseline", TARGET_ROWS)
    analyses = _find(medians, "after", "analyses", TARGET_ROWS)
    if toolkit and analyses:
        sec = toolkit["times"]["validate"] + analyses["times"]["process"]
        out.append(
            _target(
                f"1 million participants: validate and process metrics in under {TARGET_SECONDS:g} s", sec,
                sec < TARGET_SECONDS,
                f"{sec:.1f} s (validate {toolkit['times']['validate']:.1f} s + process metrics "
                f"{analyses['times']['process']:.1f} s; year-end projection apart, see below) against "
                f"{TARGET_SECONDS:g} s",
            )
        )  # fmt: skip
    if toolkit:
        sec = toolkit["times"]["total"]
        out.append(
            _target(f"1 million participants validated and funnel computed in under {TARGET_SECONDS:g} s", sec,
                    sec < TARGET_SECONDS, f"{sec:.1f} s against {TARGET_SECONDS:g} s ({sec / TARGET_SECONDS:.0%} of the limit)")
        )  # fmt: skip
    if toolkit and bare:
        ratio = toolkit["times"]["total"] / bare["times"]["total"]
        out.append(
            _target(f"within {TARGET_RATIO:g}x the bare baseline at 1 million participants (validate + funnel)",
                    ratio, ratio <= TARGET_RATIO, f"{ratio:.2f}x against {TARGET_RATIO:g}x")
        )  # fmt: skip
    imp = _find(medians, "after", "impact", IMPACT_ROWS)
    if imp and imp.get("pool") == IMPACT_POOL:
        sec = imp["times"]["weighting"]
        gib = imp["peaks"]["doubly_robust"] / 1024
        out.append(
            _target("1 million participants x 10 million pool: propensity estimation and weighting in under 2 minutes",
                    sec, sec < IMPACT_SECONDS,
                    f"{sec:.1f} s (analysis frame, propensity model, IPW and doubly robust) against {IMPACT_SECONDS:g} s")
        )  # fmt: skip
        out.append(
            _target("... with peak memory under 8 GiB", gib, gib < IMPACT_GIB,
                    f"{gib:.2f} GiB peak resident memory up to the end of weighting against {IMPACT_GIB:g} GiB")
        )  # fmt: skip
    for fit in fits:
        if fit["label"] != "after" or fit["step"] in ("baseline", "pool_baseline"):
            continue
        if fit["step"] in ("analyses", "impact", "projection") or fit["step"].endswith(": weighting"):
            continue  # the totals and sums are shown by their parts
        worst = max(fit["exponent"], fit["exponent_largest_two"])
        exempt = fit["step"] in LINEAR_EXEMPT
        out.append(
            {"exempt": exempt} | _target(
                f"{fit['step']}: cost growing no faster than linearly" + (" (exempt: matching)" if exempt else ""),
                fit["exponent"], exempt or worst <= TARGET_EXPONENT + 0.05,
                f"exponent {fit['exponent']:.2f} over {_sizes(fit['sizes'])}, {fit['exponent_largest_two']:.2f} "
                f"between the two largest (limit {TARGET_EXPONENT:g}, with 0.05 allowed for timing noise)",
            )
        )  # fmt: skip
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


def _size(x: dict) -> str:
    if not x["rows"]:
        return "-"
    return f"{x['rows']:,}" + (f" x {x['pool']:,}" if "pool" in x else "")


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
        "# Benchmarks: from a council to the whole national programme",
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
        [
            [t["target"], t["margin"], "exempt" if t.get("exempt") else "met" if t["met"] else "**missed**"]
            for t in result["targets"]
        ],
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
            phases = list(rows[0]["times"])
            out += [f"### {title} ({label})", ""]
            out += _table(
                ["rows", "runs", *phases, "range of total", "peak RSS MB", "of which imports MB"],
                [
                    [
                        _size(x),
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
            peaks = [x for x in rows if x.get("peaks")]
            if peaks:
                names = list(peaks[0]["peaks"])
                out += ["Peak resident memory (MB) up to the end of each phase:", ""]
                out += _table(
                    ["rows", *names], [[_size(x), *(f"{x['peaks'][n]:.0f}" for n in names)] for x in peaks]
                )
                out.append("")
            summed = [x for x in rows if x.get("step_seconds_summed_over_packs")]
            if summed:
                names = list(summed[0]["step_seconds_summed_over_packs"])
                out += [
                    "Seconds of each step, summed over the packs (packs run two at a time), first run:",
                    "",
                ]
                out += _table(
                    names, [[f"{x['step_seconds_summed_over_packs'][n]:.1f}" for n in names] for x in summed]
                )
                out.append("")
    for r in result.get("refused", []):
        out += [
            f"**Refused:** the {r['step']} file of {r['rows']:,} rows ({r['label']}) was refused whole by the "
            f"reader (file-level finding: {r['file_faults']}), so it could not be measured; see the notes.",
            "",
        ]
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
        "is the process's own high-water mark of resident memory (`VmHWM`), including the imports' share "
        "shown beside it; for the whole pack, the largest `ru_maxrss` of the run's processes.",
        "- The bare baseline reads the same CSV with `pandas.read_csv` defaults and computes the same funnel "
        "counts with masks and a `groupby`; its counts are checked equal to the toolkit's.",
        "- Analyses and impact (`benchmarks/bench_analyses.py`) start from the same tables validated once and "
        "stored as Parquet (as a run's validation cache holds them), so their times are the analyses' own. "
        "`analyses` runs `process_results` (without targets: the year-end projection is timed apart, up to "
        f"{PROJECTION_MAX_ROWS:,} participants), `equity_results` and `presented_tables` (disclosure control of every table a "
        "decision paper can place) with every area in the data as the run's areas. `impact` builds the "
        "analysis frame, fits the propensity model, runs IPW and doubly robust weighting (together: "
        "`weighting`), the balance table after weighting, and matching 4:1 with replacement and 1:1 without; "
        "its size is participants x comparison pool rows, and its growth is fitted against their sum.",
        "- The pack steps (`benchmarks/bench_pack.py`) run `python -m evaluation report` on copies of every "
        "shipped parameters file, with the default synthetic inputs, into `benchmarks/data/pack/reports`: "
        "`pack_cold` after removing that folder, `pack_warm` unchanged, `pack_edit` after changing one "
        "sentence of one paper's narrative (that parameters file only). Their peak memory is the largest "
        "process of the run (the run or a worker). `render` renders the Rotherham 2026/27 decision paper "
        "again from the built pack's results: context (with disclosure control), HTML, PDF.",
        "- Every step runs with `OPENBLAS_NUM_THREADS=1` (see `BLAS_THREADS` in `bench.py`) except "
        "`pack_cold_blas_default`, which runs the pack with no thread count set, as a user would: the report "
        "command then asks for one BLAS thread itself (`evaluation/pipeline/threads.py`), so the two agree.",
        "- Growth: the slope of log median time against log rows, over every size (and over the two largest).",
        "",
    ]
    if notes:
        out += [notes, ""]
    path.write_text("\n".join(out), encoding="utf-8")
