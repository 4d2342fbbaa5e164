"""What notebooks call: open a run from its parameters file, show results, hand them over.

Keeps notebooks thin: one parameters cell, then single calls between markdown cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from evaluation.data.inputs import ValidatedInputs
from evaluation.data.store import read_validated
from evaluation.disclosure_linked import (
    Key,
    linked_sections,
    mark,
    read_withheld,
    section_tables,
    withheld_keys,
    write_withheld,
)
from evaluation.params import Params, load_params
from evaluation.published import protect_table, section_charts
from evaluation.results import ChartFile, Results, write_results


@dataclass(frozen=True, eq=False)
class Run:
    """One run as a notebook sees it: checked parameters and the validated inputs."""

    params_file: Path
    params: Params
    inputs: ValidatedInputs
    work_dir: Path

    def describe(self) -> None:
        p = self.params
        print(f"{p.area.name} ({p.area.code}), {p.programme}, financial year {p.financial_year}")
        print(
            f"Period {p.period.start:%-d %B %Y} to {p.period.end:%-d %B %Y}; data to {p.period.data_cutoff:%-d %B %Y}"
        )
        print(f"Parameters: {self.params_file}")

    @cached_property
    def withheld(self) -> dict[Key, str]:
        """Cells the whole pack withholds (disclosure_linked), solved once per run and kept in the
        run's folder, so every notebook shows what the documents show."""
        path = self.work_dir / "disclosure" / "withheld.json"
        if path.exists():
            return read_withheld(path)
        from evaluation.analyses.equity import equity_results
        from evaluation.analyses.process import process_results

        sections = [process_results(self.params, self.inputs), equity_results(self.params, self.inputs)]
        keys = withheld_keys(section_tables(sections), self.params.disclosure)
        write_withheld(keys, path)
        return keys

    def write(self, results: Results) -> Path:
        return write_results(results, self.work_dir / "results")

    def show(self, table: pd.DataFrame | list | None, name: str = "table", **where: object) -> None:
        """Display a results table as it would be published: filtered, then disclosure-protected."""
        if table is None:
            print("Not available for this run.")
            return
        if isinstance(table, list):
            show(pd.DataFrame([vars(o) for o in table]))
            return
        for col, value in where.items():
            table = table[table[col] == value]
        rule = self.params.disclosure
        show(protect_table(name, mark(name, table, self.withheld, rule), rule).frame)

    def show_chart(self, results: Results, name: str) -> None:
        """Display a chart as documents draw it, from protected tables, with its alt text; it is
        handed over with ``results`` (``run.write``), so the documents place this very chart."""
        linked = self._linked.get(id(results))
        if linked is None or linked[0] is not results:
            marked = linked_sections([results], self.withheld, self.params.disclosure)[0]
            self._linked[id(results)] = linked = (results, marked)
        made = section_charts(linked[1], self.params, (name,))
        if name not in made:
            print("No chart: see the refusal above.")
            return
        results.charts[name] = made[name]
        show(made[name])

    @cached_property
    def _linked(self) -> dict[int, tuple[Results, Results]]:
        """Sections marked with the pack's withheld cells, by the section shown (marked once)."""
        return {}


def open_run(params_file: str | Path, work_dir: str | Path) -> Run:
    """Check the parameters file with the strict model and read the run's validated inputs.

    The notebooks of a pack run one after another in one kernel: the second asks for the same
    run and gets the same objects back (so ``analyses.memo`` can return results computed for the
    first), unless the parameters file or the validated tables changed in between.
    """
    path = Path(params_file)
    work = Path(work_dir)
    stamp = (str(path.resolve()), path.read_bytes(), str(work.resolve()), _files_stamp(work / "validated"))
    if _opened and _opened[0] == stamp:
        return _opened[1]
    run = Run(path, load_params(path), read_validated(work / "validated"), work)
    _opened[:] = [stamp, run]
    return run


_opened: list = []  # (stamp, Run) of the run last opened in this process


def _files_stamp(folder: Path) -> tuple:
    """Name, size and modification time of every file in a folder: changes when any is rewritten
    (nothing for a missing folder, which ``read_validated`` then reports)."""
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir()))


def show(obj: object) -> None:
    """Display a (protected) table or a chart with its alt text in the notebook."""
    from IPython.display import SVG, display

    if isinstance(obj, ChartFile):
        display(SVG(obj.svg))
        print(obj.alt_text)
        return
    display(obj)
