"""Benchmark inputs at any size, made by tiling the default synthetic data with fresh identifiers.

In: a table (participants or comparison pool) and a number of rows. Out: a CSV under
``benchmarks/data/`` (git-ignored) written as a council export would hold it (UK dates, Yes/No),
plus the ward lookup the participants' rules need. The rows are the default synthetic rows of
``evaluation.data.synthetic.generate()`` repeated, shuffled and lightly perturbed (each age moved
by up to two years within 16 to 70, so that tiles are not byte-for-byte copies), each with a new
pseudonymous identifier, so every row passes validation and the funnel's shape is the default
data's at every size. Files are reused while their name (table, rows, seed, generator version)
matches.

Run from the repository root: ``python -m benchmarks.bench_data --rows 100000``.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.data import synthetic

DATA = Path(__file__).parent / "data"
VERSION = 1  # bump when the generator changes, so old files are not reused
SEED = 9
CHUNK = 1_000_000  # rows written at a time, so a 10-million-row file needs little memory
ID_PREFIX = {"participants": "B", "comparison_pool": "D"}
ID_COLUMN = {"participants": "participant_id", "comparison_pool": "person_id"}


@functools.cache
def _base() -> dict[str, pd.DataFrame]:
    """The default synthetic tables as exported text (generated once per process)."""
    frames = synthetic.export_frames(synthetic.generate())
    return {name: f.astype(object).where(f.notna(), "").astype(str) for name, f in frames.items()}


def tiled(table: str, rows: int, *, seed: int = SEED, first: int = 0) -> pd.DataFrame:
    """``rows`` rows of ``table``: the default rows tiled, shuffled, ages perturbed, and fresh ids
    numbered ``first + 1`` to ``first + rows`` in shuffled order."""
    base = _base()[table]
    rng = np.random.default_rng([seed, first, rows, len(table)])
    picks = np.tile(np.arange(len(base)), -(-rows // len(base)))[:rows]
    out = base.iloc[rng.permutation(picks)].reset_index(drop=True)
    age = out["age"].astype(int).to_numpy() + rng.integers(-2, 3, rows)
    out["age"] = np.clip(age, 16, 70).astype(str)
    numbers = first + rng.permutation(rows) + 1
    out[ID_COLUMN[table]] = [f"{ID_PREFIX[table]}{n:09d}" for n in numbers]
    return out


def path_for(table: str, rows: int, *, seed: int = SEED) -> Path:
    return DATA / f"{table}_{rows}_s{seed}_v{VERSION}.csv"


def ensure(table: str, rows: int, *, seed: int = SEED) -> Path:
    """The benchmark CSV of ``table`` with ``rows`` rows, written if it is not there yet."""
    path = path_for(table, rows, seed=seed)
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8", newline="") as fh:
            for first in range(0, rows, CHUNK):
                chunk = tiled(table, min(CHUNK, rows - first), seed=seed, first=first)
                chunk.to_csv(fh, index=False, header=first == 0, lineterminator="\n")
        partial.replace(path)
    return path


def ensure_inputs() -> Path:
    """The default synthetic inputs (``python -m evaluation synth``) in their own folder."""
    folder = DATA / f"inputs_v{VERSION}"
    if not (folder / "truth.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        synthetic.write(synthetic.generate(), folder)
    return folder


def validated_path(table: str, rows: int, *, seed: int = SEED) -> Path:
    return path_for(table, rows, seed=seed).with_suffix(".validated.parquet")


def ensure_validated(table: str, rows: int, *, seed: int = SEED) -> Path:
    """The benchmark table read and validated by the toolkit, stored as Parquet (as a run's
    validation cache stores it), so that the analyses' measurements start from validated data."""
    import datetime as dt

    from evaluation.data.validate import RuleContext, read_and_validate

    path = validated_path(table, rows, seed=seed)
    if not path.exists():
        source = ensure(table, rows, seed=seed)
        cutoff = dt.date(2026, 2, 15)
        if table == "participants":
            wards = read_and_validate(ensure_wards(), "ward_lookup").frame
            ctx = RuleContext(dt.date(2025, 4, 1), cutoff, wards)
        else:
            ctx = RuleContext(data_cutoff=cutoff)
        if rows <= CHUNK:
            frame = _accepted(read_and_validate(source, table, ctx=ctx))
        else:
            # In files of a million rows each (the same rows as the big file, which is written from
            # these chunks): the reader refuses a CSV with as many lines as an Excel sheet holds.
            parts = []
            part_path = path.with_suffix(".chunk.csv")
            for first in range(0, rows, CHUNK):
                chunk = tiled(table, min(CHUNK, rows - first), seed=seed, first=first)
                chunk.to_csv(part_path, index=False, lineterminator="\n")
                parts.append(_accepted(read_and_validate(part_path, table, ctx=ctx)))
            part_path.unlink()
            frame = pd.concat(parts, ignore_index=True)
            del parts
        partial = path.with_suffix(".partial")
        frame.to_parquet(partial)
        partial.replace(path)
    return path


def _accepted(validated) -> pd.DataFrame:
    faults = [f for f in validated.findings if getattr(f, "severity", None) == "file"]
    if faults or validated.quarantined:
        raise RuntimeError(f"benchmark rows were not all accepted: {faults[:1] or validated.quarantined}")
    return validated.frame


def ensure_wards() -> Path:
    path = DATA / f"ward_lookup_v{VERSION}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        _base()["ward_lookup"].to_csv(path, index=False, lineterminator="\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", choices=sorted(ID_COLUMN), default="participants")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--validated", action="store_true", help="also store it validated, as Parquet")
    args = parser.parse_args()
    ensure_wards()
    print(ensure_validated(args.table, args.rows) if args.validated else ensure(args.table, args.rows))


if __name__ == "__main__":
    main()
