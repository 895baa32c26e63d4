"""Helpers of the report PDF tests: downloads through presigned URLs, the PDF's text, what the
database keeps (the PDF, the queued render), and waiting for a render."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pypdf
from sqlalchemy import select

from autoscribe.db.models import PdfRender, ReportPdf
from autoscribe.operations.authentication import create_clinic
from autoscribe.server.app import create_app
from tests.support.api import Api
from tests.support.clinics import Clinic
from tests.support.settings import settings_for

# The report text of a render that takes seconds (about 30 pages).
LONG_TEXT = "\n\n".join(
    [f"FINDINGS {n}: The lungs are clear. No pleural effusion or pneumothorax. Heart size normal. " * 10
     for n in range(1, 101)]
)[:95_000]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "testserver")
    return f"{parts.path}?{parts.query}"


def text_of(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def stored_pdf(services, report_id) -> bytes | None:
    async with services.db.read() as session:
        return await session.scalar(select(ReportPdf.content).where(ReportPdf.report_id == report_id))


async def queued_render(services, report_id) -> PdfRender | None:
    async with services.db.read() as session:
        return await session.get(PdfRender, report_id)


async def kept_pdf(services, report_id, timeout: float = 60) -> bytes:
    """The PDF kept for a signed report, once its render (in a worker process) has finished."""
    deadline = time.monotonic() + timeout
    while (content := await stored_pdf(services, report_id)) is None:
        assert time.monotonic() < deadline, f"no PDF kept for {report_id} within {timeout} s"
        await asyncio.sleep(0.05)
    return content


async def download(http, url: str) -> bytes:
    response = await http.get(path_of(url))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


async def until(predicate, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def own_app(database_url: str, **settings) -> AsyncIterator[tuple]:
    """An app of its own on `database_url`, running its lifespan: (services, api, http)."""
    app = create_app(settings_for(database_url, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
            yield app.state.services, Api(http), http


async def new_clinic(services, name: str = "Northside Imaging") -> Clinic:
    return Clinic(*await create_clinic(services.db, name))


def renders_logged(records, report_id: str) -> list[int]:
    """The worker process IDs that the renderer logged rendering `report_id` in, one per render."""
    prefix = f"rendered the PDF of {report_id} in worker process "
    return [int(r.getMessage().removeprefix(prefix)) for r in records if r.getMessage().startswith(prefix)]
