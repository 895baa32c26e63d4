"""A due PDF render waits while the serving process is busy (its CPU measured by live.busyness), at
most pdf_render_defer_seconds; a download renders at once all the same; a quiet process renders
at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from tests.support.pdf_helpers import download, kept_pdf, new_clinic, own_app, queued_render, stored_pdf, text_of, until
from tests.support.reports_helpers import signed_report


@contextlib.asynccontextmanager
async def busy_process(services):
    """A thread of this process spinning on the CPU, until the renderer's gauge reads it as busy."""
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(2000))

    thread = threading.Thread(target=spin, name="busy", daemon=True)
    thread.start()
    try:
        gauge = services.pdfs.busyness
        await until(lambda: _async(gauge.share >= services.settings.pdf_render_busy_share), timeout=10,
                    what="the process to read as busy")
        yield
    finally:
        stop.set()
        thread.join()


async def _async(value):
    return value


async def test_a_busy_process_defers_the_render_until_it_is_quieter(own_database_url):
    async with own_app(own_database_url, pdf_poll_seconds=0.2, pdf_render_defer_seconds=60) as (services, api, http):
        clinic = await new_clinic(services)
        async with busy_process(services):
            study, report, user, token = await signed_report(api, services, clinic, text="Deferred while busy.")
            await asyncio.sleep(2)
            queued = await queued_render(services, report["id"])
            assert queued is not None and queued.claimed_by is None, "not claimed while the process is busy"
            assert await stored_pdf(services, report["id"]) is None
        # Quiet again: rendered within a few gauge windows and a poll, not after the 60 s.
        started = time.monotonic()
        content = await kept_pdf(services, report["id"], timeout=20)
        assert time.monotonic() - started < 20
        assert "Deferred while busy." in text_of(content)
        assert await queued_render(services, report["id"]) is None


async def test_a_download_while_deferred_renders_at_once(own_database_url):
    async with own_app(own_database_url, pdf_poll_seconds=0.2, pdf_render_defer_seconds=60) as (services, api, http):
        clinic = await new_clinic(services)
        async with busy_process(services):
            study, report, user, token = await signed_report(api, services, clinic, text="Downloaded while busy.")
            content = await download(http, report["pdfUrl"])
            assert "Downloaded while busy." in text_of(content)
            assert await stored_pdf(services, report["id"]) == content
            assert await queued_render(services, report["id"]) is None


async def test_a_render_waits_no_longer_than_the_deferral(own_database_url):
    async with own_app(own_database_url, pdf_poll_seconds=0.2, pdf_render_defer_seconds=1) as (services, api, http):
        clinic = await new_clinic(services)
        async with busy_process(services):
            study, report, user, token = await signed_report(api, services, clinic, text="Rendered though busy.")
            content = await kept_pdf(services, report["id"], timeout=30)
            assert services.pdfs.busyness.share >= services.settings.pdf_render_busy_share, "still busy"
        assert "Rendered though busy." in text_of(content)


async def test_a_quiet_process_renders_at_once(own_database_url):
    async with own_app(own_database_url, pdf_poll_seconds=60, pdf_render_defer_seconds=60) as (services, api, http):
        clinic = await new_clinic(services)
        await until(lambda: _async(services.pdfs.busyness.share < services.settings.pdf_render_busy_share),
                    timeout=10, what="the process to read as quiet")
        study, report, user, token = await signed_report(api, services, clinic, text="Rendered at once.")
        # Woken by the commit (the poll is a minute away) and not deferred.
        assert "Rendered at once." in text_of(await kept_pdf(services, report["id"], timeout=20))
