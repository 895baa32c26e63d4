"""Reroute URLs (SPEC §5): signed links that open a study for a user in the viewer, with dictation or
read-only, and `GET /reroute/<token>` that checks them and hands over a user session token."""

from __future__ import annotations

import html
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from autoscribe.auth import mint_session_token
from autoscribe.pages import HEADERS, message, page
from autoscribe.services import Services
from autoscribe.settings import Settings
from autoscribe.signing import Signer
from db.enums import UserStatus
from db.models import Study, User

DICTATION = "dictation"
VIEWER = "viewer"

def reroute_token(
    signer: Signer, *, clinic_id: str, study_id: str, user_id: str | None, mode: str, grant_id: str,
    ttl_seconds: int,
) -> str:
    """Names the clinic, study, user, mode and audit grant: IDs only, never patient data."""
    payload = {"c": clinic_id, "s": study_id, "u": user_id, "m": mode, "g": grant_id}
    return signer.sign("reroute", payload, ttl_seconds=ttl_seconds)


def reroute_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/reroute/{token}"


def viewer_location(template: str, study: Study, session_token: str | None) -> str:
    """The configured VIEWER_URL with its {studyInstanceUid}, {studyId} and {token} filled in."""
    values = {"studyInstanceUid": study.study_instance_uid, "studyId": study.id, "token": session_token or ""}
    for name, value in values.items():
        template = template.replace("{" + name + "}", quote(value, safe=""))
    return template


def _study_page(study: Study, mode: str, session_token: str | None) -> HTMLResponse:
    """The built-in page, served when no viewer application is configured."""
    meta = study.report_metadata or {}
    rows = [
        ("Study", study.study_description),
        ("Study Instance UID", study.study_instance_uid),
        ("Patient", meta.get("patientName") or "\u2014"),
        ("Mode", "dictation" if mode == DICTATION else "read-only"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    session = (
        f'<p>Session token for the dictation application:</p><p><code id="session-token">'
        f"{html.escape(session_token)}</code></p>"
        if session_token
        else ""
    )
    return page(200, study.study_description, f'<table id="study">{table}</table>{session}')


async def open_reroute(request: Request) -> Response:
    """GET /reroute/<token>: check the token, the study and the user, then open the viewer."""
    svc: Services = request.app.state.services
    payload, expired = svc.signer.inspect("reroute", request.path_params["token"])
    if not isinstance(payload, dict) or payload.get("m") not in (DICTATION, VIEWER):
        return message(403, "Link not valid", "This link is not valid.")
    if expired:
        return message(403, "Link expired", "This link has expired. Ask for a new one.")
    clinic_id, user_id, mode = payload.get("c"), payload.get("u"), payload["m"]
    async with svc.db.read() as session:
        study = await session.scalar(
            select(Study).where(Study.id == payload.get("s"), Study.clinic_id == clinic_id)
        )
        user = (
            await session.scalar(select(User).where(User.id == user_id, User.clinic_id == clinic_id))
            if user_id
            else None
        )
    if study is None:
        return message(404, "Study not available", "This study is no longer available.")
    if user_id and (user is None or user.status != UserStatus.ACTIVE):
        return message(403, "Access revoked", "Your access to this clinic has been revoked.")
    session_token = (
        mint_session_token(svc.signer, user, svc.settings.reroute_ttl_seconds, read_only=mode == VIEWER)[0]
        if user
        else None
    )
    if svc.settings.viewer_url:
        return RedirectResponse(
            viewer_location(svc.settings.viewer_url, study, session_token), status_code=303, headers=HEADERS
        )
    return _study_page(study, mode, session_token)
