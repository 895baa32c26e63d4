"""The PDF renderer: report PDFs rendered in worker processes, never on the serving process's event
loop or under its GIL (xhtml2pdf spends tens of ms of CPU a page), durably.

Signing a report queues its render in the signing transaction (operations.report_pdfs): a row of
pdf_renders, deleted in the statement that keeps the PDF, so a signed report always has its PDF
or a queued render, whatever crashes or restarts in between. The renderer of every process looks
at the queue when a signing in its process commits (db.after_commit) and every pdf_poll_seconds;
while this process is busy serving (live.busyness) it waits, at most until a render has been due
pdf_render_defer_seconds; then it claims due renders in the database (a conditional UPDATE; of
several processes one wins each) and renders them in a `ProcessPoolExecutor` of its own (spawn,
pdf_render_processes workers, niced, each ending with this process however it ends). A
claim outlives the render's time limit, so one left by a process that died expires and another
process takes the render up. A render that fails (the worker was killed, xhtml2pdf failed, the
time limit passed) is noted and tried again later, and the pool is replaced if it broke.

A download of a PDF not kept yet (`pdf_of`) waits for it: for this process's render of it, or for
another process's (looking at the database), or claims the render and does it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import socket
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from autoscribe.core.services import Services
from autoscribe.db.types import utcnow
from autoscribe.live import pdf_worker
from autoscribe.live.busyness import Busyness
from autoscribe.live.passes import cancel_and_wait, run_passes
from autoscribe.operations import report_pdfs
from autoscribe.operations.pdf import ReportDocument

log = logging.getLogger("autoscribe.pdf")

# How long a claim outlives a render's time limit: time to keep the PDF.
CLAIM_GRACE_SECONDS = 10
# The first retry of a failed render waits this long, each next one twice as long, up to the max.
RETRY_BASE_SECONDS = 1.0
RETRY_MAX_SECONDS = 600.0
# A worker process is replaced after this many renders (xhtml2pdf and reportlab keep caches).
RENDERS_PER_WORKER = 200
# How often a download waiting for another process's render looks at the database.
WAIT_POLL_SECONDS = 0.1


class PdfUnavailable(Exception):
    """The PDF of a signed report could not be had in time (its render failed or is still under way)."""


def retry_delay(attempts: int) -> float:
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)


class PdfRenderer:
    def __init__(self, svc: Services):
        self.svc = svc
        self.name = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pool: ProcessPoolExecutor | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._warm: asyncio.Task | None = None
        # This process's renders under way, by report ID: each resolves to the PDF kept (None if
        # the report is gone); the background loop's and the downloads' alike.
        self._renders: dict[str, asyncio.Task[bytes | None]] = {}
        # How busy this process is: due renders wait while it is (_while_busy).
        self.busyness = Busyness()

    @property
    def lease_seconds(self) -> float:
        return self.svc.settings.pdf_render_timeout_seconds + CLAIM_GRACE_SECONDS

    async def after_commit(self, events: list) -> None:
        """A commit that signed a report: look at the queue now rather than at the next poll."""
        if self._task is not None and any(e.kind in report_pdfs.SIGNED_KINDS for e in events):
            self._wake.set()

    async def start(self) -> None:
        if self.svc.settings.pdf_worker:
            self.busyness.start()
            self._task = asyncio.create_task(self._run(), name="pdf-renderer")
            self._warm = asyncio.create_task(self._warm_up(), name="pdf-renderer-warm-up")

    async def _warm_up(self) -> None:
        """A worker started now (spawning it and importing xhtml2pdf takes a second or more), not at
        the first sign-off."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool_now(), pdf_worker.ready)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the first render starts one (and says why it cannot)
            log.warning("could not start a PDF worker process", exc_info=True)

    async def stop(self) -> None:
        await cancel_and_wait([t for t in (self._task, self._warm, *self._renders.values()) if t is not None])
        await self.busyness.stop()
        self._task = self._warm = None
        if self._pool is not None:
            self._discard(self._pool)
        # Renders cut short are taken up again at once (by another process, or after a restart).
        with contextlib.suppress(Exception):
            await report_pdfs.release_renders(self.svc, self.name)

    def worker_pids(self) -> list[int]:
        """The IDs of the worker processes running now (none before the first render)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}  # ProcessPoolExecutor keeps no public list
        return [p.pid for p in list(processes.values()) if p.is_alive()]

    # The background loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        await run_passes(self._dispatch, self._wake, self.svc.settings.pdf_poll_seconds, log, "PDF render")

    async def _dispatch(self) -> None:
        """Claim as many due renders as there are idle workers, and start each."""
        free = self.svc.settings.pdf_render_processes - len(self._renders)
        if free <= 0:
            return  # a render ending wakes the loop
        await self._while_busy()
        for report_id in await report_pdfs.claim_due_renders(self.svc, self.name, self.lease_seconds, free):
            if report_id not in self._renders:  # (a claim of this process's that expired under way)
                self._start(report_id)

    async def _while_busy(self) -> None:
        """While this process is busy serving, wait, unless the oldest due render has waited
        pdf_render_defer_seconds already: a render's CPU on the machine's cores slows the answers
        of a busy process (measured: the worklist's p99 during a burst of sign-offs, bench figure 5)."""
        settings = self.svc.settings
        if settings.pdf_render_defer_seconds <= 0 or self.busyness.share < settings.pdf_render_busy_share:
            return
        since = await report_pdfs.oldest_due(self.svc)
        if since is None:
            return
        waited = (utcnow() - since).total_seconds()
        left = settings.pdf_render_defer_seconds - waited
        if left <= 0:
            return
        log.debug("PDF renders wait while this process is busy (%.0f%% of a core), at most %.1f s",
                  100 * self.busyness.share, left)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + left
        while self.busyness.share >= settings.pdf_render_busy_share and loop.time() < deadline:
            await asyncio.sleep(min(self.busyness.window, max(deadline - loop.time(), 0)))

    def _start(self, report_id: str) -> asyncio.Task[bytes | None]:
        task = asyncio.create_task(self._render(report_id), name=f"pdf-{report_id}")
        self._renders[report_id] = task

        def ended(done: asyncio.Task) -> None:
            if self._renders.get(report_id) is done:
                del self._renders[report_id]
            self._wake.set()  # a worker is free
            if not done.cancelled():
                done.exception()  # noted by _render already; a download that waited saw it too

        task.add_done_callback(ended)
        return task

    async def _render(self, report_id: str) -> bytes | None:
        """Render and keep the PDF of a report whose render this process has claimed."""
        found = await report_pdfs.document_to_render(self.svc, report_id)
        if found is None:
            await report_pdfs.drop_render(self.svc, report_id)
            return None
        clinic_id, document = found
        try:
            content, pid = await self._in_worker(document)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            attempts = await report_pdfs.render_failed(self.svc, report_id, self.name, error, retry_delay)
            log.warning("rendering the PDF of %s failed (attempt %d: %s); it will be tried again",
                        report_id, attempts, error)
            raise
        # Logged before it is kept: whoever sees the kept PDF finds its render in the log already.
        log.info("rendered the PDF of %s in worker process %d", report_id, pid)
        await report_pdfs.keep_pdf(self.svc, report_id, clinic_id, content)
        return content

    async def _in_worker(self, document: ReportDocument) -> tuple[bytes, int]:
        pool = self._pool_now()
        limit = self.svc.settings.pdf_render_timeout_seconds
        try:
            # Submitting raises BrokenProcessPool too, when a worker died while the pool was idle.
            future = asyncio.get_running_loop().run_in_executor(pool, pdf_worker.render, document)
            async with asyncio.timeout(limit):
                return await future
        except TimeoutError:
            self._discard(pool)  # the worker stuck on it is killed; a new pool takes the next render
            raise TimeoutError(f"the render took longer than {limit:g} s") from None
        except BrokenProcessPool:
            self._discard(pool)  # a worker died (killed, out of memory): a new pool for the next render
            raise

    def _pool_now(self) -> ProcessPoolExecutor:
        if self._pool is None:
            settings = self.svc.settings
            self._pool = ProcessPoolExecutor(
                max_workers=settings.pdf_render_processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=pdf_worker.start,
                initargs=(settings.pdf_render_nice, os.getpid()),
                max_tasks_per_child=RENDERS_PER_WORKER,
            )
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Stop `pool` now, killing its workers (what they render is tried again)."""
        if self._pool is pool:
            self._pool = None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.kill()

    # Downloads -----------------------------------------------------------------------------------

    async def pdf_of(self, clinic_id: str, report_id: str) -> bytes | None:
        """The PDF of a signed report of the clinic, waiting for its render if it is not kept yet;
        None if there is no such signed report. PdfUnavailable if it cannot be had in time."""
        deadline = asyncio.get_running_loop().time() + self.svc.settings.pdf_download_wait_seconds
        requested = False
        while True:
            content, signed = await report_pdfs.kept_pdf(self.svc, clinic_id, report_id)
            if content is not None or not signed:
                return content
            task = self._renders.get(report_id)
            if task is None:
                if not requested:
                    await report_pdfs.ensure_requested(self.svc, clinic_id, report_id)
                    requested = True
                if await report_pdfs.claim_render(self.svc, report_id, self.name, self.lease_seconds):
                    task = self._renders.get(report_id) or self._start(report_id)
            if task is not None:
                try:
                    content = await asyncio.shield(task)
                except asyncio.CancelledError:
                    if task.cancelled() and not _current_task_cancelling():
                        raise PdfUnavailable("the server is stopping") from None
                    raise
                except Exception as exc:
                    raise PdfUnavailable(f"the render failed: {type(exc).__name__}: {exc}") from exc
                if content is not None:
                    return content
                continue  # the report is gone: the next look says so
            # Another process renders it: wait for it to be kept, or for its claim to expire.
            if asyncio.get_running_loop().time() > deadline:
                raise PdfUnavailable("the render did not finish in time")
            await asyncio.sleep(WAIT_POLL_SECONDS)


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return bool(task and task.cancelling())
