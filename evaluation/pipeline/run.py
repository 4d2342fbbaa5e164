"""The report run: for each parameters file, validate, execute the notebooks, render documents.

In: parameters files and a reports folder. Out: ``reports/<area>/<period>/`` per file, each
replaced in one step only when everything for it succeeded; areas run in parallel up to the
number of cores; if one fails the others go on and the run ends non-zero with a summary. Work
is skipped when its cache key is unchanged (``cache``). Working files (validated tables,
quarantine, results) live in ``reports/.internal/`` and are never part of a published pack.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from evaluation.errors import EvaluationError, ParamsError, PipelineError
from evaluation.params import Params, load_params, resolve_input
from evaluation.pipeline import cache
from evaluation.pipeline.atomic import restore_or_clear, staged_folder
from evaluation.pipeline.lock import reports_lock
from evaluation.pipeline.manifest import provenance_for, sha256_file, write_manifest
from evaluation.pipeline.notebooks import execute_notebook, notebook_kernel, notebooks_for
from evaluation.pipeline.workers import ignore_interrupt

if TYPE_CHECKING:
    from evaluation.data.inputs import ValidatedInputs
    from evaluation.documents.context import Provenance
    from evaluation.results import Results

# The data, analysis and document modules are imported where they are used, not here: a run
# whose packs are all unchanged needs none of them, and loading them (pandas, scipy, matplotlib,
# WeasyPrint) would be most of its time.


@dataclass(frozen=True)
class Outcome:
    """How one parameters file's run ended."""

    params_file: str
    pack: str
    status: str  # "built", "documents", "unchanged" or "failed"
    seconds: float
    message: str = ""


def pack_location(params_path: Path) -> tuple[str, str]:
    """(area, period) of a parameters file named ``<area>_<period>.yaml``, e.g. rotherham, 2026-27."""
    stem = Path(params_path).stem
    area, sep, period = stem.rpartition("_")
    if not sep or not area or not period:
        raise ParamsError(
            "parameters files are named <area>_<period>.yaml, e.g. rotherham_2026-27.yaml",
            file=str(params_path),
        )
    # The two parts name the pack's folders: nothing that could climb out of the reports folder.
    for what, part, pattern in (("area", area, _AREA), ("period", period, _PERIOD)):
        if not pattern.fullmatch(part):
            raise ParamsError(
                f"the {what} {part!r} in the file's name may hold only lower-case letters, digits and "
                f"hyphens{' or underscores' if what == 'area' else ''}, starting with a letter or digit",
                file=str(params_path),
                expected="a name such as rotherham_2026-27.yaml",
            )
    return area, period


_AREA = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_PERIOD = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")


def select_params(params_dir: Path, area: str | None = None) -> list[Path]:
    """Every parameters file in a folder, or those of one area, in name order."""
    files = sorted(Path(params_dir).glob("*.yaml"))
    if area:
        files = [f for f in files if pack_location(f)[0] == area]
    if not files:
        raise ParamsError(
            f"no parameters files{' for area ' + repr(area) if area else ''}",
            file=str(params_dir),
            expected="files named <area>_<period>.yaml",
        )
    return files


@contextmanager
def source_date_epoch(params: Params) -> Iterator[None]:
    """Fix the time every writer records (PDF dates, font tables): ``SOURCE_DATE_EPOCH`` if set,
    else midnight UTC at the start of the data cut-off day, so equal inputs give equal bytes."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    cutoff = dt.datetime.combine(params.period.data_cutoff, dt.time(0), tzinfo=dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = old or str(int(cutoff.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


_step: list[str] = ["start"]  # the step this process is at, named in any failure message


def _begin(step: str) -> None:
    _step[0] = step


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) during a run, with the run and step it stopped."""


def _input_hashes(params_path: Path, params: Params) -> dict[str, str]:
    """SHA-256 of the parameters file and of every input, by name."""
    hashes = {"parameters file": sha256_file(params_path)}
    for name, src in params.inputs:
        path = resolve_input(params_path, src)
        hashes[f"{name} ({path})"] = sha256_file(path) if path.exists() else "missing"
    return hashes


def _check_unchanged(params_path: Path, params: Params, before: dict[str, str]) -> None:
    """Refuse to publish a pack whose inputs changed while it was being made."""
    after = _input_hashes(params_path, params)
    changed = [name for name, digest in before.items() if after.get(name) != digest]
    if changed:
        raise PipelineError(
            f"the input {', '.join(changed)} changed while the run was using it, so the pack would mix "
            "two versions of the data; it was not published. Run again once the file is complete",
            file=str(params_path),
        )


def _os_error(err: OSError) -> str:
    """An operating-system failure in plain words, with the file it concerned (relative to the pack
    being built, where it was one of its files)."""
    name = str(err.filename or "")
    if ".staging-" in name:
        folder, _, rest = name.partition(".staging-")
        inside = rest.partition("/")[2]
        name = f"{inside} (in the pack being built)" if inside else f"a new folder in {folder.rstrip('/.')}"
    if err.errno == errno.ENOSPC:
        return f"no space left on device while writing {name}; free some space and run again"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied writing {name}; the output folder must be writable (is it read-only?)"
    return f"{err.strerror or err} ({name})" if name else str(err.strerror or err)


def _record(steps: dict[str, float], run: str, step: str, started: float) -> None:
    """Record a step's time and say it, so a long run shows its progress per area and step."""
    steps[step] = time.perf_counter() - started
    print(f"  {run}: {step} done in {steps[step]:.1f} s", flush=True)


def validated_inputs(params_path: Path, params: Params, shared: Path) -> ValidatedInputs:
    """Validate a run's inputs, reusing an earlier validation of the very same files and rules."""
    from evaluation.data.inputs import load_inputs
    from evaluation.data.store import read_validated, write_validated

    parts = [
        *(
            f"{name}:{sha256_file(resolve_input(params_path, src))}:{src.model_dump_json()}"
            for name, src in params.inputs
        ),
        f"{params.period.start}:{params.period.data_cutoff}",
        cache._tree_hash(("evaluation/data",)),
    ]
    folder = shared / hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]
    if (folder / "budget.findings.json").exists():
        return read_validated(folder)
    inputs = load_inputs(params_path, params)
    shared.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".validating-", dir=shared))
    write_validated(inputs, tmp)
    try:
        os.replace(tmp, folder)
    except OSError:  # another run wrote the same validation first
        shutil.rmtree(tmp, ignore_errors=True)
    return inputs


def _analyse(
    params_path: Path, params: Params, work: Path, shared: Path, staging: Path, steps: dict[str, float]
) -> list[dict]:
    """Validate and run every notebook into ``work``; the executed notebooks go into ``staging``."""
    from evaluation.cli import print_summary
    from evaluation.data.store import write_validated
    from evaluation.data.summary import summary_rows, write_quarantine

    t = time.perf_counter()
    _begin("validate")
    inputs = validated_inputs(params_path, params, shared)
    if work.exists():
        shutil.rmtree(work)
    write_validated(inputs, work / "validated")
    write_quarantine(inputs, work / "quarantine")
    rows = summary_rows(inputs.tables())
    _record(steps, params.run_name, "validate", t)
    print_summary(f"{params.run_name}: inputs validated", rows)
    with notebook_kernel(work) as kernel:
        for name in notebooks_for(params):
            t = time.perf_counter()
            _begin(f"notebook:{name}")
            out = work / "notebooks" / f"{name}.ipynb"
            execute_notebook(name, params_path=params_path, work=work, out=out, kernel=kernel)
            _record(steps, params.run_name, f"notebook:{name}", t)
    return rows


def _build(params_path: Path, reports: Path, *, force: bool, alongside: bool = False) -> Outcome:
    """One parameters file: skip, re-render documents only, or build the whole pack
    (``alongside``: lay the PDFs out in a second process, for a run with a core to spare)."""
    start = time.perf_counter()
    _begin("load parameters")
    area, period = pack_location(params_path)
    final = reports / area / period
    work = reports / ".internal" / area / period
    params = load_params(params_path)
    before = _input_hashes(params_path, params)
    with source_date_epoch(params):
        _begin("check what changed")
        a_key, d_key = _keys(params_path, params)
        if not force and _manifest(final).get("cache", {}).get("document_key") == d_key:
            return Outcome(params_path.name, str(final), "unchanged", time.perf_counter() - start)
        from evaluation.data.store import read_validated
        from evaluation.data.summary import summary_rows
        from evaluation.disclosure_linked import published_sections
        from evaluation.documents.render import pdfs_alongside
        from evaluation.results import read_all

        reuse = (
            not force and (work / "analysis_key").exists() and (work / "analysis_key").read_text() == a_key
        )
        steps: dict[str, float] = {}
        with staged_folder(final) as staging, contextlib.ExitStack() as pdf_process:
            if alongside:
                pdf_process.enter_context(
                    pdfs_alongside(lambda pdf: _begin(f"documents: {Path(pdf).stem}"))
                )  # forked before any thread starts
            if reuse:
                rows = summary_rows(read_validated(work / "validated").tables())
            else:
                (work / "analysis_key").unlink(missing_ok=True)
                rows = _analyse(
                    params_path, params, work, reports / ".internal" / ".validated", staging, steps
                )
                (work / "analysis_key").write_text(a_key)
            _begin("copy notebooks")
            _copy_files(work / "notebooks", staging / "notebooks")
            (staging / "data").mkdir(parents=True, exist_ok=True)
            (staging / "data" / "validation_summary.json").write_text(
                json.dumps(rows, indent=2) + "\n", encoding="utf-8"
            )
            t = time.perf_counter()
            sections = published_sections(read_all(work / "results"), params.disclosure, work)
            pdfs = None if force else work / "pdf"  # PDFs laid out before, reused when unchanged
            provenance = provenance_for(params_path, params)
            _documents(params, params_path, sections, rows, provenance, staging, pdfs, work)
            pdf_process.close()  # every PDF written, or the first failure raised
            _record(steps, params.run_name, "documents", t)
            _begin("manifest")
            write_manifest(
                staging,
                params_path=params_path,
                params=params,
                provenance=provenance,
                steps=steps,
                cache_keys={"analysis_key": a_key, "document_key": d_key},
            )
            _begin("check inputs unchanged")
            _check_unchanged(params_path, params, before)
            _begin("publish")
    return Outcome(
        params_path.name, str(final), "documents" if reuse else "built", time.perf_counter() - start
    )


def _documents(
    params: Params,
    params_path: Path,
    sections: list[Results],
    rows: list[dict],
    provenance: Provenance,
    staging: Path,
    pdfs: Path | None,
    work: Path,
) -> None:
    """Every document the parameters ask for, into ``staging`` (PDFs from ``pdfs`` when unchanged)."""
    from evaluation.data.store import read_validated
    from evaluation.documents.build import (
        build_decision_paper,
        build_delivery_plan,
        build_equalities_analysis,
        build_return,
        build_scrutiny_update,
        build_technical_report,
    )

    papers = {
        "decision_paper": build_decision_paper,
        "equalities_analysis": build_equalities_analysis,
        "scrutiny_update": build_scrutiny_update,
        "delivery_plan": build_delivery_plan,
    }
    for name, build in papers.items():
        if name in params.documents:
            _begin(f"documents: {name}")
            build(params, params_path, sections, rows, provenance, staging, pdf_cache=pdfs)
    if "technical_report" in params.documents:
        _begin("documents: technical_report")
        build_technical_report(params, params_path, sections, rows, provenance, staging)
    if "dwp_return" in params.documents:
        _begin("documents: dwp_return")
        build_return(params, sections, read_validated(work / "validated").participants.frame, staging)


def _keys(params_path: Path, params: Params) -> tuple[str, str]:
    """The run's analysis and document cache keys (``pipeline.cache``)."""
    a_key = cache.analysis_key(params_path, params)
    return a_key, cache.document_key(params_path, params, a_key)


def unchanged(params_path: Path, reports: Path) -> Outcome | None:
    """The outcome of a pack whose cache key matches its manifest, found in the main process
    before any worker starts (so an unchanged run costs a second, not the start of workers and
    libraries); None when it needs building or the check itself fails (its run then says why)."""
    start = time.perf_counter()
    try:
        area, period = pack_location(params_path)
        params = load_params(params_path)
        with source_date_epoch(params):
            d_key = _keys(params_path, params)[1]
    except (EvaluationError, OSError):
        return None
    final = reports / area / period
    if _manifest(final).get("cache", {}).get("document_key") != d_key:
        return None
    return Outcome(Path(params_path).name, str(final), "unchanged", time.perf_counter() - start)


def _copy_files(source: Path, target: Path) -> None:
    """Copy a flat folder's files one by one, so that a failure (a full disk) is the first one's,
    named, rather than a list gathered by ``shutil.copytree``."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if path.is_file():
            shutil.copyfile(path, target / path.name)


def _manifest(pack: Path) -> dict:
    try:
        return json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_one(params_path: Path, reports: Path, force: bool = False, alongside: bool = False) -> Outcome:
    """Build one pack, turning any failure into a plain-words outcome naming the step it failed
    at (for worker processes); the previous pack stays as it was (``alongside``: see ``_build``)."""
    start = time.perf_counter()
    _begin("start")
    name = Path(params_path).name

    def failed(reason: str) -> Outcome:
        return Outcome(
            name, "", "failed", time.perf_counter() - start, f"failed at step {_step[0]}: {reason}"
        )

    try:
        return _build(Path(params_path), Path(reports), force=force, alongside=alongside)
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted during {name}, step {_step[0]}") from None
    except (EvaluationError, PipelineError) as err:
        return failed(str(err))
    except OSError as err:
        if os.environ.get("EVALUATION_DEBUG"):
            raise
        return failed(_os_error(err))
    except Exception as err:  # a fault in the toolkit itself: this area fails, the others go on
        if os.environ.get("EVALUATION_DEBUG"):
            raise
        return failed(
            f"internal error ({type(err).__name__}: {err}); rerun this area with --debug --jobs 1 for the traceback"
        )


def _clear_leftovers(reports: Path) -> None:
    """Remove what a killed run left behind: staging folders, a pack set aside in the moment of
    the swap, a half-written validation and half-written files (safe: this run holds the lock)."""
    restore_or_clear(reports)
    for leftover in reports.glob(".internal/.validated/.validating-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for partial in reports.glob(".index.html.*"):
        partial.unlink(missing_ok=True)


def _descendants(pid: int | None) -> list[int]:
    """The processes started by ``pid``, and theirs (from /proc; none where there is no /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid] if pid else []
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _run_parallel(params_files: list[Path], reports: Path, force: bool, jobs: int) -> list[Outcome]:
    """Build the packs in worker processes. On Ctrl-C the workers are stopped at once, whatever
    they are doing, and what they left is cleared: no pack is replaced, as with one area."""
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=ignore_interrupt)
    try:
        outcomes = list(
            pool.map(run_one, params_files, [reports] * len(params_files), [force] * len(params_files))
        )
    except KeyboardInterrupt:
        workers = list(getattr(pool, "_processes", {}).values())
        for worker in workers:
            for child in _descendants(worker.pid):  # notebook kernels run in sessions of their own
                with contextlib.suppress(OSError):
                    os.kill(child, signal.SIGKILL)
            worker.kill()
        for worker in workers:
            worker.join()
        pool.shutdown(wait=True, cancel_futures=True)
        _clear_leftovers(reports)  # safe: the workers are gone and this run still holds the lock
        raise
    pool.shutdown()
    return outcomes


def run_report(
    params_files: list[Path], reports: Path, *, console: Console, jobs: int | None = None, force: bool = False
) -> bool:
    """Build every pack, in parallel up to the number of cores; True when all succeeded."""
    reports = Path(reports)
    with reports_lock(reports):
        _clear_leftovers(reports)
        done = {} if force else {p: o for p in params_files if (o := unchanged(p, reports)) is not None}
        todo = [p for p in params_files if p not in done]
        cores = os.cpu_count() or 1
        # One pack to build and cores to spare (not when --jobs 1 asked for one process): its PDFs
        # are laid out in a second process while the pack's other documents are written.
        alongside = jobs is None and cores > 1 and len(todo) == 1
        jobs = max(1, min(jobs or cores, len(todo)))
        if jobs == 1:
            built = [run_one(p, reports, force, alongside) for p in todo]
        else:
            built = _run_parallel(todo, reports, force, jobs)
        done |= dict(zip(todo, built, strict=True))
        outcomes = [done[p] for p in params_files]
        # The index lists the packs in the folder: rewritten unless no pack changed and it exists.
        if todo or not (reports / "index.html").exists():
            from evaluation.pipeline.index import write_index

            try:
                write_index(reports)
            except OSError as err:
                raise PipelineError(f"failed at step index: {_os_error(err)}", file=str(reports)) from None
    for o in outcomes:
        if o.status == "failed":
            console.print(f"[red]failed[/] {o.params_file}: {o.message}")
        else:
            words = {
                "built": "pack written",
                "documents": "documents re-rendered",
                "unchanged": "unchanged, nothing re-run",
            }[o.status]
            console.print(f"[green]{words}[/] {o.pack} ({o.seconds:.1f} s)")
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        console.print(
            f"[red]{len(failed)} of {len(outcomes)} runs failed[/]; their previous packs are unchanged."
        )
    return not failed
