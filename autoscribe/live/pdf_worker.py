"""What runs in the PDF worker processes (live.pdf_renderer starts them with the spawn method):
xhtml2pdf and little else, so that a worker starts quickly and holds little memory."""

from __future__ import annotations

import os
import signal
import threading
import time

from autoscribe.operations.pdf import ReportDocument, render_report_pdf


# How often a worker looks whether the server that started it is still there.
PARENT_CHECK_SECONDS = 1.0


def start(niceness: int, parent: int) -> None:
    """A worker's initializer: below the serving process's priority, deaf to the Ctrl-C meant for
    the server (which stops its workers itself), and gone when the server is: a server killed
    outright (SIGKILL, the out-of-memory killer) cannot stop its workers, and a worker would wait
    for work for ever (it holds both ends of its own queue, so it never reads an end of file)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        os.nice(niceness)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def render(document: ReportDocument) -> tuple[bytes, int]:
    """The PDF of `document`, and the ID of the process that rendered it."""
    return render_report_pdf(document), os.getpid()


def ready() -> int:
    """Nothing: submitted at start-up, so that a worker is up (and has imported xhtml2pdf) before
    the first sign-off. The worker's process ID."""
    return os.getpid()
