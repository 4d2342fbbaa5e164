"""Speed and memory from a council to the whole national programme: ``make bench``.

In: the sizes to measure (participants 10 thousand to 1 million; comparison pools 100 thousand to
10 million) and the number of repeats. Out: ``benchmarks/results.json`` (every run, the medians,
the growth fits and the targets) and ``benchmarks/results.md`` (the same as a report).

Measured, each in a fresh process so that its peak memory (``bench_steps.peak_mb``) is its own:
ingest of participants and pools with their bare-pandas baselines (``bench_steps``); process
metrics, equity, disclosure, the participant-level impact estimators and the area-level
baselines (``bench_analyses``); the whole default pack cold, warm and after a narrative edit,
and one document rendered (``bench_pack``, ``bench_analyses render``). The toolkit's ingest
and the bare baseline of the same size alternate, so that a busy machine slows both alike.
Inputs are made by ``benchmarks.bench_data`` under ``benchmarks/data/`` (git-ignored) the first
time they are needed. Cost growth is the slope of a least-squares line through (log rows,
log median seconds).

``--pythonpath DIR --label before`` measures another copy of the ``evaluation`` package (such as
an older commit checked out in DIR) under another label; ``--append`` keeps the runs already in
the results file, so that before and after appear side by side.

Run from the repository root: ``python -m benchmarks.bench`` (``--quick`` for a smoke test,
written to ``results_quick.json`` and ``.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import bench_analyses, bench_data, bench_pack
from benchmarks.bench_report import summarise, write_markdown

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
REPORT = HERE / "results.md"
PARTICIPANT_SIZES = (10_000, 100_000, 1_000_000)
POOL_SIZES = (100_000, 1_000_000, 10_000_000)
STEP_TIMEOUT = 3600
# OpenBLAS starts a thread per core in every process. On two cores shared with other work (and
# with the pack's two workers at once) those threads wait on each other: a cross-product of a
# million rows took 5 to 9 s with two threads against 0.3 to 0.5 s with one, on the same loaded
# machine. Every step runs with one BLAS thread; ``pack_cold_blas_default`` measures the pack
# once more with no thread count in the environment, as a user runs it (the report command then
# sets one thread itself: ``evaluation/pipeline/threads.py``).
BLAS_THREADS = 1


def _machine() -> dict:
    import numpy
    import pandas
    import pandera
    import pyarrow

    info = {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "pyarrow": pyarrow.__version__,
        "pandera": pandera.__version__,
        "platform": sys.platform,
    }
    for key, path, field in (("ram", "/proc/meminfo", "MemTotal"), ("cpu", "/proc/cpuinfo", "model name")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(field):
                    info[key] = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
    if str(info.get("ram", "")).endswith(" kB"):
        info["ram"] = f"{int(info['ram'].split()[0]) / 2**20:.1f} GiB"
    return info


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _run(
    step: str, path: Path | None, *, pythonpath: str | None, wards: Path | None, module: str = "bench_steps",
    extra: tuple[str, ...] = (), blas_threads: int | None = BLAS_THREADS,
) -> dict:  # fmt: skip
    env = dict(os.environ)
    if blas_threads is None:
        env.pop("OPENBLAS_NUM_THREADS", None)
    else:
        env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    cwd = ROOT
    if pythonpath:  # run from that folder, so that its evaluation package comes first on sys.path
        env["PYTHONPATH"] = pythonpath + os.pathsep + str(ROOT)
        cwd = Path(pythonpath)
    command = [sys.executable, "-m", f"benchmarks.{module}", step, *([str(path)] if path else []), *extra]
    if wards is not None:
        command.append(str(wards))
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} on {path.name if path else '-'} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_seconds"] = round(time.perf_counter() - started, 3)
    return out


def plan_for(
    participant_sizes: list[int], pool_sizes: list[int], *, baseline: bool, analyses: bool, pack: bool
) -> list[dict]:
    """Every measurement of one repeat, in order: (step, module, rows, inputs)."""
    plan: list[dict] = []
    for rows in participant_sizes:
        plan.append({"step": "participants", "table": "participants", "rows": rows})
        if baseline:
            plan.append({"step": "baseline", "table": "participants", "rows": rows})
    for rows in pool_sizes:
        plan.append({"step": "pool", "table": "comparison_pool", "rows": rows})
        if baseline:
            plan.append({"step": "pool_baseline", "table": "comparison_pool", "rows": rows})
    if analyses:
        for rows in participant_sizes:
            plan.append(
                {
                    "step": "analyses",
                    "module": "bench_analyses",
                    "rows": rows,
                    "validated": [("participants", rows)],
                }
            )
        for rows in participant_sizes:
            if rows <= bench_analyses.PROJECTION_MAX_ROWS:  # once: its cost is set by distinct journeys
                plan.append({"step": "projection", "module": "bench_analyses", "rows": rows, "once": True,
                             "validated": [("participants", rows)]})  # fmt: skip
        for rows, pool in zip(participant_sizes, pool_sizes, strict=False):
            plan.append(
                {"step": "impact", "module": "bench_analyses", "rows": rows, "pool": pool,
                 "validated": [("participants", rows), ("comparison_pool", pool)]}
            )  # fmt: skip
        plan.append({"step": "area_baseline", "module": "bench_analyses", "rows": 0})
    if pack:
        for step in ("cold", "warm", "edit"):
            plan.append({"step": f"pack_{step}", "module": "bench_pack", "arg": step, "rows": 0})
        plan.append(
            {
                "step": "pack_cold_blas_default",
                "module": "bench_pack",
                "arg": "cold",
                "rows": 0,
                "blas": None,
                "once": True,
            }
        )
        plan.append({"step": "render", "module": "bench_analyses", "rows": 0, "arg_path": bench_pack.REPORTS})
    return plan


def _one(item: dict, *, pythonpath: str | None, wards: Path) -> dict:
    module = item.get("module", "bench_steps")
    if module == "bench_steps":
        path = bench_data.ensure(item["table"], item["rows"])
        return _run(
            item["step"], path, pythonpath=pythonpath, wards=wards if item["step"] == "participants" else None
        )
    if "validated" in item:
        paths = [str(bench_data.ensure_validated(t, r)) for t, r in item["validated"]]
        return _run(item["step"], None, pythonpath=pythonpath, wards=None, module=module, extra=tuple(paths))
    if "arg" in item:
        blas = item.get("blas", BLAS_THREADS)
        return _run(item["arg"], None, pythonpath=pythonpath, wards=None, module=module, blas_threads=blas)
    extra = (str(item["arg_path"]),) if "arg_path" in item else ()
    return _run(item["step"], None, pythonpath=pythonpath, wards=None, module=module, extra=extra)


def measure(
    participant_sizes: list[int],
    pool_sizes: list[int],
    *,
    repeats: int,
    label: str,
    pythonpath: str | None,
    baseline: bool,
    analyses: bool = True,
    pack: bool = True,
) -> list[dict]:
    runs: list[dict] = []
    wards = bench_data.ensure_wards()
    plan = plan_for(participant_sizes, pool_sizes, baseline=baseline, analyses=analyses, pack=pack)
    for item in plan:  # every input is written before any measurement
        if "table" in item:
            bench_data.ensure(item["table"], item["rows"])
        for table, rows in item.get("validated", []):
            _prepare_validated(table, rows)
    if analyses:
        bench_data.ensure_inputs()
    for repeat in range(repeats):
        for item in plan:
            if item.get("once") and repeat > 0:
                continue
            load = _load()
            out = _one(item, pythonpath=pythonpath, wards=wards)
            out.update(label=label, step=item["step"], rows=item["rows"], repeat=repeat, load_before=load)
            if "pool" in item:
                out["pool"] = item["pool"]
            runs.append(out)
            size = f"{item['rows']:>10,} rows" + (f" x {item['pool']:,} pool" if "pool" in item else "")
            print(
                f"{label:>6} {item['step']:<13} {size}  run {repeat + 1}/{repeats}: "
                f"{out['times']['total']:8.2f} s  peak {out['peak_rss_mb']:8.0f} MB  (load {load})",
                flush=True,
            )
    return runs


def _prepare_validated(table: str, rows: int) -> None:
    """Validate a benchmark table once, in its own process (a 10-million-row pool needs 6 GB)."""
    if not bench_data.validated_path(table, rows).exists():
        subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_data", "--table", table, "--rows", str(rows), "--validated"],
            cwd=ROOT, check=True, capture_output=True, timeout=STEP_TIMEOUT,
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="*", default=list(PARTICIPANT_SIZES))
    parser.add_argument("--pool", type=int, nargs="*", default=list(POOL_SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="after", help="name of the code measured (default: after)")
    parser.add_argument("--pythonpath", help="measure the evaluation package found in this folder instead")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare-pandas baselines")
    parser.add_argument("--no-analyses", action="store_true", help="skip the analyses and impact steps")
    parser.add_argument("--no-pack", action="store_true", help="skip the whole-pack and rendering steps")
    parser.add_argument("--append", action="store_true", help="keep the runs already in the results file")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10,000 and 100,000 rows, one run")
    parser.add_argument("--out", type=Path, help="results file (default: benchmarks/results.json)")
    parser.add_argument("--report", type=Path, help="report (default: benchmarks/results.md)")
    args = parser.parse_args()
    if args.quick:  # written beside the full results, not over them
        args.participants, args.pool, args.repeats = [10_000, 100_000], [100_000, 1_000_000], 1
    suffix = "_quick" if args.quick else ""
    args.out = args.out or RESULTS.with_name(f"results{suffix}.json")
    args.report = args.report or REPORT.with_name(f"results{suffix}.md")
    previous: list[dict] = []
    invocations: list[dict] = []
    if args.append and args.out.exists():
        stored = json.loads(args.out.read_text(encoding="utf-8"))
        previous, invocations = stored["runs"], stored.get("invocations", [])
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_start = _load()
    runs = measure(
        args.participants,
        args.pool,
        repeats=args.repeats,
        label=args.label,
        pythonpath=args.pythonpath,
        baseline=not args.no_baseline,
        analyses=not args.no_analyses,
        pack=not args.no_pack,
    )
    machine = _machine() | {"started": started, "load_at_start": load_start, "load_at_end": _load()}
    invocations.append(
        {
            "label": args.label,
            "started": started,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "load_at_start": load_start,
            "load_at_end": machine["load_at_end"],
            "participants": args.participants,
            "pool": args.pool,
            "repeats": args.repeats,
            "pythonpath": args.pythonpath,
        }
    )
    mine = {(r["label"], r["step"], r["rows"]) for r in runs}
    kept = [r for r in previous if (r["label"], r["step"], r["rows"]) not in mine]
    # --append keeps the earlier runs of other labels and sizes; a new full run replaces them.
    all_runs = kept + runs
    result = {"machine": machine, "invocations": invocations, "runs": all_runs} | summarise(all_runs)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_markdown(result, args.report)
    medians = statistics.median(r["times"]["total"] for r in runs) if runs else 0
    print(f"wrote {args.out} and {args.report} ({len(runs)} runs, median {medians:.2f} s)")


if __name__ == "__main__":
    main()
