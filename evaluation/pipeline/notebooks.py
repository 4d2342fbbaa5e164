"""Execute the parameterised notebooks with papermill, one run per (notebook, parameters file).

Each notebook receives the parameters file's path (checked inside by the strict model) and the
run's working folder; a failing cell is reported as the notebook, cell and error in plain words.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from evaluation.errors import PipelineError
from evaluation.params import Params

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent.parent / "notebooks"
NOTEBOOKS = ("process_evaluation", "equity_analysis", "impact_evaluation", "baseline_evaluation")
CELL_TIMEOUT_SECONDS = 600
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


_socket_dir: list[str] = []  # the folder for the kernel being started by execute_notebook


def _ipc_kernel_manager() -> type:
    """A kernel manager whose kernel talks over local IPC sockets, not TCP ports."""
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _private_socket_prefix(self) -> str:
            # Each kernel's sockets in a folder of its own: kernels started at once never collide.
            return str(
                Path(_socket_dir[-1] if _socket_dir else tempfile.mkdtemp(prefix="evaluation-kernel-"))
                / "kernel"
            )

    return IPCKernelManager


def execute_notebook(name: str, *, params_path: Path, work: Path, out: Path) -> Path:
    """Run ``notebooks/<name>.ipynb`` for one parameters file; the executed copy goes to ``out``."""
    import papermill as pm

    out.parent.mkdir(parents=True, exist_ok=True)
    sockets = tempfile.TemporaryDirectory(prefix="evaluation-kernel-")
    _socket_dir.append(sockets.name)
    try:
        pm.execute_notebook(
            str(NOTEBOOK_DIR / f"{name}.ipynb"),
            str(out),
            parameters={
                "params_file": str(Path(params_path).resolve()),
                "work_dir": str(Path(work).resolve()),
            },
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=CELL_TIMEOUT_SECONDS,
            cwd=str(NOTEBOOK_DIR.parent),
            kernel_manager_class=_ipc_kernel_manager(),
        )
    except pm.PapermillExecutionError as err:
        raise PipelineError(
            f"notebook {name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}",
            file=str(out),
        ) from None
    finally:
        _socket_dir.pop()
        sockets.cleanup()
    normalise(out, {str(Path(work).resolve()): "<work>", str(Path(params_path).resolve().parent): "<params>"})
    return out


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
