"""A due PDF render waits while the serving process is busy (its CPU measured by live.busyness), at
most pdf_render_defer_seconds; a download renders at once all the same; a quiet process renders
at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from autoscribe.live.busyness import Busyness
from tests.support.pdf_helpers import download, kept_pdf, new_clinic, own_app, queued_render, stored_pdf, text_of, until
from tests.support.reports_helpers import signed_report


class Gauge:
    """Stands in for the renderer's live.busyness gauge: busy or not as the test says (the gauge itself
    is tested below, with a thread that really spins)."""

    window = 0.05

    def __init__(self, share: float = 0.0):
        self.share = share

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


@contextlib.asynccontextmanager
async def gauge_of(services):
    """A Gauge in place of the renderer's while the block runs: the test says when it is busy."""
    real, gauge = services.pdfs.busyness, Gauge()
    services.pdfs.busyness = gauge
    try:
        yield gauge
    finally:
        services.pdfs.busyness = real


async def _async(value):
    return value


@contextlib.asynccontextmanager
async def app_with_clinic(database_url: str, **settings):
    """(services, api, http, clinic): an app of its own (polling its render queue often) and a clinic."""
    async with own_app(database_url, **{"pdf_poll_seconds": 0.2, **settings}) as (services, api, http):
        yield services, api, http, await new_clinic(services)


async def test_the_gauge_reads_a_spinning_thread_as_busy_and_an_idle_process_as_quiet():
    gauge = Busyness(window=0.1)
    gauge.start()
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(2000))

    thread = threading.Thread(target=spin, name="busy", daemon=True)
    try:
        await until(lambda: _async(gauge.share < 0.2), timeout=10, what="an idle process to read as quiet")
        thread.start()
        # A core's worth when the machine is free; less, but well above quiet, on a loaded one.
        await until(lambda: _async(gauge.share >= 0.3), timeout=10, what="the spinning thread to read as busy")
        stop.set()
        thread.join()
        await until(lambda: _async(gauge.share < 0.2), timeout=10, what="the process to read as quiet again")
    finally:
        stop.set()
        await gauge.stop()


async def test_a_busy_process_defers_the_render_until_it_is_quieter(own_database_url):
    async with app_with_clinic(own_database_url, pdf_render_defer_seconds=60) as (services, api, http, clinic):
        async with gauge_of(services) as gauge:
            gauge.share = 1.0
            study, report, *_ = await signed_report(api, services, clinic, text="Deferred while busy.")
            await asyncio.sleep(2)
            queued = await queued_render(services, report["id"])
            assert queued is not None and queued.claimed_by is None, "not claimed while the process is busy"
            assert await stored_pdf(services, report["id"]) is None
            # Quiet again: rendered within a few gauge windows and a poll, not after the 60 s.
            gauge.share = 0.0
            content = await kept_pdf(services, report["id"], timeout=20)
        assert "Deferred while busy." in text_of(content)
        assert await queued_render(services, report["id"]) is None


async def test_a_download_while_deferred_renders_at_once(own_database_url):
    async with app_with_clinic(own_database_url, pdf_render_defer_seconds=60) as (services, api, http, clinic):
        async with gauge_of(services) as gauge:
            gauge.share = 1.0
            study, report, *_ = await signed_report(api, services, clinic, text="Downloaded while busy.")
            content = await download(http, report["pdfUrl"])
            assert "Downloaded while busy." in text_of(content)
            assert await stored_pdf(services, report["id"]) == content
            assert await queued_render(services, report["id"]) is None


async def test_a_render_waits_no_longer_than_the_deferral(own_database_url):
    async with app_with_clinic(own_database_url, pdf_render_defer_seconds=1) as (services, api, http, clinic):
        async with gauge_of(services) as gauge:
            gauge.share = 1.0
            before = time.monotonic()
            study, report, *_ = await signed_report(api, services, clinic, text="Rendered though busy.")
            content = await kept_pdf(services, report["id"], timeout=30)
            assert time.monotonic() - before >= 1.0, "it waited the deferral first"
        assert "Rendered though busy." in text_of(content)


async def test_a_quiet_process_renders_at_once(own_database_url):
    async with app_with_clinic(own_database_url, pdf_poll_seconds=60, pdf_render_defer_seconds=60) as (
        services, api, http, clinic,
    ):
        async with gauge_of(services):
            study, report, *_ = await signed_report(api, services, clinic, text="Rendered at once.")
            # Woken by the commit (the poll is a minute away) and not deferred.
            content = await kept_pdf(services, report["id"], timeout=20)
        assert "Rendered at once." in text_of(content)
