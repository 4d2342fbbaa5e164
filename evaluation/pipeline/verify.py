"""Verify a pack: rerun it from its manifest's inputs into a temporary folder and compare bytes.

Reports, per output file, identical or differing; names any input or parameters file that no
longer matches the manifest. An external evaluator runs this on the pack they were sent.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.errors import PipelineError
from evaluation.pipeline.manifest import sha256_file


@dataclass
class Verification:
    pack: str
    changed_inputs: list[str] = field(default_factory=list)
    identical: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed_inputs or self.differing or self.missing or self.extra)


def verify_pack(pack: Path) -> Verification:
    """Rerun the pack's parameters file on its inputs and compare every output with the manifest."""
    from evaluation.pipeline.run import _build, pack_location

    pack = Path(pack)
    try:
        manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PipelineError(
            f"cannot read the pack's manifest ({err})", file=str(pack / "manifest.json")
        ) from None
    result = Verification(str(pack))
    params_file = Path(manifest["params_file"])
    if not params_file.exists():
        raise PipelineError("the parameters file named in the manifest is missing", file=str(params_file))
    if sha256_file(params_file) != manifest["params_sha256"]:
        result.changed_inputs.append(f"parameters file {params_file}")
    for name, item in sorted(manifest["inputs"].items()):
        path = Path(item["file"])
        if not path.exists():
            result.changed_inputs.append(f"{name}: {path} is missing")
        elif sha256_file(path) != item["sha256"]:
            result.changed_inputs.append(f"{name}: {path}")
    old_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(manifest["source_date_epoch"])
    try:
        with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
            outcome = _build(params_file, Path(tmp), force=True)
            area, period = pack_location(params_file)
            rebuilt = Path(tmp) / area / period
            new = {
                str(p.relative_to(rebuilt)): sha256_file(p)
                for p in rebuilt.rglob("*")
                if p.is_file() and p.name != "manifest.json"
            }
    finally:
        if old_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old_epoch
    del outcome
    for name, digest in sorted(manifest["outputs"].items()):
        if name not in new:
            result.missing.append(name)
        elif new[name] == digest and (pack / name).exists() and sha256_file(pack / name) == digest:
            result.identical.append(name)
        else:
            result.differing.append(name)
    result.extra = sorted(set(new) - set(manifest["outputs"]))
    return result
