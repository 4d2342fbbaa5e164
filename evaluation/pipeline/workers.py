"""Worker processes of a report run (a pack's builder, a PDF's layout) leave Ctrl-C to the run.

Ctrl-C reaches every process of the terminal's foreground group at once; the run stops its
workers itself and says what was interrupted, so a worker that also stopped would only add a
traceback of its own.
"""

from __future__ import annotations

import signal


def ignore_interrupt() -> None:
    """In a worker: Ctrl-C (SIGINT) is the main process's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
