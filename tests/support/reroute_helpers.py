"""Reroute links as a client meets them: created through the API, opened as a browser would."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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


def hand_over(response) -> dict | None:
    """Where an opened link sends the browser without a VIEWER_URL: the reading room on the study,
    the session and mode in the URL's fragment ({"study", "session", "mode"}); None for any other answer."""
    if response.status_code != 303:
        return None
    location = urlsplit(response.headers["location"])
    if location.path != "/app/" or location.query or not location.fragment.startswith("/study/"):
        return None
    route, _, query = location.fragment.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    return {"study": route.removeprefix("/study/"), **params}


def session_token_in(response) -> str | None:
    """The session token an opened link hands over to the reading room, or None."""
    handed = hand_over(response)
    return handed["session"] if handed else None


async def dictation_link(api, key, study_id, user_id) -> dict:
    """createRerouteUrl's answer: url, expiresAt, study."""
    return (await api.ok(REROUTE, {"id": study_id, "u": user_id}, token=key))["createRerouteUrl"]


async def viewer_link(api, key, study_id, user_id=None) -> dict:
    return (await api.ok(VIEWER, {"id": study_id, "u": user_id}, token=key))["createViewerOnlyRerouteUrl"]


async def open_link(http, link: dict) -> str:
    """Open the link (it must open) and return the session token it hands over to the reading room."""
    page = await http.get(f"/reroute/{token_of(link['url'])}")
    assert page.status_code == 303, page.text
    session = session_token_in(page)
    assert session is not None, page.text
    return session
