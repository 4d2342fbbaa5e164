"""One BLAS thread per process in a report run: set before numpy is first imported.

OpenBLAS starts a thread per core in every process that imports numpy. A report run already
keeps every core busy with its own processes (a worker per area, each with its notebook kernel),
so those threads only wait on each other: on two cores the whole default pack took 146 s with
OpenBLAS's default against 112 s with one thread (benchmarks/results_quick.md). One thread also
fixes the order of floating-point sums in matrix products, so the figures do not depend on how
many cores the machine that ran or verified the pack had. A value the user set is kept.
"""

from __future__ import annotations

import os

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Ask every BLAS library of this process and its children (workers, kernels) for one thread."""
    for name in VARIABLES:
        os.environ.setdefault(name, "1")
