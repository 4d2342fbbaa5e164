"""One run at a time on a reports folder: a lock file naming its holder, with stale locks detected."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evaluation.errors import PipelineError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def reports_lock(reports: Path) -> Iterator[Path]:
    """Hold ``reports/.lock`` for the run; refuse if a live run holds it, clear it if its holder died."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / ".lock"
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                holder = {}
            same_host = holder.get("host") == me["host"]
            if same_host and isinstance(holder.get("pid"), int) and not _alive(holder["pid"]):
                path.unlink(missing_ok=True)  # a stale lock from a run that was killed
                continue
            raise PipelineError(
                f"another report run holds {path} (process {holder.get('pid')} on {holder.get('host')}, "
                f"started {holder.get('started')}); wait for it to finish, or delete the file if that run is gone",
                file=str(path),
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(me, fh)
        break
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
