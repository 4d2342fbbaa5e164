"""The command line prints messages, not tracebacks, and exits non-zero when it must stop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

PARAMS = Path(__file__).parent.parent / "params" / "rotherham_2026-27.yaml"


def _params_for(inputs: Path, tmp_path: Path, extra: tuple[str, str] | None = None) -> Path:
    text = PARAMS.read_text(encoding="utf-8").replace("../inputs/", f"{inputs}/")
    if extra:
        text = text.replace(*extra)
    path = tmp_path / "rotherham_2026-27.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evaluation", *args], capture_output=True, text=True, timeout=300
    )


def test_validate_prints_summary(synthetic_dir: Path, tmp_path: Path) -> None:
    result = _run("validate", str(_params_for(synthetic_dir, tmp_path)), "--quarantine", str(tmp_path / "q"))
    assert result.returncode == 0, result.stderr
    assert "participants.csv" in result.stdout and "4,895" in result.stdout
    assert (tmp_path / "q" / "rotherham_2026_27" / "findings.csv").exists()


def test_identifier_column_stops_with_message(synthetic_dir: Path, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for f in synthetic_dir.iterdir():
        (inputs / f.name).write_bytes(f.read_bytes())
    frame = pd.read_csv(inputs / "participants.csv", dtype=str, keep_default_na=False)
    frame.insert(1, "Email", [f"person{i}@example.org" for i in range(len(frame))])
    frame.to_csv(inputs / "participants.csv", index=False)
    result = _run("validate", str(_params_for(inputs, tmp_path)))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert (
        "'Email'" in result.stderr
        and "direct identifier" in result.stderr
        and "participants.csv" in result.stderr
    )


def test_bad_parameter_key_stops_with_message(synthetic_dir: Path, tmp_path: Path) -> None:
    path = _params_for(synthetic_dir, tmp_path, ("  threshold: 10\n", "  threshhold: 10\n"))
    result = _run("validate", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "disclosure.threshhold" in result.stderr and str(path) in result.stderr


def test_every_command_has_help() -> None:
    for command in ("synth", "validate", "report", "dictionary"):
        result = _run(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout
