"""The report PDF download endpoint, which honours presigned URLs (autoscribe.operations.report_pdfs)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from autoscribe.core.services import Services
from autoscribe.operations import report_pdfs

_PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


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
