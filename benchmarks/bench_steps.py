"""One measurement, run in a fresh process so that its peak memory is its own.

In: a step name and a benchmark CSV. Out: one line of JSON on stdout with the wall time of each
phase, the counts the step found (so that the toolkit and the bare baseline can be checked
against each other) and the process's peak resident memory, after imports and at the end.

Steps:
- ``participants``: the toolkit's ingest of the participants table (``read_raw``,
  ``parse_table``, ``validate_parsed``: together what ``read_and_validate`` does), then the
  process funnel (``funnel`` and ``funnel_table(by="provider")``);
- ``baseline``: the same funnel in a few lines of plain pandas on the same CSV: ``read_csv`` with
  its defaults, then counts by masks and a ``groupby``, with no validation;
- ``pool``: the toolkit's ingest of a comparison pool;
- ``pool_baseline``: ``read_csv`` of the same pool with its defaults.

Run by ``benchmarks.bench``; by hand: ``python -m benchmarks.bench_steps participants FILE``.
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import sys
import time
from pathlib import Path

PERIOD_START = dt.date(2025, 4, 1)
DATA_CUTOFF = dt.date(2026, 2, 15)


def peak_mb() -> float:
    """Peak resident memory of this process, MB: the kernel's high-water mark of its own memory
    (``VmHWM``). Not ``ru_maxrss``, which starts from the memory of the process that started
    this one (a fork copies it and exec keeps it): under ``make bench``, whose main process may
    hold a gigabyte of generated data, every small step would report that gigabyte."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # elsewhere; Linux reports KiB


def _ingest(path: Path, table: str, wards: Path | None) -> tuple[dict[str, float], object]:
    from evaluation.data.parse import parse_table
    from evaluation.data.readers import read_raw
    from evaluation.data.schemas import TABLES
    from evaluation.data.validate import RuleContext, read_and_validate, validate_parsed

    if wards is not None:
        lookup = read_and_validate(wards, "ward_lookup").frame
        ctx = RuleContext(PERIOD_START, DATA_CUTOFF, lookup)
    else:
        ctx = RuleContext(data_cutoff=DATA_CUTOFF)
    schema = TABLES[table]
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    raw = read_raw(path)
    t1 = time.perf_counter()
    parsed = parse_table(raw, schema)
    t2 = time.perf_counter()
    if parsed.file_faults:  # refused whole, as a run would refuse it: nothing more to measure
        times.update(read=t1 - t0, parse=t2 - t1, rules=0.0, validate=t2 - t0)
        return times, parsed
    validated = validate_parsed(parsed, schema, ctx)
    t3 = time.perf_counter()
    times.update(read=t1 - t0, parse=t2 - t1, rules=t3 - t2, validate=t3 - t0)
    return times, validated


def participants(path: Path, wards: Path) -> dict:
    from evaluation.metrics.process import funnel, funnel_table

    times, validated = _ingest(path, "participants", wards)
    frame = validated.frame  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    headline = funnel(frame, data_cutoff=DATA_CUTOFF)
    by_provider = funnel_table(frame, by="provider")
    times["funnel"] = time.perf_counter() - t0
    times["total"] = times["validate"] + times["funnel"]
    counts = {
        "rows_in": validated.rows_in,  # type: ignore[attr-defined]
        "quarantined": validated.quarantined,  # type: ignore[attr-defined]
        "referrals": headline.referrals,
        "starts": headline.starts.k,
        "job_outcomes": headline.job_outcomes.k,
        "sustained_13w": headline.sustained_13w.k,
        "sustained_26w": headline.sustained_26w.k,
        "providers": int(by_provider["group"].nunique()),
    }
    return {"times": times, "counts": counts}


def baseline(path: Path) -> dict:
    """The funnel with plain pandas: what an analyst would write without the toolkit."""
    import pandas as pd

    t0 = time.perf_counter()
    f = pd.read_csv(path)
    t1 = time.perf_counter()
    job = f["job_evidenced"].eq("Yes")
    flags = pd.DataFrame(
        {
            "provider": f["provider"],
            "referrals": True,
            "starts": f["start_date"].notna(),
            "job_outcomes": job,
            "sustained_13w": job & f["sustained_13w"].eq("Yes"),
            "sustained_26w": job & f["sustained_26w"].eq("Yes"),
        }
    )
    overall = flags.drop(columns="provider").sum()
    by_provider = flags.groupby("provider").sum()
    t2 = time.perf_counter()
    counts = {k: int(overall[k]) for k in overall.index}
    counts["providers"] = len(by_provider)
    return {"times": {"read": t1 - t0, "funnel": t2 - t1, "total": t2 - t0}, "counts": counts}


def pool(path: Path) -> dict:
    times, validated = _ingest(path, "comparison_pool", None)
    times["total"] = times["validate"]
    if getattr(validated, "file_faults", None):
        rules = sorted({f.rule for f in validated.file_faults})  # type: ignore[attr-defined]
        return {"times": times, "counts": {"rows_in": None, "refused": True, "file_faults": rules}}
    counts = {
        "rows_in": validated.rows_in,  # type: ignore[attr-defined]
        "quarantined": validated.quarantined,  # type: ignore[attr-defined]
        # A file-level fault (such as more lines than an Excel sheet holds) refuses the file whole
        # in a real run (``read_and_validate``); here every phase still runs, so it is measured.
        "file_faults": sorted({f.rule for f in validated.findings if getattr(f, "severity", None) == "file"}),  # type: ignore[attr-defined]
    }
    return {"times": times, "counts": counts}


def pool_baseline(path: Path) -> dict:
    import pandas as pd

    t0 = time.perf_counter()
    f = pd.read_csv(path)
    return {
        "times": {"read": time.perf_counter() - t0, "total": time.perf_counter() - t0},
        "counts": {"rows_in": len(f)},
    }


def main() -> None:
    step, path = sys.argv[1], Path(sys.argv[2])
    wards = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    # Import what the step needs before measuring, so the import floor is reported apart.
    import pandas  # noqa: F401

    if step in ("participants", "pool"):
        import evaluation.data.validate
        import evaluation.metrics.process
    floor = peak_mb()
    if step == "participants":
        assert wards is not None, "the participants step needs the ward lookup"
        out = participants(path, wards)
    elif step == "baseline":
        out = baseline(path)
    elif step == "pool":
        out = pool(path)
    elif step == "pool_baseline":
        out = pool_baseline(path)
    else:
        raise SystemExit(f"unknown step {step!r}")
    import evaluation

    out.update(peak_rss_mb=round(peak_mb(), 1), import_rss_mb=round(floor, 1), code=evaluation.__file__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
