"""Reroute URLs (SPEC §5): signed links that open a study for a user in the viewer, with dictation or
read-only, and `GET /reroute/<token>` that checks them and hands over a user session token bound
to that study. A link opens once: it stands for one hand-over, not a password to the clinic."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import select, update
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from autoscribe.auth import mint_session_token
from autoscribe.pages import HEADERS, message, page
from autoscribe.services import Services
from autoscribe.settings import Settings
from autoscribe.signing import Signer
from db.enums import UserStatus
from db.models import RerouteGrant, Study, User
from db.types import utcnow

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


class _Refused(Exception):
    """An opening that may not go ahead: its page; the transaction rolls back, the link stays unused."""

    def __init__(self, response: HTMLResponse):
        self.response = response


def _recheck(grant: RerouteGrant | None, payload: dict, study: Study | None, user: User | None, now: datetime) -> None:
    """What must still hold when the link is opened (SPEC §5); raises _Refused with the reason."""
    user_id, mode = payload.get("u"), payload["m"]
    if grant is None or (grant.study_id, grant.user_id, grant.viewer_only) != (payload.get("s"), user_id, mode == VIEWER):
        raise _Refused(message(403, "Link not valid", "This link is not valid."))
    if grant.opened_at is not None:
        raise _Refused(message(409, "Link already used", "This link has already been opened. Ask for a new one."))
    if grant.expires_at <= now + timedelta(seconds=1):
        raise _Refused(message(403, "Link expired", "This link has expired. Ask for a new one."))
    if study is None:
        raise _Refused(message(404, "Study not available", "This study is no longer available."))
    if user_id and (user is None or user.status != UserStatus.ACTIVE):
        raise _Refused(message(403, "Access revoked", "Your access to this clinic has been revoked."))
    if study.is_cancelled:
        raise _Refused(message(409, "Study cancelled", "This study has been cancelled."))
    if mode == DICTATION and study.assigned_to_id != user_id:
        raise _Refused(message(409, "Study reassigned", "This study is no longer assigned to you."))


async def _open_once(svc: Services, payload: dict) -> tuple[Study, User | None, RerouteGrant, datetime]:
    """Re-check the link's grant, study and user and mark the grant opened, in one transaction:
    (study, user, grant, when). The study row is locked so that no reassignment or cancellation
    slips in between the check and the commit; of two openings at once only one marks the grant."""
    clinic_id, user_id = payload.get("c"), payload.get("u")
    async with svc.db.write() as session:
        now = utcnow()
        grant = await session.scalar(
            select(RerouteGrant).where(RerouteGrant.id == payload.get("g"), RerouteGrant.clinic_id == clinic_id)
        )
        study = await session.scalar(
            select(Study).where(Study.id == payload.get("s"), Study.clinic_id == clinic_id).with_for_update()
        )
        user = (
            await session.scalar(select(User).where(User.id == user_id, User.clinic_id == clinic_id))
            if user_id
            else None
        )
        _recheck(grant, payload, study, user, now)
        marked = await session.execute(
            update(RerouteGrant)
            .where(RerouteGrant.id == grant.id, RerouteGrant.opened_at.is_(None))
            .values(opened_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            raise _Refused(message(409, "Link already used", "This link has already been opened. Ask for a new one."))
    return study, user, grant, now


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
        study, user, grant, now = await _open_once(svc, payload)
    except _Refused as refused:
        return refused.response
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
    return _study_page(study, mode, session_token)
