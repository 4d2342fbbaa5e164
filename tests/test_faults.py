"""Fault injection: each fault ends with a one-line message naming the step, the previous pack
intact, no partial file under a final name, and the lock released.

One pack (the decision paper and the DWP return, to keep it quick) is built once for the module;
most faults are injected in-process into a documents-only rebuild (a narrative change), which
fails within seconds. Killing and interrupting a run use a real process.
"""

from __future__ import annotations

import ast
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from rich.console import Console

from evaluation.pipeline import notebooks as nbm
from evaluation.pipeline.lock import reports_lock
from evaluation.pipeline.run import run_report
from tests.conftest import params_copy
from tests.test_pipeline_runs import _hashes

ALL_DOCUMENTS = (
    "documents: [decision_paper, equalities_analysis, scrutiny_update, dwp_return, technical_report]"
)
NARRATIVE = ("wards_affected: Borough-Wide", "wards_affected: All wards")
STEPS = {"load parameters", "check what changed", "validate", "copy notebooks", "manifest", "publish"}


@dataclass(frozen=True)
class Built:
    params: Path
    reports: Path
    inputs: Path

    @property
    def pack(self) -> Path:
        return self.reports / "rotherham" / "2026-27"


@pytest.fixture(scope="module")
def built(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("faults")
    inputs = base / "inputs"
    shutil.copytree(synthetic_dir, inputs)
    params = params_copy(
        "rotherham_2026-27",
        inputs,
        base / "params",
        replace=(ALL_DOCUMENTS, "documents: [decision_paper, dwp_return]"),
    )
    reports = base / "reports"
    assert run_report([params], reports, console=Console(quiet=True), jobs=1)
    return Built(params, reports, inputs)


@contextmanager
def narrative_changed(built: Built) -> Iterator[None]:
    """A change to the narrative only, so the next run re-renders documents (and no notebook)."""
    original = built.params.read_text(encoding="utf-8")
    built.params.write_text(original.replace(*NARRATIVE), encoding="utf-8")
    try:
        yield
    finally:
        built.params.write_text(original, encoding="utf-8")


def _run(built: Built, **kw) -> tuple[bool, str]:
    out = io.StringIO()
    ok = run_report([built.params], built.reports, console=Console(file=out, width=400), jobs=1, **kw)
    return ok, out.getvalue()


def assert_intact(built: Built, before: dict[str, str]) -> None:
    """The previous pack as it was, nothing else under a final name, no staging left, no lock."""
    assert _hashes(built.pack) == before
    assert sorted(p.name for p in built.pack.parent.iterdir()) == ["2026-27"]
    assert not (built.reports / ".lock").exists()


def _failure_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("failed rotherham_2026-27.yaml: ")]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


# Disk full on the k-th write -----------------------------------------------------------------


class _FullDisk:
    """Files opened for writing under ``root`` are counted; the k-th fails as a full disk does:
    part of what is written reaches the file, then ENOSPC (at its first write, or at close for a
    file filled by the kernel's copy)."""

    def __init__(self, root: Path, k: int) -> None:
        self.root, self.k, self.count, self.failed = root.resolve(), k, 0, ""

    def wrap(self, real):
        def opener(file, mode="r", *args, **kwargs):
            fh = real(file, mode, *args, **kwargs)
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
                path = Path(os.fsdecode(file)).resolve()
                if self.root in path.parents:
                    self.count += 1
                    if self.count == self.k:
                        self.failed = str(path)
                        return _FailingFile(fh, str(path))
            return fh

        return opener


class _FailingFile:
    def __init__(self, fh, path: str) -> None:
        self._fh, self._path, self._raised = fh, path, False

    def _full(self) -> OSError:
        self._raised = True
        return OSError(errno.ENOSPC, "No space left on device", self._path)

    def write(self, data):
        self._fh.write(data[: len(data) // 2])
        raise self._full()

    def close(self) -> None:
        self._fh.close()
        if not self._raised:
            raise self._full()

    def __enter__(self):
        return self

    def __exit__(self, kind, *_):
        self._fh.close()
        if kind is None and not self._raised:
            raise self._full()

    def __getattr__(self, name):
        return getattr(self._fh, name)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2, 6])
def test_disk_full_on_the_kth_write(built: Built, k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    before = _hashes(built.pack)
    disk = _FullDisk(built.reports, k)
    monkeypatch.setattr(builtins, "open", disk.wrap(builtins.open))
    monkeypatch.setattr(io, "open", disk.wrap(io.open))
    with narrative_changed(built):
        ok, output = _run(built)
    monkeypatch.undo()
    assert not ok and disk.failed, (disk.count, output)
    line = _failure_line(output)
    m = re.fullmatch(
        r"failed rotherham_2026-27\.yaml: failed at step (.+?): no space left on device while writing "
        r"(.+?); free some space and run again",
        line,
    )
    assert m, line
    step, shown = m.groups()
    assert step in STEPS or step.startswith(("documents: ", "notebook:")), step
    if ".staging-" in disk.failed:  # a file of the pack being built is named within the pack
        assert shown == disk.failed.split(".staging-")[1].partition("/")[2] + " (in the pack being built)"
    else:
        assert shown == disk.failed
    assert "1 of 1 runs failed; their previous packs are unchanged." in output
    assert_intact(built, before)


# Read-only output folder ----------------------------------------------------------------------


@contextmanager
def read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the operating system does to a non-root user in a folder without write permission:
    creating, writing or renaming anything in it fails with EACCES (reading still works)."""
    import builtins

    folder = folder.resolve()

    def inside(path) -> bool:
        try:
            p = Path(os.fsdecode(path)).absolute()
        except TypeError:
            return False
        return p.parent == folder or folder in p.parents

    def denied(path) -> PermissionError:
        return PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))

    real_mkdir, real_open, real_replace, real_rename = os.mkdir, os.open, os.replace, os.rename

    def mkdir(path, mode=0o777, *a, **kw):
        if inside(path):
            if os.path.exists(path):
                raise FileExistsError(errno.EEXIST, "File exists", os.fsdecode(path))
            raise denied(path)
        return real_mkdir(path, mode, *a, **kw)

    def os_open(path, flags, *a, **kw):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise denied(path)
        return real_open(path, flags, *a, **kw)

    def wrap_open(real):
        def opener(file, mode="r", *a, **kw):
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+") and inside(file):
                raise denied(file)
            return real(file, mode, *a, **kw)

        return opener

    def move(real):
        def mover(src, dst, *a, **kw):
            if inside(src) or inside(dst):
                raise denied(dst)
            return real(src, dst, *a, **kw)

        return mover

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", wrap_open(builtins.open))
    monkeypatch.setattr(io, "open", wrap_open(io.open))
    monkeypatch.setattr(os, "replace", move(real_replace))
    monkeypatch.setattr(os, "rename", move(real_rename))
    try:
        yield
    finally:
        monkeypatch.undo()


@pytest.mark.slow
def test_read_only_output_folder(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated (see ``read_only``): the suite may run as root, whom permissions do not stop;
    ``test_read_only_output_folder_by_permissions`` checks the real thing where they do."""
    before = _hashes(built.pack)
    with narrative_changed(built), read_only(built.pack.parent, monkeypatch):
        ok, output = _run(built)
    line = _failure_line(output)
    assert not ok
    assert "failed at step check what changed: permission denied writing a new folder in " in line, line
    assert str(built.pack.parent) in line and "the output folder must be writable (is it read-only?)" in line
    assert_intact(built, before)


@pytest.mark.slow
@pytest.mark.skipif(
    os.geteuid() == 0, reason="root is not stopped by folder permissions; the simulated test covers it"
)
def test_read_only_output_folder_by_permissions(built: Built) -> None:
    before = _hashes(built.pack)
    built.pack.parent.chmod(0o555)
    try:
        with narrative_changed(built):
            ok, output = _run(built)
    finally:
        built.pack.parent.chmod(0o755)
    assert not ok and "permission denied writing a new folder in " in _failure_line(output)
    assert_intact(built, before)


def test_read_only_reports_folder_stops_before_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaluation.errors import PipelineError

    reports = tmp_path / "reports"
    reports.mkdir()
    with read_only(reports, monkeypatch), pytest.raises(PipelineError) as err:
        run_report([tmp_path / "rotherham_2026-27.yaml"], reports, console=Console(quiet=True), jobs=1)
    assert str(err.value) == (
        f"{reports / '.lock'}: cannot create the run's lock file (Permission denied); the reports folder "
        "must be writable by the user running the toolkit"
    )
    assert list(reports.iterdir()) == []


# An input changed during the run -----------------------------------------------------------------


@pytest.mark.slow
def test_input_changed_during_the_run_is_not_published(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluation.documents import build as documents

    before = _hashes(built.pack)
    budget = built.inputs / "budget.csv"
    original = budget.read_bytes()
    real = documents.build_decision_paper

    def while_rendering(*args, **kwargs):
        budget.write_bytes(original + original.splitlines(keepends=True)[-1])  # a line appended
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "build_decision_paper", while_rendering)
    try:
        with narrative_changed(built):
            ok, output = _run(built)
    finally:
        budget.write_bytes(original)
    line = _failure_line(output)
    assert not ok
    assert (
        f"failed at step check inputs unchanged: {built.params}: the input budget ({budget}) changed" in line
    )
    assert "it was not published. Run again once the file is complete" in line
    assert_intact(built, before)


# A template with a missing asset, or fetching the network or a local file ----------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tag", "says"),
    [
        ('<img src="assets/council-logo.png" alt="Council logo">', 'Error fetching "file://'),
        ('<img src="http://203.0.113.7/logo.png" alt="Logo">', "documents may not reach the network"),
        (
            '<img src="file:///etc/passwd" alt="x">',
            "a document tried to read /etc/passwd, outside the templates",
        ),
    ],
    ids=["missing-asset", "network", "local-file"],
)
def test_template_fault_stops_the_document(
    built: Built, tag: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evaluation.documents import render

    templates = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, templates)
    base = (templates / "base.html.j2").read_text(encoding="utf-8")
    (templates / "base.html.j2").write_text(base.replace("<main>", f"<main>{tag}", 1), encoding="utf-8")
    monkeypatch.setattr(render, "TEMPLATES", templates)
    before = _hashes(built.pack)
    with narrative_changed(built):
        ok, output = _run(built)
    line = _failure_line(output)
    assert not ok and "failed at step documents: decision_paper: " in line and says in line, line
    if "missing" in tag:
        assert "council-logo.png" in line
    assert_intact(built, before)


# Killed, refused, interrupted -------------------------------------------------------------------------


def _report(built: Built) -> list[str]:
    return [sys.executable, "-m", "evaluation", "report", str(built.params), "--reports", str(built.reports)]


def _start(built: Built) -> subprocess.Popen:
    return subprocess.Popen(
        [*_report(built), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_pdf_rendering(built: Built, proc: subprocess.Popen) -> None:
    """Until the decision paper's HTML is in the staging folder: its PDF is being rendered."""
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None:
        if list(built.pack.parent.glob(".2026-27.staging-*/decision_paper.html")):
            return
        time.sleep(0.02)
    raise AssertionError(f"the run never reached PDF rendering: {proc.communicate()}")


@pytest.mark.slow
def test_killed_during_pdf_rendering_second_run_refused_then_stale_lock_cleared(built: Built) -> None:
    before = _hashes(built.pack)
    index = (built.reports / "index.html").read_bytes()
    with narrative_changed(built):
        proc = _start(built)
        try:
            _wait_for_pdf_rendering(built, proc)
            # Two runs at once: the second is refused, naming the first, and changes nothing.
            second = subprocess.run(
                _report(built),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert second.returncode == 2 and "Traceback" not in second.stderr
            assert (
                f"another report run holds {built.reports / '.lock'} (process {proc.pid} on " in second.stderr
            )
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert _hashes(built.pack) == before and (built.reports / "index.html").read_bytes() == index
    finals = sorted(p.name for p in built.pack.parent.iterdir() if not p.name.startswith("."))
    assert finals == ["2026-27"]  # nothing under a final name but the previous pack
    assert len(list(built.pack.parent.glob(".2026-27.staging-*"))) == 1  # the killed run's work
    assert json.loads((built.reports / ".lock").read_text())["pid"] == proc.pid  # its stale lock
    # The next run takes over the stale lock and clears what the killed run left. (Unchanged,
    # nothing re-run, unless the toolkit's code was edited meanwhile.)
    ok, output = _run(built)
    assert ok and re.search(r"^(unchanged, nothing re-run|documents re-rendered|pack written) ", output, re.M)
    assert sorted(p.name for p in built.pack.parent.iterdir()) == ["2026-27"]
    assert not (built.reports / ".lock").exists()


@pytest.mark.slow
def test_interrupt_during_pdf_rendering(built: Built) -> None:
    before = _hashes(built.pack)
    with narrative_changed(built):
        proc = _start(built)
        _wait_for_pdf_rendering(built, proc)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    # The PDF is laid out in a second process while this one writes the other documents, so the
    # step is the document the run was writing, or the PDF it was waiting for, when stopped.
    steps = "decision_paper|equalities_analysis|scrutiny_update|delivery_plan|technical_report|dwp_return"
    assert re.fullmatch(
        rf"Interrupted during rotherham_2026-27\.yaml, step documents: ({steps}); no pack was replaced\.",
        stderr.strip().splitlines()[-1],
    ), stderr
    assert "Traceback" not in stderr
    assert_intact(built, before)


def test_a_lock_file_without_a_live_holder_is_taken_over(tmp_path: Path) -> None:
    """Left by a killed run, even half-written: no process holds it, so the next run takes it."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / ".lock").write_bytes(b'{"pid": 12')  # killed while writing it
    with reports_lock(reports) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert not (reports / ".lock").exists()


# Notebook kernels: death, a hang, one that never starts ----------------------------------------------


def _notebook(folder: Path, name: str, code: str) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    parameters = nbformat.v4.new_code_cell('params_file = ""\nwork_dir = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(code)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


KERNEL_FAULTS = pytest.mark.parametrize(
    ("code", "says"),
    [
        ("import os\nos._exit(9)", "the kernel died while running a cell"),
        ("import time\ntime.sleep(120)", "a cell ran for more than 3 s and was stopped (the kernel hung"),
        (None, "the notebook kernel did not start within 3 s"),
    ],
    ids=["dies", "hangs", "never-starts"],
)


def hostile_kernel(
    names: tuple[str, ...], code: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Notebooks ``names`` whose cell kills its kernel, or hangs (the cell time limit cut to 3 s),
    or (``code`` None) a kernel whose process starts but never answers (start limit 3 s)."""
    for name in names:
        _notebook(tmp_path / "notebooks", name, code or "1")
    monkeypatch.setattr(nbm, "NOTEBOOK_DIR", tmp_path / "notebooks")
    monkeypatch.setattr(nbm, "CELL_TIMEOUT_SECONDS", 3)
    monkeypatch.setattr(nbm, "KERNEL_START_SECONDS", 3)
    if code is None:
        spec = tmp_path / "jupyter" / "kernels" / "never-starts"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(
            json.dumps({"argv": ["sleep", "600"], "display_name": "never", "language": "python"})
        )
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        monkeypatch.setattr(nbm, "KERNEL_NAME", "never-starts")


def assert_no_kernel_left() -> None:
    leftover = subprocess.run(["pgrep", "-f", "sleep 600"], capture_output=True, text=True).stdout
    assert leftover == "", "the kernel that never started was not stopped"


@pytest.mark.slow
@KERNEL_FAULTS
def test_kernel_faults_are_named(
    code: str | None, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    from evaluation.errors import PipelineError

    hostile_kernel(("hostile",), code, tmp_path, monkeypatch)
    work = tmp_path / "work"
    out = work / "notebooks" / "hostile.ipynb"
    started = time.time()
    with pytest.raises(PipelineError) as err:
        nbm.execute_notebook("hostile", params_path=tmp_path / "p.yaml", work=work, out=out)
    assert time.time() - started < 60
    assert str(err.value).startswith(
        f"{work / 'logs' / 'hostile.partial.ipynb'}: notebook hostile: {says}"
    ), str(err.value)
    assert f"(the kernel's log: {work / 'logs' / 'hostile.kernel.log'})" in str(err.value)
    assert not out.exists()  # no executed notebook under its final name
    assert "Traceback" not in capfd.readouterr().err  # the kernel's own traceback went to its log
    assert_no_kernel_left()


def test_notebook_parameters_cannot_become_code() -> None:
    """Only two paths go into a notebook, as string literals, whatever characters they hold."""
    from papermill.translators import PythonTranslator

    hostile = 'x"\nimport os; os.system("echo hostile")  # \\" \'\'\' {{ 7*7 }}'
    source = PythonTranslator.codify({"params_file": hostile, "work_dir": hostile + "\\"})
    tree = ast.parse(source)
    assigns = [n for n in tree.body if isinstance(n, ast.Assign)]
    assert len(assigns) == len(tree.body) == 2
    assert [a.value.value for a in assigns] == [hostile, hostile + "\\"]


@pytest.mark.slow
@KERNEL_FAULTS
def test_kernel_fault_in_a_run_names_the_step(
    built: Built, code: str | None, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Last of the runs in the module: it discards the analysis the documents-only runs reuse."""
    hostile_kernel(nbm.NOTEBOOKS, code, tmp_path, monkeypatch)
    before = _hashes(built.pack)
    ok, output = _run(built, force=True)
    line = _failure_line(output)
    assert not ok
    first = nbm.NOTEBOOKS[0]
    assert line.startswith(f"failed rotherham_2026-27.yaml: failed at step notebook:{first}: "), line
    assert f"notebook {first}: {says}" in line, line
    assert_intact(built, before)
    assert_no_kernel_left()


def test_a_pack_set_aside_in_the_swap_is_put_back(tmp_path: Path) -> None:
    """Killed between moving the old pack aside and moving the new one in: the old one returns."""
    from evaluation.pipeline.atomic import restore_or_clear

    area = tmp_path / "reports" / "rotherham"
    (area / ".2026-27.old-4242").mkdir(parents=True)
    (area / ".2026-27.old-4242" / "decision_paper.pdf").write_bytes(b"%PDF previous")
    (area / ".2026-27.staging-abc").mkdir()
    (area / ".2026-27.staging-abc" / "decision_paper.pdf").write_bytes(b"%PDF new, complete")
    (area / "2025-26").mkdir()
    (area / ".2025-26.old-4242").mkdir()  # the swap of this one had finished: the old copy goes
    restore_or_clear(tmp_path / "reports")
    assert sorted(p.name for p in area.iterdir()) == ["2025-26", "2026-27"]
    assert (area / "2026-27" / "decision_paper.pdf").read_bytes() == b"%PDF previous"


def test_an_unwritable_folder_named_on_the_command_line_is_one_line(
    synthetic_dir: Path, tmp_path: Path
) -> None:
    """A quarantine folder that cannot be made (a file stands in its way): no traceback."""
    params = params_copy("rotherham_2026-27", synthetic_dir, tmp_path / "params")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "evaluation", "validate", str(params), "--quarantine", str(blocker / "q")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert (
        result.stderr.strip().splitlines()[-1]
        == f"Error: Not a directory ({blocker / 'q' / 'rotherham_2026_27'})"
    )


@pytest.mark.slow
def test_interrupt_with_areas_built_at_once(built: Built) -> None:
    """Two packs in two worker processes: Ctrl-C stops both at once (workers and their kernels),
    neither pack is replaced, nothing is left behind and the lock is released."""
    other = params_copy("rotherham_2025-26", built.inputs, built.params.parent)
    before = _hashes(built.pack)
    proc = subprocess.Popen(
        [*_report(built), str(other), "--jobs", "2", "--force"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline and len(list(built.pack.parent.glob(".*.staging-*"))) < 2:
        time.sleep(0.05)
    time.sleep(3)  # both areas at work (validating, or in their first notebook)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted; no pack was replaced.", stderr
    assert "Traceback" not in stderr
    assert_intact(built, before)
    assert not (built.pack.parent / "2025-26").exists()
    left = subprocess.run(["pgrep", "-f", str(built.reports)], capture_output=True, text=True).stdout
    assert left == "", "a worker of the interrupted run is still running"
