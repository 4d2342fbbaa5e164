"""Execute the parameterised notebooks with papermill, one kernel per parameters file.

Each notebook receives the parameters file's path (checked inside by the strict model) and the
run's working folder; a failing cell is reported as the notebook, cell and error in plain words.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import PipelineError
from evaluation.params import Params

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks"
NOTEBOOKS = ("process_evaluation", "equity_analysis", "impact_evaluation", "baseline_evaluation")
CELL_TIMEOUT_SECONDS = 600
KERNEL_START_SECONDS = 120  # a kernel that has not answered by then never will
KERNEL_NAME = "python3"
# Notebook metadata that records when and how long, not what: cleared so outputs are reproducible.
VOLATILE_KEYS = (
    "start_time",
    "end_time",
    "duration",
    "exception",
    "iopub.execute_input",
    "iopub.status.busy",
    "iopub.status.idle",
    "shell.execute_reply",
    "execution",
)


def notebooks_for(params: Params) -> tuple[str, ...]:
    """The notebooks a run needs: the area-level baseline only where the parameters ask for one."""
    wanted = params.baseline.programme_start is not None
    return tuple(n for n in NOTEBOOKS if n != "baseline_evaluation" or wanted)


def _ipc_kernel_manager() -> type:
    """A kernel manager whose kernel talks over local IPC sockets in a folder of its own (kernels
    started at once never collide), with its own output going to a log file."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
        log_path: Path | None = None

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: object) -> None:
            # The kernel's own messages (a traceback when it is stopped mid-cell, say) go to a log
            # in the run's internal folder, not to the user's terminal: the run says what happened.
            if self.log_path is None or "stderr" in kw:
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with self.log_path.open("ab") as log:  # the kernel holds its own copy of the descriptor
                await super()._async_launch_kernel(kernel_cmd, **{**kw, "stderr": log, "stdout": log})

    return IPCKernelManager


@dataclass
class Kernel:
    """One notebook kernel that runs a pack's notebooks one after another.

    The kernel process starts with the first notebook (papermill and nbclient start it, with
    their own options and time limit) and is stopped by ``notebook_kernel`` at the end.
    """

    manager: Any  # IPCKernelManager
    log: Path  # the kernel's own output
    clearer: Any = None  # a client kept for clearing the namespace between notebooks

    @property
    def started(self) -> bool:
        return bool(self.manager.has_kernel)


@contextmanager
def notebook_kernel(work: Path, log_name: str = "kernel") -> Iterator[Kernel]:
    """A kernel for every notebook of one run, stopped at the end whatever happened.

    Starting a kernel and importing the library costs about three seconds, more than most of a
    pack's notebooks take to run; one kernel per pack pays it once. Each notebook still starts
    from an empty namespace with its cells counted from 1 (``_fresh_namespace``), so its record is
    what a kernel of its own would have given.
    """
    log = Path(work) / "logs" / f"{log_name}.kernel.log"
    with tempfile.TemporaryDirectory(prefix="evaluation-kernel-") as sockets:
        manager = _ipc_kernel_manager()(kernel_name=KERNEL_NAME, ip=str(Path(sockets) / "kernel"))
        manager.log_path = log
        kernel = Kernel(manager, log)
        try:
            yield kernel
        finally:
            if kernel.clearer is not None:
                kernel.clearer.stop_channels()
            _stop(manager)


def _stop(manager: Any) -> None:
    """Stop a kernel at once, whether it finished, died or never answered."""
    from jupyter_core.utils import run_sync

    with contextlib.suppress(Exception):
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(manager.cleanup_resources)()


def _fresh_namespace(kernel: Kernel) -> None:
    """Clear the kernel's variables and restart its cell count; imported modules stay loaded.

    Through a client of its own, connected once (its first connection waits for the kernel's
    output channel, a fifth of a second that need not be paid again for each notebook).
    """
    from jupyter_client.blocking import BlockingKernelClient

    if kernel.clearer is None:
        kernel.clearer = BlockingKernelClient()
        kernel.clearer.load_connection_info(kernel.manager.get_connection_info())
        kernel.clearer.start_channels()
        kernel.clearer.wait_for_ready(timeout=KERNEL_START_SECONDS)
    reply = kernel.clearer.execute_interactive(
        "get_ipython().reset(new_session=True)",
        silent=True,
        store_history=False,
        timeout=KERNEL_START_SECONDS,
    )
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"the kernel could not be cleared between notebooks ({reply['content']})")


def execute_notebook(
    name: str, *, params_path: Path, work: Path, out: Path, kernel: Kernel | None = None
) -> Path:
    """Run ``notebooks/<name>.ipynb`` for one parameters file; the executed copy goes to ``out``.

    In ``kernel`` when given (a pack's shared kernel, from ``notebook_kernel``), else in a kernel
    of its own, stopped when the notebook ends.
    """
    if kernel is None:
        with notebook_kernel(work, log_name=name) as own:
            return execute_notebook(name, params_path=params_path, work=work, out=out, kernel=own)
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    # Executed under another name, beside the kernel's log: a notebook stopped part way (a failing
    # cell, a dead kernel) never sits under its final name, and is kept there for diagnosis.
    partial = Path(work) / "logs" / f"{name}.partial.ipynb"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.unlink(missing_ok=True)
    try:
        if kernel.started:
            _fresh_namespace(kernel)
        pm.execute_notebook(
            str(NOTEBOOK_DIR / f"{name}.ipynb"),
            str(partial),
            parameters={
                "params_file": str(Path(params_path).resolve()),
                "work_dir": str(Path(work).resolve()),
            },
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT_SECONDS,
            start_timeout=KERNEL_START_SECONDS,
            cwd=str(NOTEBOOK_DIR.parent),
            km=kernel.manager,
        )
    except pm.PapermillExecutionError as err:
        raise PipelineError(
            f"notebook {name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}",
            file=str(partial),
        ) from None
    except Exception as err:
        problem = kernel_failure(err)
        if problem is None:
            raise
        raise PipelineError(
            f"notebook {name}: {problem} (the kernel's log: {kernel.log})", file=str(partial)
        ) from None
    normalise(
        partial, {str(Path(work).resolve()): "<work>", str(Path(params_path).resolve().parent): "<params>"}
    )
    os.replace(partial, out)
    return out


def kernel_failure(err: BaseException) -> str | None:
    """A notebook kernel's failure in plain words (it died, hung or never started), or None."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(err, CellTimeoutError):
        return (
            f"a cell ran for more than {CELL_TIMEOUT_SECONDS} s and was stopped (the kernel hung, "
            "or the data is far larger than expected)"
        )
    if isinstance(err, DeadKernelError):
        return (
            "the kernel died while running a cell (it may have run out of memory or been killed); "
            "the executed notebook was not kept"
        )
    if isinstance(err, NoSuchKernel):
        return f"the notebook kernel {KERNEL_NAME!r} is not installed (run `make report` to set up the environment)"
    if isinstance(err, RuntimeError) and "didn't respond" in str(err):
        return f"the notebook kernel did not start within {KERNEL_START_SECONDS} s"
    return None


def normalise(path: Path, paths: dict[str, str]) -> None:
    """Drop run-time metadata (timings, kernel start times) and replace this machine's folders by
    markers, so executed notebooks compare by content wherever they were run."""
    text = path.read_text(encoding="utf-8")
    for folder, marker in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(folder, marker)
    nb = json.loads(text)

    def scrub(meta: dict) -> None:
        for key in VOLATILE_KEYS:
            meta.pop(key, None)
        pm_meta = meta.get("papermill")
        if isinstance(pm_meta, dict):
            for key in VOLATILE_KEYS:
                pm_meta.pop(key, None)
            pm_meta.pop("input_path", None)
            pm_meta.pop("output_path", None)
            pm_meta.pop("parameters", None)
            pm_meta.pop("environment_variables", None)

    scrub(nb.get("metadata", {}))
    for number, cell in enumerate(nb.get("cells", []), start=1):
        scrub(cell.get("metadata", {}))
        cell["id"] = f"cell-{number}"  # papermill gives its injected cell a random id
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
