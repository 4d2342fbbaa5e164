"""Disclosure control across the tables of a pack: no withheld cell recoverable from another table.

Expected values are worked by hand (the providers example below) or checked by an independent
computation: whether a withheld cell is fixed by the published ones is decided here by comparing
matrix ranks (the cell's unit vector lies in the row space of the relations restricted to the
withheld cells exactly when adding it leaves the rank unchanged), not by the module's null space.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.disclosure import CONFIDENTIAL
from evaluation.disclosure_linked import key_of, mark, withheld_keys
from evaluation.params import Disclosure
from evaluation.published import protect_table

RULE = Disclosure()  # threshold 10, zeros published, secondary suppression on


def funnel_rows(grouping: str | None, groups: list[str], stage: str, counts: list[int]) -> pd.DataFrame:
    """Rows shaped like the results tables: grouping, group, stage, k."""
    frame = pd.DataFrame({"group": groups, "stage": stage, "k": counts})
    if grouping is not None:
        frame.insert(0, "grouping", grouping)
    return frame


def determined(withheld: list[int], relations: list[np.ndarray]) -> list[int]:
    """Indices (into the cells) of withheld cells that the published cells fix, by matrix rank."""
    if not relations or not withheld:
        return []
    A = np.array(relations)[:, withheld]
    base = np.linalg.matrix_rank(A)
    out = []
    for position, cell in enumerate(withheld):
        unit = np.zeros(len(withheld))
        unit[position] = 1
        if np.linalg.matrix_rank(np.vstack([A, unit])) == base:
            out.append(cell)
    return out


def test_providers_job_count_recoverable_through_durations_is_protected() -> None:
    """Three providers. Per table: provider A's 5 jobs are withheld (below 10) and B's 12 with it (the
    next smallest), in the funnel and in the durations table. But the durations table prints each
    provider's starts (28) and starts without a job outcome (23), so A's jobs are 28 - 23 = 5. The
    pack-level solve must withhold A's and B's starts without a job outcome as well."""
    funnel = pd.DataFrame(
        {
            "grouping": "provider",
            "group": ["A", "A", "B", "B", "C", "C"],
            "stage": ["starts", "job_outcomes"] * 3,
            "k": [28, 5, 40, 12, 50, 15],
            "n": [60, 28, 70, 40, 80, 50],
        }
    )
    durations = pd.DataFrame(
        {
            "measure": "start_to_job",
            "group": ["A", "B", "C"],
            "n": [28, 40, 50],
            "events": [5, 12, 15],
            "censored": [23, 28, 35],
        }
    )
    tables = {"process.funnel_by_provider": funnel, "process.durations_by_provider": durations}
    # Each table on its own: A's censored count is published next to its withheld job count.
    alone = protect_table("durations_by_provider", durations, RULE).frame
    assert alone["events"].tolist()[:2] == [CONFIDENTIAL, CONFIDENTIAL] and alone.at[0, "censored"] == 23
    withheld = withheld_keys(tables, RULE)
    for provider in ("A", "B"):
        assert key_of("job_outcomes", {"provider": provider}) in withheld
        assert key_of("starts without a job outcome", {"provider": provider}) in withheld
    assert key_of("starts without a job outcome", {"provider": "C"}) not in withheld
    assert key_of("starts", {"provider": "A"}) not in withheld  # the cheapest cover, not the base
    shown = protect_table(
        "durations_by_provider", mark("process.durations_by_provider", durations, withheld, RULE), RULE
    ).frame
    assert shown["censored"].tolist() == [CONFIDENTIAL, CONFIDENTIAL, 35]
    assert shown["n"].tolist() == [28, 40, 50]
    assert (
        "secondary: protects a withheld cell from subtraction, in this table or another of the pack"
        in set(
            protect_table("d", mark("process.durations_by_provider", durations, withheld, RULE), RULE).log[
                "reason"
            ]
        )
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda rows: st.integers(2, 4).flatmap(
            lambda cols: st.lists(
                st.lists(st.integers(0, 40), min_size=cols, max_size=cols), min_size=rows, max_size=rows
            )
        )
    )
)
def test_no_withheld_cell_recoverable_across_tables(cells: list[list[int]]) -> None:
    """A two-way table (sex by ethnic group, say) published with its margins in two one-way tables
    and the total in a third: after the pack-level solve, no withheld cell - in the two-way table
    or in a margin - is fixed by the published cells, and every table withholds the same cells."""
    grid = np.array(cells)
    rows = [f"r{i}" for i in range(grid.shape[0])]
    cols = [f"c{j}" for j in range(grid.shape[1])]
    pairs = list(itertools.product(range(grid.shape[0]), range(grid.shape[1])))
    tables = {
        "equity.intersections": funnel_rows(
            "sex / ethnic_group",
            [f"{rows[i]} / {cols[j]}" for i, j in pairs],
            "starts",
            [int(grid[i, j]) for i, j in pairs],
        ),
        "equity.sex": funnel_rows("sex", rows, "starts", grid.sum(axis=1).tolist()),
        "equity.ethnic_group": funnel_rows("ethnic_group", cols, "starts", grid.sum(axis=0).tolist()),
        "process.funnel": funnel_rows(None, ["All"], "starts", [int(grid.sum())]).drop(columns="group"),
    }
    withheld = withheld_keys(tables, RULE)

    # Cell order: the grid, then the row margins, the column margins, the total.
    keys = (
        [key_of("starts", {"sex": rows[i], "ethnic_group": cols[j]}) for i, j in pairs]
        + [key_of("starts", {"sex": r}) for r in rows]
        + [key_of("starts", {"ethnic_group": c}) for c in cols]
        + [key_of("starts", {})]
    )
    values = [int(grid[i, j]) for i, j in pairs] + grid.sum(axis=1).tolist() + grid.sum(axis=0).tolist()
    values.append(int(grid.sum()))
    n_grid, n_rows = len(pairs), len(rows)
    relations = []
    for i in range(len(rows)):  # each row of the grid adds up to its margin
        coef = np.zeros(len(keys))
        coef[[p for p, (a, _) in enumerate(pairs) if a == i]] = 1
        coef[n_grid + i] = -1
        relations.append(coef)
    for j in range(len(cols)):
        coef = np.zeros(len(keys))
        coef[[p for p, (_, b) in enumerate(pairs) if b == j]] = 1
        coef[n_grid + n_rows + j] = -1
        relations.append(coef)
    for block in (range(n_grid, n_grid + n_rows), range(n_grid + n_rows, len(keys) - 1)):
        coef = np.zeros(len(keys))
        coef[list(block)] = 1
        coef[-1] = -1
        relations.append(coef)

    hidden = [p for p, k in enumerate(keys) if k in withheld]
    assert all(keys[p] in withheld for p, v in enumerate(values) if 0 < v < RULE.threshold)
    assert determined(hidden, relations) == [], [keys[p] for p in determined(hidden, relations)]
    for name, frame in tables.items():  # one key, one treatment, in every table
        shown = protect_table(name, mark(name, frame, withheld, RULE), RULE).frame
        for row, k in enumerate(frame["k"]):
            group = frame["group"].iloc[row] if "group" in frame else "All"
            grouping = frame["grouping"].iloc[row] if "grouping" in frame else None
            dims = dict(zip(grouping.split(" / "), group.split(" / "), strict=True)) if grouping else {}
            assert (shown.at[row, "k"] == CONFIDENTIAL) == (key_of("starts", dims) in withheld), (
                name,
                row,
                k,
            )


def test_dwp_cohort_table_is_the_equity_outcomes(synthetic_dir, tmp_path) -> None:
    """Table 2 of the return, taken from the equity outcomes so it carries the pack's withheld
    cells, equals counting the participants directly, group by group."""
    from evaluation.analyses.equity import equity_results
    from evaluation.data.inputs import load_inputs
    from evaluation.documents.returns import _counts_by_cohort, cohort_counts
    from evaluation.params import load_params
    from tests.conftest import params_copy

    path = params_copy("rotherham_2026-27", synthetic_dir, tmp_path)
    params = load_params(path)
    inputs = load_inputs(path, params)
    participants = inputs.participants.frame
    direct = _counts_by_cohort(participants[participants["area_code"].isin(params.area_codes)])
    derived = cohort_counts(equity_results(params, inputs).tables["outcomes"])
    pd.testing.assert_frame_equal(
        derived.astype({"starts": int, "job_outcomes": int}), direct, check_dtype=False
    )


def test_notebooks_and_documents_withhold_the_same_cells(rotherham_pack) -> None:
    """The notebooks solve the pack once and keep it in the run's folder; solving again from the
    results the documents are built from gives the same cells."""
    from evaluation.disclosure_linked import read_withheld, section_tables
    from evaluation.params import load_params
    from evaluation.results import read_all

    work = rotherham_pack.parent.parent / ".internal" / "rotherham" / "2026-27"
    kept = read_withheld(work / "disclosure" / "withheld.json")
    params = load_params(rotherham_pack.parent.parent.parent / "params" / "rotherham_2026-27.yaml")
    again = withheld_keys(section_tables(read_all(work / "results")), params.disclosure)
    assert set(kept) == set(again) and len(kept) > 0
    assert any(reason.startswith("protects") for reason in again.values())  # linking did something


def test_one_ward_has_one_key_in_process_and_equity_tables() -> None:
    """The process results group by "ward", the equity results by "ward_name": the same people."""
    from evaluation.disclosure_linked import table_cells

    process = funnel_rows("ward", ["Keppel"], "job_outcomes", [4])
    equity = funnel_rows("ward_name", ["Keppel"], "job_outcomes", [4])
    (a,) = table_cells("process.funnel_by_ward", process)
    (b,) = table_cells("equity.outcomes", equity)
    assert a.key == b.key == key_of("job_outcomes", {"ward": "Keppel"})
