"""The equity evaluation of one run: who is reached and who succeeds, by characteristic and cohort.

In: a parameters file and its validated inputs. Out: the ``equity`` results section (tables
with readings, and the actions they call for) and the figures the documents name. The notebook
``notebooks/equity_analysis.ipynb`` calls this and shows its parts.
"""

from __future__ import annotations

import pandas as pd

from evaluation.analyses.memo import remembered
from evaluation.analyses.process import run_participants
from evaluation.data.inputs import ValidatedInputs
from evaluation.figures import FigureRegister
from evaluation.metrics import equity
from evaluation.metrics.equity_readings import MATERIAL_GAP, TOO_FEW
from evaluation.params import Params
from evaluation.results import Results

SOURCE = "participant journeys (validated input), to the data cut-off"


def eligible(inputs: ValidatedInputs, params: Params) -> pd.DataFrame | None:
    """The eligible population by reason for inactivity, where the area statistics give it."""
    if params.equity.eligible_population_period_end is None:
        return None
    table = equity.eligible_population(
        inputs.area_statistics.frame,
        area_codes=params.area_codes,
        period_end=params.equity.eligible_population_period_end,
    )
    return table if not table.empty else None


@remembered
def equity_results(params: Params, inputs: ValidatedInputs) -> Results:
    """Every equity table of one run, with readings, actions and headline counts of readings."""
    part = run_participants(inputs, params)
    tables = equity.equity_tables(part, params.equity, eligible(inputs, params))
    reg = FigureRegister()
    outcomes = tables["outcomes"]
    known = outcomes[outcomes["group"] != outcomes["reference"]]
    material = known[known["reading"] == MATERIAL_GAP]
    few = known[known["reading"] == TOO_FEW]
    threshold = params.equity.material_rate_ratio
    reg.register(
        "equity_material_gaps",
        len(material),
        "count",
        f"Groups (characteristic, group and stage) whose rate is below {threshold:.0%} of the reference group's, with an interval that excludes no difference.",
        SOURCE,
    )
    reg.register(
        "equity_too_few",
        len(few),
        "count",
        "Groups (characteristic, group and stage) with too few people or outcomes to say whether there is a gap.",
        SOURCE,
    )
    reg.register(
        "equity_actions",
        len(tables["actions"]),
        "count",
        "Actions the equity readings call for.",
        SOURCE,
    )
    res = Results(section="equity", tables=tables, figures=reg)
    res.notes["method"] = (
        "Rates are shares with 95% Wilson intervals; each group is compared with a stated reference group by rate ratio "
        "(Katz log interval) and rate difference (Newcombe hybrid score interval). A material gap is a rate ratio below "
        f"{threshold:.2f} whose interval excludes 1; groups with fewer than 10 people or outcomes are too few to say, never shown as fine."
    )
    return res
