"""`GET /reroute/<token>` (SPEC §5): open a reroute link (autoscribe.operations.reroute) and hand over
a user session token bound to its study, in the configured viewer or else in the reading room
(/app, autoscribe.server.app_page). A link opens once: it stands for one hand-over, not a password to the clinic."""

from __future__ import annotations

import html
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from autoscribe.operations.authentication import mint_session_token
from autoscribe.server.app_page import APP_PATH
from autoscribe.server.pages import HEADERS, message, page
from autoscribe.core.services import Services
from autoscribe.db.models import Study
from autoscribe.operations.reroute import DICTATION, VIEWER, LinkRefused, open_once


def viewer_location(template: str, study: Study, session_token: str | None) -> str:
    """The configured VIEWER_URL with its {studyInstanceUid}, {studyId} and {token} filled in."""
    values = {"studyInstanceUid": study.study_instance_uid, "studyId": study.id, "token": session_token or ""}
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


def reading_room_location(study: Study, mode: str, session_token: str) -> str:
    """The reading room (/app) on the study, the session in the URL's fragment: a browser never sends
    a fragment to a server (so no log or Referer has it), and the app drops it from its history."""
    params = urlencode({"session": session_token, "mode": "viewer" if mode == VIEWER else "dictation"})
    return f"{APP_PATH}/#/study/{quote(study.id, safe='')}?{params}"


def _study_page(study: Study, mode: str) -> HTMLResponse:
    """The built-in page of a viewer link made for no one: there is no session to open the app with."""
    meta = study.report_metadata or {}
    rows = [
        ("Study", study.study_description),
        ("Study Instance UID", study.study_instance_uid),
        ("Patient", meta.get("patientName") or "\u2014"),
        ("Mode", "dictation" if mode == DICTATION else "read-only"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return page(200, study.study_description, f'<table id="study">{table}</table>')


async def open_reroute(request: Request) -> Response:
    """GET /reroute/<token>: check the token, the study and the user, then open the viewer, once.

    The session handed over is bound to the link's study (read-only for a viewer link) and
    expires when the link would have."""
    svc: Services = request.app.state.services
    payload, expired = svc.signer.inspect("reroute", request.path_params["token"])
    if not isinstance(payload, dict) or payload.get("m") not in (DICTATION, VIEWER):
        return message(403, "Link not valid", "This link is not valid.")
    if expired:
        return message(403, "Link expired", "This link has expired. Ask for a new one.")
    if request.method == "HEAD":
        # A link checker or a preview asking about the link must not use it up.
        return message(200, "Reroute link", "Open this link in a browser to view the study.")
    try:
        study, user, grant, now = await open_once(svc, payload)
    except LinkRefused as refused:
        return message(refused.status, refused.title, refused.text)
    mode = payload["m"]
    session_token = (
        mint_session_token(
            svc.signer, user, int((grant.expires_at - now).total_seconds()), read_only=mode == VIEWER,
            study_id=study.id, grant_id=grant.id,
        )[0]
        if user
        else None
    )
    if svc.settings.viewer_url:
        return RedirectResponse(
            viewer_location(svc.settings.viewer_url, study, session_token), status_code=303, headers=HEADERS
        )
    if session_token is None:
        return _study_page(study, mode)
    return RedirectResponse(reading_room_location(study, mode, session_token), status_code=303, headers=HEADERS)
