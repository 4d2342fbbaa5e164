"""Load and validate every input a parameters file names, as one step.

In: a parameters file. Out: ``ValidatedInputs``, the five validated tables with their findings.
File-level faults in any file (and any direct identifier) stop the run with all of them listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.data.readers import SourceOptions
from evaluation.data.validate import (
    RuleContext,
    ValidatedTable,
    raise_file_faults,
    read_and_validate,
)
from evaluation.params import Params, Source, resolve_input


@dataclass(frozen=True)
class ValidatedInputs:
    """The validated tables of one run, in the order they were checked."""

    ward_lookup: ValidatedTable
    participants: ValidatedTable
    comparison_pool: ValidatedTable
    area_statistics: ValidatedTable
    budget: ValidatedTable

    def tables(self) -> list[ValidatedTable]:
        return [
            self.ward_lookup,
            self.participants,
            self.comparison_pool,
            self.area_statistics,
            self.budget,
        ]


def source_options(source: Source) -> SourceOptions:
    return SourceOptions(
        encoding=source.encoding, sheet=source.sheet, excel_serial_dates=source.excel_serial_dates
    )


def load_inputs(params_path: Path, params: Params) -> ValidatedInputs:
    """Validate every input of a run; raise with all file-level faults if any file is unusable."""
    src = params.inputs
    ctx = RuleContext(period_start=params.period.start, data_cutoff=params.period.data_cutoff)

    def one(name: str, source: Source, context: RuleContext) -> ValidatedTable:
        return read_and_validate(
            resolve_input(params_path, source), name, options=source_options(source), ctx=context
        )

    wards = one("ward_lookup", src.ward_lookup, RuleContext())
    raise_file_faults([wards])
    tables = {
        "participants": one(
            "participants",
            src.participants,
            RuleContext(ctx.period_start, ctx.data_cutoff, wards.frame),
        ),
        "comparison_pool": one(
            "comparison_pool", src.comparison_pool, RuleContext(data_cutoff=ctx.data_cutoff)
        ),
        "area_statistics": one("area_statistics", src.area_statistics, RuleContext()),
        "budget": one("budget", src.budget, RuleContext()),
    }
    raise_file_faults(list(tables.values()))
    return ValidatedInputs(ward_lookup=wards, **tables)
