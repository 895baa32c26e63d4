"""Helpers of the report PDF tests: downloads through presigned URLs, the PDF's text, what the
database keeps (the PDF, the queued render), and waiting for a render."""

from __future__ import annotations

import asyncio
import io
import time
from urllib.parse import urlsplit

import pypdf
from sqlalchemy import select

from autoscribe.db.models import PdfRender, ReportPdf

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
