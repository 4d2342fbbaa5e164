"""Atomic output: build a pack in a staging folder, then swap it in with one rename.

A failed or killed run leaves the previous pack as it was; a half-written pack never sits under
a final name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield an empty staging folder beside ``final``; on success replace ``final`` with it."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a published pack is readable like any folder
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    try:
        if final.exists():
            os.replace(final, old)
        os.replace(staging, final)
    except BaseException:
        if old.exists() and not final.exists():
            os.replace(old, final)  # the previous pack back under its name
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def restore_or_clear(reports: Path) -> None:
    """After a killed run: a pack set aside in the instant of its swap goes back under its name if
    the new one never arrived, and is removed if it did; staging folders are removed."""
    for leftover in Path(reports).glob("*/.*.old-*"):
        final = leftover.parent / leftover.name[1:].rsplit(".old-", 1)[0]
        if not final.exists():
            os.replace(leftover, final)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in Path(reports).glob("*/.*.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a file under a temporary name and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the file is as readable as any other
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
