"""The reading room (/app) in headless Chromium, as a radiologist uses it: a browser context per
person, cut off from every other origin (tests.support.browser.Offline)."""

from __future__ import annotations

import json
from datetime import timedelta

from playwright.async_api import expect
from sqlalchemy import update as sql_update

from autoscribe.db.models import Study
from autoscribe.db.types import utcnow

from tests.support.browser import ARTIFACTS, offline_page
from tests.support.reroute_helpers import token_of


def person(chromium, site_url):
    """One radiologist's browser: a page of its own context (its own sessionStorage), offline-checked."""
    return offline_page(chromium, site_url)


async def open_link(page, site_url, link: dict) -> None:
    """Open a reroute link as its e-mail or the clinic's system would have the browser do."""
    await page.goto(f"{site_url}/reroute/{token_of(link['url'])}")


async def sign_in(page, site_url, token: str) -> None:
    """Paste a session token into the sign-in screen; lands on the worklist, live."""
    await page.goto(f"{site_url}/app")
    await page.get_by_label("Session token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    await expect(page.locator("#connection")).to_have_text("Live")


def row(page, study_id: str):
    return page.locator(f"#worklist tr[data-study-id='{study_id}']")


async def mark_document(page) -> None:
    """A marker on the window: still there later means the page was never reloaded."""
    await page.evaluate("window.__noReload = 'kept'")


async def document_kept(page) -> bool:
    return await page.evaluate("window.__noReload === 'kept'")


async def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / name, full_page=True)


def assert_offline_clean(page) -> None:
    offline = page.offline
    assert offline.elsewhere == [], f"requests to other origins were attempted: {offline.elsewhere}"
    assert offline.foreign_sockets() == [], offline.sockets
    assert offline.console_errors == [], offline.console_errors


class SocketSwitch:
    """Stands between the page and the server's WebSocket (Playwright's route_web_socket): every
    frame is passed on and recorded; `cut()` drops the open connections, and until `restore()`
    every new one is closed as soon as it opens, as a network outage would; while `muted`, the
    server's events are dropped on the way."""

    def __init__(self):
        self.up = True
        self.muted = False  # events from the server dropped, the connection kept: a screen that lags
        self.open: list[tuple] = []
        self.sent: list[dict] = []  # page → server, parsed
        self.received: list[dict] = []  # server → page, parsed

    async def attach(self, page) -> None:
        await page.route_web_socket("**/graphql", self._route)

    async def _route(self, ws) -> None:
        if not self.up:
            await ws.close(code=1012, reason="network down")
            return
        server = ws.connect_to_server()

        def to_server(message):
            self.sent.append(json.loads(message))
            server.send(message)

        def to_page(message):
            parsed = json.loads(message)
            if self.muted and parsed.get("type") == "next":
                return
            self.received.append(parsed)
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)
        self.open.append((ws, server))

    async def cut(self) -> None:
        self.up = False
        for ws, server in self.open:
            await server.close(code=1012, reason="network down")
            await ws.close(code=1012, reason="network down")
        self.open.clear()

    def restore(self) -> None:
        self.up = True

    def subscriptions(self, field: str) -> list[dict]:
        """The variables of each subscribe message whose query names `field`."""
        return [m["payload"]["variables"] for m in self.sent
                if m.get("type") == "subscribe" and field in m["payload"]["query"]]

    def event_cursors(self, field: str) -> list[str]:
        return [m["payload"]["data"][field]["cursor"] for m in self.received
                if m.get("type") == "next" and (m["payload"].get("data") or {}).get(field)]


async def backdate(services, study_id: str, *, hours: float) -> None:
    """Make a study have come in `hours` ago (stored directly: the API sets createdAt itself)."""
    async with services.db.write() as session:
        await session.execute(sql_update(Study).where(Study.id == study_id)
                              .values(created_at=utcnow() - timedelta(hours=hours)))
