"""Disclosure control across the tables of a pack: no withheld cell recoverable from another table.

``disclosure.protect`` makes one table safe on its own. A pack publishes many tables that share
cells and margins: a provider's starts are the base of its job-outcome rate; a district's count is
the sum of its wards'; Female is the margin of the Female rows of sex by ethnic group. A cell
withheld in one table but printed in another, or pinned down by subtracting published cells from
a total printed elsewhere, is not protected. So every count cell is given a key (the people it
counts: a measure and a population such as ``provider=X, sex=Female``), and the pack is solved
as one system of linear relations:

- identity: one key, one value; withheld in one table, withheld in all;
- additivity: cells over the groups of one characteristic that add up exactly to the total
  printed elsewhere (checked on the values, so only relations that really hold are used);
- a withheld cell is recoverable when it is determined by the published cells, which is when the
  null space of the relations restricted to withheld cells is zero at that cell; the cheapest
  cover is then withheld too (the smallest published cell near it that frees it, else the pair
  with the smallest sum), until none is recoverable. Cells of people who did not say are exempt,
  as in ``disclosure.protect``: how many did not say reveals nobody's characteristic.

The result, the keys to withhold, is applied by marking those cells ``[c]`` before each table
goes through ``published.protect_table``, so the one door stays one door. Written here because no
maintained Python library does secondary suppression across linked tables (sdcTable and tau-Argus
do, in R and Java).
"""

from __future__ import annotations

import itertools
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.disclosure import CONFIDENTIAL
from evaluation.params import Disclosure
from evaluation.published import NOT_KNOWN, protect_table
from evaluation.results import Results

# The measure counted by the base (n) of each funnel stage's rate.
BASE = {"starts": "referrals", "job_outcomes": "starts"}
# Durations tables: measure -> (what n counts, what events count, what censored counts).
DURATIONS = {
    "referral_to_start": ("referrals", "starts", "referrals not started"),
    "start_to_job": ("starts", "job_outcomes", "starts without a job outcome"),
}
WHOLE = ("All", "Total")  # group labels meaning everyone in the table
# One characteristic under two names: the process results say "ward", the equity results "ward_name".
ALIASES = {"ward_name": "ward"}
LINKED_SECTIONS = ("process", "equity")  # the results sections whose tables hold counts of people


Key = tuple[str, tuple[tuple[str, str], ...], str]  # measure, population (sorted), table if split


@dataclass(frozen=True)
class Cell:
    """One published count cell: where it is and whom it counts."""

    table: str
    row: int
    column: str
    key: Key
    value: float | None


def key_of(measure: str, population: Mapping[str, str], table: str = "") -> Key:
    """The people a cell counts: the same measure and population give the same key."""
    return (measure, tuple(sorted(population.items())), table)


def _parse(key: Key) -> tuple[str, dict[str, str]]:
    return key[0], dict(key[1])


def describe(key: Key) -> str:
    """A key in words for the log: ``job_outcomes of provider=X``."""
    who = ", ".join(f"{d}={v}" for d, v in key[1]) or "everyone"
    return f"{key[0]} of {who}" + (f" (table {key[2]})" if key[2] else "")


def _population(grouping: object, group: object) -> dict[str, str]:
    grouping, group = str(grouping), str(group)
    if group in WHOLE:
        return {}
    dims, values = grouping.split(" / "), group.split(" / ")
    if len(dims) != len(values):
        dims, values = [grouping], [group]
    return {ALIASES.get(d, d): v for d, v in zip(dims, values, strict=True)}


def _numbers(column: pd.Series) -> list[float | None]:
    # Counts may come back from Parquet as text; a GSS marker ([c], [x]) is no number.
    v = pd.to_numeric(
        column.map(lambda x: np.nan if isinstance(x, str) and x.startswith("[") else x), errors="coerce"
    )
    return [None if pd.isna(x) else float(x) for x in v.tolist()]


def table_cells(name: str, frame: pd.DataFrame) -> list[Cell]:
    """The count cells of a results table with their keys; tables of other shapes give none."""
    f = frame.reset_index(drop=True)
    cols = set(f.columns)
    out: list[Cell] = []

    def add(column: str, measures: list[str], populations: list[dict[str, str]]) -> None:
        for row, (value, measure, pop) in enumerate(
            zip(_numbers(f[column]), measures, populations, strict=True)
        ):
            if measure:
                out.append(Cell(name, row, column, key_of(measure, pop), value))

    text = {c: f[c].astype(str).tolist() for c in cols & {"grouping", "group", "stage", "measure", "strand"}}
    if {"stage", "k"} <= cols and "quantile" not in cols:
        if "group" in cols and "grouping" in cols:
            pops = [_population(g, v) for g, v in zip(text["grouping"], text["group"], strict=True)]
        else:
            pops = [{} for _ in range(len(f))]
        add("k", text["stage"], pops)
        if "n" in cols:
            if "eligible_share" in cols:  # representation: n is every group listed, not a stage's base
                add("n", text["stage"], [{g: "any listed"} for g in text["grouping"]])
            else:
                add("n", [BASE.get(s, f"{s} (base)") for s in text["stage"]], pops)
    elif {"measure", "n", "events"} <= cols:
        dim = "provider" if name.endswith("by_provider") else "group"
        pops = [{} if g in WHOLE else {dim: g} for g in text["group"]]
        for position, column in enumerate(("n", "events", "censored")):
            if column in cols:
                add(column, [DURATIONS.get(m, ("", "", ""))[position] for m in text["measure"]], pops)
    elif {"group", "position", "k", "n"} <= cols:  # league of councils
        pops = [{"area": g} for g in text["group"]]
        add("k", ["job_outcomes"] * len(f), pops)
        add("n", ["starts"] * len(f), pops)
    elif {"strand", "starts", "job_outcomes"} <= cols:
        pops = [{"strand": s} for s in text["strand"]]
        for column in ("starts", "job_outcomes"):
            add(column, [column] * len(f), pops)
    elif {"area_name", "quarter", "referrals"} <= cols:  # quarterly flows
        pops = [
            {"area": a, "quarter of the event": q}
            for a, q in zip(f["area_name"].astype(str), f["quarter"].astype(str), strict=True)
        ]
        for column in ("referrals", "starts", "job_outcomes", "sustained_13w", "sustained_26w"):
            if column in cols:
                add(column, [f"{column} in quarter"] * len(f), pops)
    return out


def _consistent(cells: list[Cell]) -> list[Cell]:
    """One value per key: a key seen with two values counts two different things, so split it."""
    values: dict[Key, set[float | None]] = defaultdict(set)
    for c in cells:
        values[c.key].add(c.value)
    return [
        c if len(values[c.key]) == 1 else Cell(c.table, c.row, c.column, (*c.key[:2], c.table), c.value)
        for c in cells
    ]


def relations(values: Mapping[Key, float]) -> list[tuple[Key, tuple[Key, ...]]]:
    """(total, parts) for every margin that holds exactly: the parts differ from the total in one
    dimension, cover its groups, and add up to the total's value."""
    by_parent: dict[tuple[Key, str], list[Key]] = defaultdict(list)
    for key in values:
        measure, pop = _parse(key)
        for d in pop:
            parent = key_of(measure, {k: v for k, v in pop.items() if k != d}, key[2])
            by_parent[(parent, d)].append(key)
    out = []
    for (parent, _), parts in sorted(by_parent.items()):
        if parent in values and len(parts) > 1 and abs(sum(values[p] for p in parts) - values[parent]) < 1e-9:
            out.append((parent, tuple(sorted(parts))))
    for key, value in values.items():  # durations: those counted = those with the event + the rest
        measure, pop = _parse(key)
        for n, events, censored in DURATIONS.values():
            if measure == n:
                parts = (key_of(events, pop, key[2]), key_of(censored, pop, key[2]))
                if (
                    all(p in values for p in parts)
                    and abs(values[parts[0]] + values[parts[1]] - value) < 1e-9
                ):
                    out.append((key, parts))
    return out


Relation = tuple[Key, tuple[Key, ...]]  # total, parts


def _index(rels: list[Relation]) -> dict[Key, list[int]]:
    """For each key, the relations it appears in (made once for a solve)."""
    index: dict[Key, list[int]] = defaultdict(list)
    for i, (total, parts) in enumerate(rels):
        for k in (total, *parts):
            index[k].append(i)
    return index


def _component(
    key: Key, unknown: set[Key], rels: list[Relation], index: Mapping[Key, list[int]]
) -> tuple[list[Key], list[Relation]]:
    """The withheld cells linked to ``key`` through relations (``index``: ``_index(rels)``),
    and those relations."""
    members, found, frontier = {key}, [], [key]
    seen: set[int] = set()
    while frontier:
        k = frontier.pop()
        for i in index.get(k, ()):
            if i in seen:
                continue
            seen.add(i)
            found.append(rels[i])
            for other in (rels[i][0], *rels[i][1]):
                if other in unknown and other not in members:
                    members.add(other)
                    frontier.append(other)
    return sorted(members), found


def _pinned(members: list[Key], found: list[Relation]) -> set[Key]:
    """Members whose value the relations fix: the null space of the relations over them is zero there."""
    if not found:
        return set()
    index = {k: i for i, k in enumerate(members)}
    matrix = np.zeros((len(found), len(members)))
    for r, (total, parts) in enumerate(found):
        for k, sign in ((total, -1.0), *((p, 1.0) for p in parts)):
            if k in index:
                matrix[r, index[k]] += sign
    from scipy.linalg import null_space  # here: documents read the solved cells, never solve

    basis = null_space(matrix)
    free = np.abs(basis).max(axis=1) > 1e-9 if basis.size else np.zeros(len(members), dtype=bool)
    return {k for k, f in zip(members, free, strict=True) if not f}


def recoverable(withheld: Iterable[Key], rels: list[Relation], index: Mapping[Key, list[int]]) -> list[Key]:
    """Withheld keys pinned down by the published cells through the relations (exactly, by
    differencing): those where every solution of the relations restricted to withheld cells is
    zero, i.e. the null space vanishes at that cell. Solved one linked group of cells at a time
    (``index``: each key's relations, ``_index(rels)``)."""
    unknown, out, done = set(withheld), set(), set()
    for key in sorted(unknown):
        if key in done:
            continue
        members, found = _component(key, unknown, rels, index)
        done.update(members)
        out |= _pinned(members, found)
    return sorted(out)


def mark(
    name: str,
    frame: pd.DataFrame,
    withheld: Mapping[Key, str] | set[Key],
    rule: Disclosure,
    cells: list[Cell] | None = None,
) -> pd.DataFrame:
    """The table with every count cell whose key is withheld set to ``[c]``, ready for protect_table.

    A cell below the threshold is left as it is: the table withholds it itself, as primary.
    """
    hit = [
        c
        for c in (cells if cells is not None else table_cells(name, frame))
        if c.key in withheld and not (c.value is not None and _small(c.value, rule))
    ]
    if not hit:
        return frame
    out = frame.reset_index(drop=True).copy()
    for column in {c.column for c in hit}:
        out[column] = out[column].astype(object)
    for c in hit:
        out.at[c.row, c.column] = CONFIDENTIAL
    return out


def _small(value: float, rule: Disclosure) -> bool:
    return 0 < value < rule.threshold or (value == 0 and rule.zeros == "suppress")


def _cheapest_cover(
    key: Key,
    withheld: set[Key],
    rels: list[Relation],
    values: Mapping[Key, float],
    index: Mapping[Key, list[int]],
) -> tuple[Key, ...]:
    """Published cells to withhold so that ``key`` is no longer pinned: the smallest cell that does
    it alone, else the pair with the smallest sum (totals of everyone last); failing both, the
    smallest cell next to it, to make progress."""
    _, found = _component(key, withheld, rels, index)
    near = {k for total, parts in found for k in (total, *parts)}
    candidates = sorted(
        (k for k in near if k not in withheld and k in values), key=lambda k: (not k[1], values[k], k)
    )

    def frees(extra: tuple[Key, ...]) -> bool:
        return key not in _pinned(*_component(key, withheld | set(extra), rels, index))

    for cand in candidates:
        if frees((cand,)):
            return (cand,)
    pairs = sorted(
        itertools.combinations(candidates, 2),
        key=lambda p: (not p[0][1] or not p[1][1], values[p[0]] + values[p[1]], p),
    )
    for pair in pairs:
        if frees(pair):
            return pair
    return tuple(candidates[:1])


def _marked(value: object) -> bool:
    return isinstance(value, str) and value == CONFIDENTIAL


def _not_known(key: Key) -> bool:
    return any(v in NOT_KNOWN for v in _parse(key)[1].values())


def withheld_keys(tables: Mapping[str, pd.DataFrame], rule: Disclosure) -> dict[Key, str]:
    """Every key the pack must withhold, with the reason, solved over all ``tables`` at once.

    Alternates two steps until neither withholds anything new: each table through
    ``protect_table`` with the cells withheld so far marked (its own primary and secondary
    suppression); then, one recoverable cell at a time, the smallest published part of a
    relation it is in (a total only when no part is left).
    """
    cells = _consistent([c for name, frame in tables.items() for c in table_cells(name, frame)])
    values = {c.key: c.value for c in cells if c.value is not None}
    rels = relations(values)
    index = _index(rels)
    by_table: dict[str, list[Cell]] = defaultdict(list)
    for c in cells:
        by_table[c.table].append(c)
    withheld: dict[Key, str] = {}
    while True:
        before = len(withheld)
        for name, frame in tables.items():
            own = by_table.get(name, [])
            if not own:
                continue
            protected = protect_table(name, mark(name, frame, withheld, rule, own), rule).frame
            marked = {col: [_marked(v) for v in protected[col].tolist()] for col in {c.column for c in own}}
            for c in own:
                if c.key not in withheld and marked[c.column][c.row]:
                    withheld[c.key] = f"withheld in table {name}"
        while True:
            exposed = [k for k in recoverable(withheld, rels, index) if not _not_known(k)]
            if not exposed:
                break
            key = exposed[0]
            picks = _cheapest_cover(key, set(withheld), rels, values, index)
            if not picks:
                break  # every cell of its relations is withheld already: nothing more to withhold
            for pick in picks:
                withheld[pick] = f"protects {describe(key)} from differencing across tables"
        if len(withheld) == before:
            return withheld


def section_tables(sections: Iterable[Results]) -> dict[str, pd.DataFrame]:
    """The count tables of a run, by ``section.table``: what ``withheld_keys`` solves over."""
    return {
        f"{r.section}.{n}": t for r in sections if r.section in LINKED_SECTIONS for n, t in r.tables.items()
    }


def linked_sections(
    sections: list[Results], withheld: Mapping[Key, str] | set[Key], rule: Disclosure
) -> list[Results]:
    """The sections with every withheld cell marked ``[c]``: what documents publish from."""
    out = []
    for r in sections:
        if r.section not in LINKED_SECTIONS:
            out.append(r)
            continue
        tables = {n: mark(f"{r.section}.{n}", t, withheld, rule) for n, t in r.tables.items()}
        out.append(Results(r.section, tables, r.figures, r.qa, r.charts, r.notes))
    return out


def protect_sections(sections: list[Results], rule: Disclosure) -> list[Results]:
    """Solve the run's count tables together and mark what must be withheld in every one of them."""
    return linked_sections(sections, withheld_keys(section_tables(sections), rule), rule)


def write_withheld(withheld: Mapping[Key, str], path: Path) -> None:
    """The keys to withhold as JSON (internal: they name groups, never values)."""
    rows = [
        {"measure": k[0], "population": [list(p) for p in k[1]], "table": k[2], "reason": r}
        for k, r in withheld.items()
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(rows, key=json.dumps), indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_withheld(path: Path) -> dict[Key, str]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return {(r["measure"], tuple(tuple(p) for p in r["population"]), r["table"]): r["reason"] for r in rows}


def published_sections(sections: list[Results], rule: Disclosure, work: Path) -> list[Results]:
    """The run's sections as documents may publish them: marked with the cells the notebooks
    withheld (kept in the run's folder), or solved afresh where no notebook has solved them."""
    path = work / "disclosure" / "withheld.json"
    withheld = read_withheld(path) if path.exists() else withheld_keys(section_tables(sections), rule)
    return linked_sections(sections, withheld, rule)
