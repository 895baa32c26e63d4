"""What runs in the PDF worker processes (live.pdf_renderer starts them with the spawn method):
xhtml2pdf and little else, so that a worker starts quickly and holds little memory."""

from __future__ import annotations

import os
import signal

from autoscribe.operations.pdf import ReportDocument, render_report_pdf


def start(niceness: int) -> None:
    """A worker's initializer: below the serving process's priority, and deaf to the Ctrl-C meant
    for the server (which stops its workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        os.nice(niceness)


def render(document: ReportDocument) -> tuple[bytes, int]:
    """The PDF of `document`, and the ID of the process that rendered it."""
    return render_report_pdf(document), os.getpid()


def ready() -> int:
    """Nothing: submitted at start-up, so that a worker is up (and has imported xhtml2pdf) before
    the first sign-off. The worker's process ID."""
    return os.getpid()
