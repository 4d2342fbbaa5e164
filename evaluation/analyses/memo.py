"""An analysis's last results, returned again for the very same parameters and inputs objects.

A pack's notebooks run one after another in one kernel (``pipeline.notebooks``), and the first
table a notebook shows solves disclosure control over the process and equity results together
(``notebook.Run.withheld``): without this, the equity section would be computed twice in every
run. Keyed by identity, not by value: the objects are held with the result, so their ids cannot be
reused by other objects, and the analyses never change their inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

P = TypeVar("P")
I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


def remembered(analysis: Callable[[P, I], R]) -> Callable[[P, I], R]:
    """``analysis(params, inputs)``, computed once for the last pair of objects it was given."""
    last: list = []

    @functools.wraps(analysis)
    def run(params: P, inputs: I) -> R:
        if last and last[0] is params and last[1] is inputs:
            return last[2]
        result = analysis(params, inputs)
        last[:] = [params, inputs, result]
        return result

    return run
