"""Reroute links as a client meets them: created through the API, opened as a browser would."""

from __future__ import annotations

import html

from sqlalchemy import select

from autoscribe.db.models import RerouteGrant

REROUTE = """mutation($id: ID, $uid: String, $u: ID!) {
    createRerouteUrl(id: $id, studyInstanceUid: $uid, assignedToUserId: $u) {
        url expiresAt study { id studyReportStatus assignedTo { id } } } }"""
VIEWER = """mutation($id: ID, $uid: String, $u: ID) {
    createViewerOnlyRerouteUrl(id: $id, studyInstanceUid: $uid, userId: $u) {
        url expiresAt study { id studyReportStatus assignedTo { id } } } }"""
ME = "{ me { user { id } } }"


def token_of(url: str) -> str:
    assert url.startswith("http://testserver/reroute/"), url
    return url.rsplit("/", 1)[1]


async def grants_of(services, study_id) -> list[RerouteGrant]:
    async with services.db.read() as session:
        rows = await session.scalars(select(RerouteGrant).where(RerouteGrant.study_id == study_id))
        return list(rows)


def session_token_in(page: str) -> str | None:
    marker = '<code id="session-token">'
    if marker not in page:
        return None
    return html.unescape(page.split(marker, 1)[1].split("</code>", 1)[0])


async def dictation_link(api, key, study_id, user_id) -> dict:
    """createRerouteUrl's answer: url, expiresAt, study."""
    return (await api.ok(REROUTE, {"id": study_id, "u": user_id}, token=key))["createRerouteUrl"]


async def viewer_link(api, key, study_id, user_id=None) -> dict:
    return (await api.ok(VIEWER, {"id": study_id, "u": user_id}, token=key))["createViewerOnlyRerouteUrl"]


async def open_link(http, link: dict) -> str:
    """Open the link (it must open) and return the session token its page hands over."""
    page = await http.get(f"/reroute/{token_of(link['url'])}")
    assert page.status_code == 200, page.text
    session = session_token_in(page.text)
    assert session is not None, page.text
    return session
