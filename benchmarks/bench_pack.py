"""The whole default pack, as a user runs it: cold, unchanged, and after a narrative edit.

In: a step (``cold``, ``warm`` or ``edit``). Out: one line of JSON on stdout with the wall time of
``python -m evaluation report``, the peak resident memory of its processes (the largest of the
run and its worker processes), and what the run said it did with each pack.

The run uses every shipped parameters file (copied to ``benchmarks/data/pack/params`` with their
inputs pointed at the default synthetic inputs in ``benchmarks/data``) and writes to
``benchmarks/data/pack/reports``, so the repository's own ``reports/`` is never touched:
- ``cold``: the reports folder removed first, so nothing is reused (no validation, notebook or
  document cache);
- ``warm``: the same command again, nothing changed;
- ``edit``: one sentence of the Rotherham 2026/27 decision paper's narrative changed in its
  parameters file (alternately changed and changed back, so every repeat is an edit), then
  that one parameters file run, as ``make report AREA=...`` would after such an edit.

Run by ``benchmarks.bench``; by hand: ``python -m benchmarks.bench_pack cold``.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import bench_data

ROOT = Path(__file__).parent.parent
FOLDER = bench_data.DATA / "pack"
PARAMS = FOLDER / "params"
REPORTS = FOLDER / "reports"
EDITED = "rotherham_2026-27.yaml"
SENTENCE = ("This report outlines a strategic initiative", "This report sets out a strategic initiative")
SAYS = {
    "pack written": "built",
    "documents re-rendered": "documents",
    "unchanged, nothing re-run": "unchanged",
}


def prepare() -> None:
    """The shipped parameters files, their inputs made absolute (written when they differ)."""
    inputs = bench_data.ensure_inputs().resolve()
    PARAMS.mkdir(parents=True, exist_ok=True)
    for source in sorted((ROOT / "params").glob("*.yaml")):
        text = source.read_text(encoding="utf-8").replace("path: ../inputs/", f"path: {inputs}/")
        target = PARAMS / source.name
        if source.name == EDITED and target.exists():
            old = target.read_text(encoding="utf-8")
            if old.replace(SENTENCE[1], SENTENCE[0]) == text:
                continue  # keep the current side of the edit
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


def _edit() -> None:
    path = PARAMS / EDITED
    text = path.read_text(encoding="utf-8")
    a, b = SENTENCE if SENTENCE[0] in text else SENTENCE[::-1]
    if a not in text:
        raise SystemExit(f"the sentence to edit is not in {path}; update benchmarks/bench_pack.py")
    path.write_text(text.replace(a, b, 1), encoding="utf-8")


def _report(files: list[Path]) -> tuple[float, str]:
    command = [
        sys.executable,
        "-m",
        "evaluation",
        "report",
        "--params-dir",
        str(PARAMS),
        "--reports",
        str(REPORTS),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, *map(str, files)], cwd=ROOT, capture_output=True, text=True, timeout=3600, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the report run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def _steps(stdout: str) -> dict[str, float]:
    """Seconds of each step summed over packs, from the run's progress lines."""
    out: dict[str, float] = {}
    for line in stdout.splitlines():
        if ": " in line and " done in " in line and line.rstrip().endswith(" s"):
            step = line.split(": ", 1)[1].split(" done in ")[0].split(":")[0]
            out[step] = round(out.get(step, 0.0) + float(line.rsplit(" done in ", 1)[1][:-2]), 2)
    return out


def main() -> None:
    step = sys.argv[1]
    prepare()
    files: list[Path] = []
    if step == "cold":
        shutil.rmtree(REPORTS, ignore_errors=True)
    elif step == "edit":
        _edit()
        files = [PARAMS / EDITED]
    elif step != "warm":
        raise SystemExit(f"unknown step {step!r}")
    seconds, stdout = _report(files)
    outcomes = {v: sum(line.count(k) for line in stdout.splitlines()) for k, v in SAYS.items()}
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {
        "times": {"total": seconds},
        "step_seconds_summed_over_packs": _steps(stdout),
        "counts": {"packs": len(files) or len(list(PARAMS.glob("*.yaml"))), **outcomes},
        "peak_rss_mb": round(peak, 1),
        "import_rss_mb": 0.0,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
