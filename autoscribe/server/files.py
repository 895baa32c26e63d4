"""The report PDF download endpoint, which honours presigned URLs (autoscribe.operations.report_pdfs)
and waits for a PDF not rendered yet (autoscribe.live.pdf_renderer)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from autoscribe.live.pdf_renderer import PdfUnavailable
from autoscribe.server.services import ServerServices

_PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


def _refused(message: str) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=403, headers=_PRIVATE)


async def report_pdf(request: Request) -> Response:
    """GET /files/reports/<id>.pdf?token=…: the PDF, if the token was signed for this very report."""
    svc: ServerServices = request.app.state.services
    report_id = request.path_params["report_id"]
    payload, expired = svc.signer.inspect("pdf", request.query_params.get("token", ""))
    if not isinstance(payload, dict) or payload.get("r") != report_id or not isinstance(payload.get("c"), str):
        return _refused("This download link is not valid.")
    if expired:
        return _refused("This download link has expired. Ask for a new one.")
    try:
        content = await svc.pdfs.pdf_of(payload["c"], report_id)
    except PdfUnavailable:
        return PlainTextResponse(
            "The PDF of this report is being prepared. Try again in a moment.",
            status_code=503, headers={**_PRIVATE, "Retry-After": "5"},
        )
    if content is None:
        return PlainTextResponse("This report is no longer available.", status_code=404, headers=_PRIVATE)
    return Response(
        content,
        media_type="application/pdf",
        headers={**_PRIVATE, "Content-Disposition": f'inline; filename="{report_id}.pdf"'},
    )
