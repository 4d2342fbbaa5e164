"""The report run end to end: the pack, its manifest, atomic replacement, notebooks stored clean."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import nbformat
from rich.console import Console

from evaluation.pipeline.notebooks import NOTEBOOK_DIR, NOTEBOOKS
from evaluation.pipeline.run import run_report
from tests.conftest import params_copy


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_pack_contents_and_manifest(rotherham_pack: Path) -> None:
    names = {p.name for p in rotherham_pack.rglob("*") if p.is_file()}
    assert {
        "decision_paper.pdf",
        "decision_paper.html",
        "manifest.json",
        "process_evaluation.ipynb",
        "validation_summary.json",
    } <= names
    manifest = json.loads((rotherham_pack / "manifest.json").read_text())
    on_disk = {k: v for k, v in _hashes(rotherham_pack).items() if k != "manifest.json"}
    assert manifest["outputs"] == on_disk
    for item in manifest["inputs"].values():
        assert hashlib.sha256(Path(item["file"]).read_bytes()).hexdigest() == item["sha256"]
    assert manifest["parameters"]["run_name"] == "rotherham_2026_27"
    assert not (rotherham_pack.parent / ".internal").exists()  # internal files sit outside the pack tree


def test_failed_run_leaves_previous_pack_intact(synthetic_dir: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    good = params_copy("rotherham_2026-27", synthetic_dir, tmp_path / "good")
    assert run_report([good], reports, console=Console(quiet=True))
    pack = reports / "rotherham" / "2026-27"
    before = _hashes(pack)
    bad = params_copy(
        "rotherham_2026-27",
        synthetic_dir,
        tmp_path / "bad",
        replace=("{fig:referrals} referrals into", "{fig:referalls} referrals into"),
    )
    assert not run_report([bad], reports, console=Console(quiet=True))
    assert _hashes(pack) == before
    leftovers = [p.name for p in pack.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers  # no staging folder left behind


def test_notebooks_are_thin_and_clean() -> None:
    for name in NOTEBOOKS:
        nb = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), (
            "store notebooks without outputs"
        )
        params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1
        names = {line.split("=")[0].strip() for line in params[0].source.splitlines() if "=" in line}
        assert names == {"params_file", "work_dir"}
        for c in code:
            assert "def " not in c.source and "class " not in c.source and "for " not in c.source, c.source


def _tiny_notebook(folder: Path, name: str, code: str) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    parameters = nbformat.v4.new_code_cell('params_file = ""\nwork_dir = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(code)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")


def test_notebooks_sharing_a_kernel_each_start_clean(tmp_path: Path, monkeypatch) -> None:
    """A pack's notebooks run in one kernel, yet each records what a kernel of its own gives: no
    variable of the notebook before it, cells counted from 1 (the same executed notebook)."""
    from evaluation.pipeline import notebooks as nbm

    _tiny_notebook(tmp_path / "nb", "first", "left_behind = 41\nprint(left_behind + 1)")
    _tiny_notebook(tmp_path / "nb", "second", "print('left_behind' in globals())")
    monkeypatch.setattr(nbm, "NOTEBOOK_DIR", tmp_path / "nb")
    params, work = tmp_path / "p.yaml", tmp_path / "work"

    def run(name: str, folder: str, kernel=None) -> dict:
        out = tmp_path / folder / f"{name}.ipynb"
        nbm.execute_notebook(name, params_path=params, work=work, out=out, kernel=kernel)
        return json.loads(out.read_text(encoding="utf-8"))

    with nbm.notebook_kernel(work) as kernel:
        shared = {name: run(name, "shared", kernel) for name in ("first", "second", "first")}
        assert kernel.started
    alone = {name: run(name, "alone") for name in ("first", "second")}
    assert shared == alone
    outputs = [c["outputs"] for c in shared["second"]["cells"] if c["outputs"]]
    assert outputs == [[{"name": "stdout", "output_type": "stream", "text": ["False\n"]}]]
    assert [c["execution_count"] for c in shared["first"]["cells"]] == [1, 2, 3]
