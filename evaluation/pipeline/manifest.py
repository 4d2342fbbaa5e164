"""Provenance and the pack manifest: what went in (by hash), what came out, and with what code."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation import __version__
from evaluation.params import Params, analysis_parameters, resolve_input

if TYPE_CHECKING:  # the documents' modules import pandas: not needed to check what changed
    from evaluation.documents.context import Provenance

PACKAGES = (
    "pandas",
    "numpy",
    "pandera",
    "pydantic",
    "statsmodels",
    "scipy",
    "jinja2",
    "weasyprint",
    "matplotlib",
    "afcharts",
    "papermill",
    "pyarrow",
    "openpyxl",
)
REPO = Path(__file__).resolve().parent.parent.parent


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_state() -> tuple[str, bool]:
    """(commit, tree clean?) of the toolkit's repository, or ('unknown', False) outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return commit, not dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def provenance_for(params_path: Path, params: Params) -> Provenance:
    """The run's identity: a hash of its analysis parameters, inputs and toolkit version (the
    documents' wording is not part of it: see ``Provenance``)."""
    from evaluation.documents.context import InputRecord, Provenance
    from evaluation.documents.render import source_date

    inputs = tuple(
        InputRecord(
            name, resolve_input(params_path, source).name, sha256_file(resolve_input(params_path, source))
        )
        for name, source in params.inputs
    )
    analysis = hashlib.sha256(analysis_parameters(params).encode()).hexdigest()
    commit, _ = git_state()
    identity = "|".join([analysis, *(i.sha256 for i in inputs), __version__])
    return Provenance(
        run_id=hashlib.sha256(identity.encode()).hexdigest()[:12],
        params_file=Path(params_path).name,
        analysis_sha256=analysis,
        inputs=inputs,
        commit=commit[:12],
        source_date=source_date().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def write_manifest(
    pack: Path,
    *,
    params_path: Path,
    params: Params,
    provenance: Provenance,
    steps: dict[str, float],
    cache_keys: dict[str, str],
) -> Path:
    """manifest.json: inputs, parameters, outputs with SHA-256, code and environment, step times."""
    commit, clean = git_state()
    outputs = {
        str(p.relative_to(pack)): sha256_file(p)
        for p in sorted(pack.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {
        "manifest_version": 1,
        "run_id": provenance.run_id,
        "params_file": str(Path(params_path).resolve()),
        "params_sha256": sha256_file(params_path),
        "analysis_parameters_sha256": provenance.analysis_sha256,
        "parameters": json.loads(params.model_dump_json()),
        "inputs": {
            i.name: {"file": str(resolve_input(params_path, src)), "sha256": i.sha256}
            for i, (_, src) in zip(provenance.inputs, params.inputs, strict=True)
        },
        "outputs": outputs,
        "code": {"toolkit_version": __version__, "git_commit": commit, "git_tree_clean": clean},
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "packages": {p: metadata.version(p) for p in PACKAGES},
        },
        "source_date_epoch": int(os.environ.get("SOURCE_DATE_EPOCH", "0")),
        "seeds": {"projection": 20250401},
        "step_seconds": {k: round(v, 3) for k, v in steps.items()},
        "cache": cache_keys,
    }
    path = pack / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
