"""One run at a time on a reports folder: a lock file naming its holder, with stale locks detected.

The lock is an advisory ``flock`` on ``reports/.lock``, which the operating system releases when
the process holding it ends, however it ends: a lock file left by a killed run is stale by
construction and the next run takes it over, while a live run's lock is refused with its holder
named. The file holds the holder's process, host and start time, for that message only.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evaluation.errors import PipelineError


def _holder(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return json.loads(os.read(fd, 4096).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def _unwritable(path: Path, err: OSError) -> PipelineError:
    return PipelineError(
        f"cannot create the run's lock file ({err.strerror or err}); the reports folder must be "
        "writable by the user running the toolkit",
        file=str(path),
    )


@contextmanager
def reports_lock(reports: Path) -> Iterator[Path]:
    """Hold ``reports/.lock`` for the run; refuse if a live run holds it, take it over if its
    holder has gone (a killed run), and release it however the run ends."""
    path = Path(reports) / ".lock"
    try:
        Path(reports).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _unwritable(path, err) from None
    me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise _unwritable(path, err) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = _holder(fd)
            os.close(fd)
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise _unwritable(path, err) from None
            raise PipelineError(
                f"another report run holds {path} (process {holder.get('pid', 'unknown')} on "
                f"{holder.get('host', 'unknown')}, started {holder.get('started', 'unknown')}); "
                "wait for it to finish",
                file=str(path),
            ) from None
        # The file may have been removed by the run that held it between our open and our lock:
        # then we hold a lock on a file no one else can see, and must try again.
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(me).encode("utf-8"))
    except OSError as err:
        os.close(fd)
        raise _unwritable(path, err) from None
    try:
        yield path
    finally:
        try:
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
