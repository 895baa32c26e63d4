"""Report PDFs rendered off the serving process, durably: in a worker process, after a restart,
for a download that comes first, once with two server processes, and despite a killed worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal

from autoscribe.operations import pdf
from tests.support.live_server import ServeProcess
from tests.support.pdf_helpers import (
    LONG_TEXT,
    download,
    kept_pdf,
    new_clinic,
    own_app,
    queued_render,
    renders_logged,
    stored_pdf,
    text_of,
    until,
)
from tests.support.reports_helpers import ADDENDUM, new_study, radiologist, sign, signed_report, start


def _unrenderable_here(monkeypatch):
    """Any render in this (the serving) process fails; the worker processes import their own copy."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("a PDF was rendered in the serving process")

    monkeypatch.setattr(pdf, "render_report_pdf", refuse)
    monkeypatch.setattr(pdf.pisa, "CreatePDF", refuse)


async def test_a_sign_off_returns_and_a_worker_process_renders_its_pdf(api, http, services, clinic, monkeypatch,
                                                                        caplog):
    caplog.set_level(logging.INFO, logger="autoscribe.pdf")
    _unrenderable_here(monkeypatch)
    user, token = await radiologist(services, clinic, first_name="Ana", last_name="Lima")
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    signed = await sign(api, token, report["id"], text="IMPRESSION: Small left pleural effusion.", critical=True)
    assert signed["status"] == "COMPLETED" and signed["pdfUrl"]

    content = await kept_pdf(services, report["id"])
    text = text_of(content)
    for expected in ("Small left pleural effusion", "Ana Lima", f"NPI {user.npi_number}", "CRITICAL RESULT",
                     "Doe^Jane", study["studyInstanceUid"]):
        assert expected in text, expected
    [pid] = renders_logged(caplog.records, report["id"])
    assert pid != os.getpid(), "rendered in the serving process"
    assert pid in services.pdfs.worker_pids()
    assert await download(http, signed["pdfUrl"]) == content

    # An addendum's PDF too: the original and the addendum, in order.
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    amended = await sign(api, token, addendum["id"], text="Addendum: effusion is trace only.")
    text = text_of(await kept_pdf(services, addendum["id"]))
    assert text.index("Small left pleural effusion") < text.index("effusion is trace only")
    assert [p != os.getpid() for p in renders_logged(caplog.records, addendum["id"])] == [True]
    assert text_of(await download(http, amended["pdfUrl"])) == text


async def test_a_download_during_the_render_waits_for_it(api, http, services, clinic, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="autoscribe.pdf")
    _unrenderable_here(monkeypatch)
    study, report, user, token = await signed_report(api, services, clinic, text=LONG_TEXT)
    assert await stored_pdf(services, report["id"]) is None, "the long render is still under way"

    first, second = await asyncio.gather(download(http, report["pdfUrl"]), download(http, report["pdfUrl"]))
    assert first == second == await stored_pdf(services, report["id"])
    text = text_of(first)
    assert "FINDINGS 1:" in text and "Heart size normal." in text
    assert len(renders_logged(caplog.records, report["id"])) == 1, "the downloads waited for the one render"


async def test_a_download_before_any_render_renders_it_once(own_database_url, caplog):
    caplog.set_level(logging.INFO, logger="autoscribe.pdf")
    # A process that renders nothing in the background: only the download can render.
    async with own_app(own_database_url, pdf_worker=False) as (services, api, http):
        clinic = await new_clinic(services)
        study, report, user, token = await signed_report(api, services, clinic, text="Rendered on download.")
        await asyncio.sleep(0.5)
        assert await stored_pdf(services, report["id"]) is None
        assert (await queued_render(services, report["id"])) is not None

        contents = await asyncio.gather(*(download(http, report["pdfUrl"]) for _ in range(3)))
        assert contents[0] == contents[1] == contents[2] == await stored_pdf(services, report["id"])
        assert "Rendered on download." in text_of(contents[0])
        [pid] = renders_logged(caplog.records, report["id"])
        assert pid != os.getpid()
        assert await queued_render(services, report["id"]) is None


async def test_a_restart_finishes_a_pending_render(own_database_url):
    async with own_app(own_database_url, pdf_worker=False) as (services, api, http):
        clinic = await new_clinic(services)
        study, report, user, token = await signed_report(api, services, clinic, text="Signed before the restart.")
    # Stopped with the render still queued: nothing rendered it.
    assert await queued_render(services, report["id"]) is not None

    async with own_app(own_database_url, pdf_poll_seconds=0.2) as (services, api, http):
        content = await kept_pdf(services, report["id"])
        assert "Signed before the restart." in text_of(content)
        assert await queued_render(services, report["id"]) is None
        assert await download(http, report["pdfUrl"]) == content


async def test_two_server_processes_render_each_pdf_once(own_database_url, tmp_path):
    async with own_app(own_database_url, pdf_worker=False) as (services, api, http):
        clinic = await new_clinic(services)
        user, token = await radiologist(services, clinic)
        report_ids = []
        for _ in range(4):
            study = await new_study(api, clinic)
            report = await start(api, token, study["id"])
            report_ids.append((await sign(api, token, report["id"], text=f"Report of {study['id']}."))["id"])

        logs = [tmp_path / f"serve-{n}.log" for n in (1, 2)]
        # Niceness 0: on a busy machine niced workers wait for every other process.
        servers = [ServeProcess(own_database_url, log=log, pdf_poll_seconds=0.2, pdf_render_nice=0, log_level="INFO")
                   for log in logs]
        try:
            await asyncio.gather(*(s.start() for s in servers))

            async def all_kept():
                return all([await stored_pdf(services, r) is not None for r in report_ids])

            await until(all_kept, timeout=90, what="every PDF kept")
        finally:
            for s in servers:
                s.stop()
        rendered = [m for log in logs for m in re.findall(r"rendered the PDF of (\S+) in worker process", log.read_text())]
        assert sorted(rendered) == sorted(report_ids), "each PDF rendered once, by one of the processes"
        for report_id in report_ids:
            assert await queued_render(services, report_id) is None
            assert "Report of " in text_of(await stored_pdf(services, report_id))


async def test_a_killed_worker_does_not_lose_the_pdf(own_database_url, caplog):
    caplog.set_level(logging.INFO, logger="autoscribe.pdf")
    async with own_app(own_database_url, pdf_poll_seconds=0.2) as (services, api, http):
        clinic = await new_clinic(services)
        study, report, user, token = await signed_report(api, services, clinic, text=LONG_TEXT + "\n\nTHE END.")

        async def rendering():
            queued = await queued_render(services, report["id"])
            return bool(queued and queued.claimed_by == services.pdfs.name and services.pdfs.worker_pids())

        await until(rendering, what="the render to start")
        [killed] = services.pdfs.worker_pids()
        os.kill(killed, signal.SIGKILL)

        content = await kept_pdf(services, report["id"], timeout=90)
        text = text_of(content)
        assert "FINDINGS 1:" in text and "THE END." in text
        [pid] = renders_logged(caplog.records, report["id"])
        assert pid != killed
        failures = [r.getMessage() for r in caplog.records if "failed (attempt 1" in r.getMessage()]
        assert failures and report["id"] in failures[0], "the killed render was noted and tried again"
        assert await queued_render(services, report["id"]) is None
        assert await download(http, report["pdfUrl"]) == content


def _spawned_children(pid: int) -> list[int]:
    """The multiprocessing processes (PDF worker, resource tracker) that process `pid` started."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(c) for c in f.read().split()]
    return [c for c in found if "multiprocessing" in _cmdline(c)]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


def _running(pid: int) -> bool:
    """Whether `pid` runs (a zombie that nobody reaps, as under a container's PID 1, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_a_killed_server_leaves_no_worker_process_behind(own_database_url, tmp_path):
    server = ServeProcess(own_database_url, log=tmp_path / "serve.log")
    children: list[int] = []
    try:
        await server.start()
        workers = []

        async def worker_started():
            workers[:] = [c for c in _spawned_children(server.proc.pid) if "spawn_main" in _cmdline(c)]
            return bool(workers)

        await until(worker_started, timeout=30, what="the PDF worker process to start")  # at start-up
        children[:] = _spawned_children(server.proc.pid)
        server.kill()  # SIGKILL: the server cannot stop its workers

        async def all_gone():
            return not any(_running(c) for c in children)

        await until(all_gone, timeout=15, what="the killed server's worker processes to end")
    finally:
        server.kill()
        for child in children:  # not left behind by this test, whatever it found
            if _running(child):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
