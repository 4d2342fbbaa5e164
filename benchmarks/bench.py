"""Speed and memory of ingest and the process funnel at 10 thousand to 1 million participants.

In: the sizes to measure (participants and comparison-pool rows) and the number of repeats.
Out: ``benchmarks/results.json`` (every run, the medians, the growth fits and the targets) and
``benchmarks/results.md`` (the same as a report).

Each measurement runs in a fresh process (``benchmarks.bench_steps``) so that its peak memory
(``ru_maxrss``) is its own; the toolkit's run and the bare-pandas baseline of the same size
alternate, so that a busy machine slows both alike. Inputs are made by
``benchmarks.bench_data`` under ``benchmarks/data/`` (git-ignored) the first time they are
needed. Cost growth is the slope of a least-squares line through (log rows, log median seconds).

``--pythonpath DIR --label before`` measures another copy of the ``evaluation`` package (such as
an older commit checked out in DIR) under another label; ``--append`` keeps the runs already in
the results file, so that before and after appear side by side.

Run from the repository root: ``python -m benchmarks.bench`` (``--quick`` for a smoke test).
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

from benchmarks import bench_data
from benchmarks.bench_report import summarise, write_markdown

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results.json"
REPORT = HERE / "results.md"
PARTICIPANT_SIZES = (10_000, 100_000, 1_000_000)
POOL_SIZES = (100_000, 1_000_000, 10_000_000)
STEP_TIMEOUT = 3600


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


def _run(step: str, path: Path, *, pythonpath: str | None, wards: Path | None) -> dict:
    env = dict(os.environ)
    cwd = ROOT
    if pythonpath:  # run from that folder, so that its evaluation package comes first on sys.path
        env["PYTHONPATH"] = pythonpath + os.pathsep + str(ROOT)
        cwd = Path(pythonpath)
    command = [sys.executable, "-m", "benchmarks.bench_steps", step, str(path)]
    if wards is not None:
        command.append(str(wards))
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} on {path.name} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_seconds"] = round(time.perf_counter() - started, 3)
    return out


def measure(
    participant_sizes: list[int],
    pool_sizes: list[int],
    *,
    repeats: int,
    label: str,
    pythonpath: str | None,
    baseline: bool,
) -> list[dict]:
    runs: list[dict] = []
    wards = bench_data.ensure_wards()
    plan: list[tuple[str, str, int]] = []
    for rows in participant_sizes:
        plan += [("participants", "participants", rows)] + (
            [("baseline", "participants", rows)] if baseline else []
        )
    for rows in pool_sizes:
        plan += [("pool", "comparison_pool", rows)] + (
            [("pool_baseline", "comparison_pool", rows)] if baseline else []
        )
    for _step, table, rows in plan:
        bench_data.ensure(table, rows)  # every input is written before any measurement
    for repeat in range(repeats):
        for step, table, rows in plan:
            path = bench_data.ensure(table, rows)
            load = _load()
            out = _run(step, path, pythonpath=pythonpath, wards=wards if step == "participants" else None)
            out.update(label=label, step=step, rows=rows, repeat=repeat, load_before=load)
            runs.append(out)
            print(
                f"{label:>6} {step:<13} {rows:>10,} rows  run {repeat + 1}/{repeats}: "
                f"{out['times']['total']:8.2f} s  peak {out['peak_rss_mb']:8.0f} MB  (load {load})",
                flush=True,
            )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="*", default=list(PARTICIPANT_SIZES))
    parser.add_argument("--pool", type=int, nargs="*", default=list(POOL_SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--label", default="after", help="name of the code measured (default: after)")
    parser.add_argument("--pythonpath", help="measure the evaluation package found in this folder instead")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare-pandas baselines")
    parser.add_argument("--append", action="store_true", help="keep the runs already in the results file")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10,000 and 100,000 rows, one run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    if args.quick:
        args.participants, args.pool, args.repeats = [10_000, 100_000], [100_000], 1
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
    all_runs = kept + runs
    result = {"machine": machine, "invocations": invocations, "runs": all_runs} | summarise(all_runs)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_markdown(result, args.report)
    medians = statistics.median(r["times"]["total"] for r in runs) if runs else 0
    print(f"wrote {args.out} and {args.report} ({len(runs)} runs, median {medians:.2f} s)")


if __name__ == "__main__":
    main()
