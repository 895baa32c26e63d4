"""Presigned report PDF URLs, and the download endpoint that honours them (SPEC §5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from autoscribe.services import Services
from autoscribe.signing import Signer
from db.enums import ReportStatus
from db.models import Report
from resolvers import report_pdfs

_PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def pdf_token(signer: Signer, report_id: str, clinic_id: str, ttl_seconds: int) -> str:
    """Names the report and its clinic, nothing else: signed, not encrypted."""
    return signer.sign("pdf", {"r": report_id, "c": clinic_id}, ttl_seconds=ttl_seconds)


def pdf_url(svc: Services, report: Report) -> str | None:
    """The presigned download URL of a signed report's PDF; None while it is in progress."""
    if report.status != ReportStatus.COMPLETED:
        return None
    token = pdf_token(svc.signer, report.id, report.clinic_id, svc.settings.pdf_url_ttl_seconds)
    return f"{svc.settings.public_url}/files/reports/{report.id}.pdf?token={token}"


def _refused(message: str) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=403, headers=_PRIVATE)


async def report_pdf(request: Request) -> Response:
    """GET /files/reports/<id>.pdf?token=…: the PDF, if the token was signed for this very report."""
    svc: Services = request.app.state.services
    report_id = request.path_params["report_id"]
    payload, expired = svc.signer.inspect("pdf", request.query_params.get("token", ""))
    if not isinstance(payload, dict) or payload.get("r") != report_id or not isinstance(payload.get("c"), str):
        return _refused("This download link is not valid.")
    if expired:
        return _refused("This download link has expired. Ask for a new one.")
    content = await report_pdfs.pdf_of(svc, payload["c"], report_id)
    if content is None:
        return PlainTextResponse("This report is no longer available.", status_code=404, headers=_PRIVATE)
    return Response(
        content,
        media_type="application/pdf",
        headers={**_PRIVATE, "Content-Disposition": f'inline; filename="{report_id}.pdf"'},
    )
