"""The reading room (/app) in headless Chromium, as a radiologist uses it: a browser context per
person, cut off from every other origin (tests.support.browser.Offline)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from playwright.async_api import expect

from tests.support.browser import ARTIFACTS, Offline
from tests.support.reroute_helpers import token_of


@asynccontextmanager
async def person(chromium, site_url):
    """A page of its own browser context (its own sessionStorage), with the offline check attached."""
    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    offline = Offline(site_url)
    await offline.attach(context, page)
    page.offline = offline
    try:
        yield page
    finally:
        await context.close()


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
