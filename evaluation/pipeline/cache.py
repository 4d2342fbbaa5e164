"""Cache keys: a run re-executes only what its inputs, parameters, code or environment changed.

Two keys per run. The *analysis* key covers the inputs, the parameters other than the document's
narrative, the analysis code and notebooks, and the environment: when it is unchanged the
validated tables and notebook results are reused. The *document* key adds the narrative,
templates and document code: when it too is unchanged, nothing is redone at all. Unlike a
freeze keyed on source alone, data, parameters, code and environment are all in the key.
"""

from __future__ import annotations

import hashlib
import os
import platform
from pathlib import Path

from evaluation.params import Params, analysis_parameters, resolve_input
from evaluation.pipeline.manifest import REPO, sha256_file

DOCUMENT_CODE = (
    "evaluation/documents",
    "evaluation/published.py",
    "evaluation/charts.py",
    "evaluation/disclosure.py",
    "templates",
)
ANALYSIS_CODE = ("evaluation", "notebooks", "requirements.lock", "pyproject.toml")


def _tree_hash(paths: tuple[str, ...], exclude: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for rel in paths:
        root = REPO / rel
        files = (
            [root]
            if root.is_file()
            else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        )
        for f in files:
            name = str(f.relative_to(REPO))
            if any(name == e or name.startswith(e + "/") for e in exclude):
                continue
            h.update(name.encode())
            h.update(sha256_file(f).encode())
    return h.hexdigest()


def _environment() -> str:
    return "|".join([platform.python_version(), os.environ.get("SOURCE_DATE_EPOCH", "")])


def analysis_key(params_path: Path, params: Params) -> str:
    """Inputs, parameters without the document narrative, analysis code and environment."""
    parts = [
        analysis_parameters(params),
        *(sha256_file(resolve_input(params_path, src)) for _, src in params.inputs),
        _tree_hash(ANALYSIS_CODE, exclude=DOCUMENT_CODE),
        _environment(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def document_key(params_path: Path, params: Params, analysis: str) -> str:
    """The analysis key plus the whole parameters file, templates and document code."""
    parts = [analysis, sha256_file(params_path), _tree_hash(DOCUMENT_CODE)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
