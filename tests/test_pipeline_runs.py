"""Reproducibility, incremental runs, verification, killed runs and concurrent runs."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from evaluation.errors import PipelineError
from evaluation.pipeline.lock import reports_lock
from evaluation.pipeline.run import run_one, run_report
from evaluation.pipeline.verify import verify_pack
from tests.conftest import params_copy


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(synthetic_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A reports folder with the Rotherham 2026/27 pack, built on a private copy of the inputs."""
    base = tmp_path_factory.mktemp("runs")
    inputs = base / "inputs"
    inputs.mkdir()
    for f in synthetic_dir.iterdir():
        (inputs / f.name).write_bytes(f.read_bytes())
    params = params_copy("rotherham_2026-27", inputs, base / "params")
    reports = base / "reports"
    assert run_report([params], reports, console=Console(quiet=True), jobs=1)
    return params, reports, inputs


def test_unchanged_rerun_executes_nothing(built) -> None:
    params, reports, _ = built
    before = _hashes(reports / "rotherham" / "2026-27")
    outcome = run_one(params, reports)
    assert outcome.status == "unchanged", outcome
    assert _hashes(reports / "rotherham" / "2026-27") == before


def test_narrative_change_rerenders_documents_only(built, tmp_path: Path) -> None:
    params, reports, _ = built
    original = params.read_text(encoding="utf-8")
    try:
        params.write_text(original.replace("Borough-Wide", "All wards"), encoding="utf-8")
        outcome = run_one(params, reports)
        assert outcome.status == "documents", outcome
        manifest = json.loads((reports / "rotherham" / "2026-27" / "manifest.json").read_text())
        assert not any(k.startswith("notebook:") for k in manifest["step_seconds"])
        assert "All wards" in (reports / "rotherham" / "2026-27" / "decision_paper.html").read_text()
    finally:
        params.write_text(original, encoding="utf-8")
        run_one(params, reports)


def test_rewording_one_paper_lays_out_only_that_paper(built, monkeypatch) -> None:
    """The run identifier names the analysis, not the papers' wording: after an edit to the
    decision paper's text, only its PDF is laid out again; the other papers are the same bytes,
    taken from the PDFs made before, and say the same run identifier."""
    from evaluation.documents import render

    params, reports, _ = built
    pack = reports / "rotherham" / "2026-27"
    before = _hashes(pack)
    laid_out: list[str] = []
    real = render.render_pdf

    def counted(html: str, *, base: Path) -> bytes:
        laid_out.append(html[html.index("<title>") : html.index("</title>")])
        return real(html, base=base)

    monkeypatch.setattr(render, "render_pdf", counted)
    original = params.read_text(encoding="utf-8")
    sentence = "This report outlines a strategic initiative"
    assert sentence in original
    try:
        params.write_text(
            original.replace(sentence, "This report sets out a strategic initiative"), encoding="utf-8"
        )
        assert run_one(params, reports).status == "documents"
        after = _hashes(pack)
        assert len(laid_out) == 1 and "Equalities" not in laid_out[0], laid_out
        changed = {k for k in before if before[k] != after.get(k)}
        assert {"decision_paper.pdf", "decision_paper.html"} <= changed
        assert not changed & {"equalities_analysis.pdf", "scrutiny_update.pdf", "equalities_analysis.html"}
        run_id = re.compile(r"Run identifier</th><td>([0-9a-f]{12})<")
        ids = {
            run_id.search((pack / f"{d}.html").read_text()).group(1)
            for d in ("decision_paper", "scrutiny_update")
        }
        assert len(ids) == 1
    finally:
        params.write_text(original, encoding="utf-8")
        run_one(params, reports)


def test_two_runs_give_identical_bytes_and_verify_passes(built) -> None:
    params, reports, _ = built
    pack = reports / "rotherham" / "2026-27"
    before = _hashes(pack)
    assert run_one(params, reports, force=True).status == "built"
    after = _hashes(pack)
    assert {k: v for k, v in after.items() if k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    result = verify_pack(pack)
    assert (
        result.ok
        and "decision_paper.pdf" in result.identical
        and "notebooks/process_evaluation.ipynb" in result.identical
    )


def test_changed_input_fails_verification_naming_it(built) -> None:
    _params, reports, inputs = built
    budget = inputs / "budget.csv"
    original = budget.read_bytes()
    try:
        budget.write_bytes(original.replace(b"224688", b"224689", 1))
        result = verify_pack(reports / "rotherham" / "2026-27")
        assert not result.ok
        assert any("budget" in item for item in result.changed_inputs)
        assert "decision_paper.pdf" in result.differing  # the budget table and total change
    finally:
        budget.write_bytes(original)


def test_lock_refuses_a_second_run_and_clears_a_stale_one(built, tmp_path: Path) -> None:
    params, _, _ = built
    reports = tmp_path / "reports"
    with reports_lock(reports):
        with pytest.raises(PipelineError) as err:
            run_report([params], reports, console=Console(quiet=True), jobs=1)
        assert "another report run holds" in str(err.value) and str(os.getpid()) in str(err.value)
    # A lock left by a process that no longer exists is stale and is cleared.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    import socket

    (reports / ".lock").write_text(
        json.dumps({"pid": int(dead), "host": socket.gethostname(), "started": "earlier"})
    )
    with reports_lock(reports) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert not (reports / ".lock").exists()


@pytest.mark.slow
def test_killed_run_leaves_previous_pack_intact(built) -> None:
    params, reports, _ = built
    pack = reports / "rotherham" / "2026-27"
    before = _hashes(pack)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evaluation",
            "report",
            str(params),
            "--reports",
            str(reports),
            "--force",
            "--jobs",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list((reports / "rotherham").glob(".2026-27.staging-*/notebooks")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _hashes(pack) == before
    assert not any(
        p.name == "decision_paper.pdf" for p in pack.parent.iterdir()
    )  # nothing under a final name but the pack
    assert (reports / ".lock").exists()  # the killed run's lock is left, and is stale
    assert run_one(params, reports).status in {"unchanged", "documents", "built"}
