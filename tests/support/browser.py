"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, cut off from every
origin but the server's: the browser tests' offline check."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# No background traffic of Chromium's own (updates, sync, safe browsing, field trials).
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
# Screenshots of the browser tests (git-ignored; named in the README).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_or_skip() -> Path:
    """Chromium's path; without it the browser tests are skipped, except under CI (CI set), where
    .ci/run installs it and its absence is a failure."""
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium): the browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(reason + "; under CI it must be there (.ci/run installs it)")
        pytest.skip(reason)
    return CHROMIUM


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=str(chromium_or_skip()), headless=True, args=ARGS)


@dataclass
class Offline:
    """What a page tried beyond `origin`: every such request is aborted and recorded, and so is
    every WebSocket opened to another host; console errors and uncaught exceptions are kept too."""

    origin: str
    elsewhere: list[str] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    async def attach(self, context, page) -> None:
        await context.route("**/*", self._route)
        page.on("websocket", lambda ws: self.sockets.append(ws.url))
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))

    async def _route(self, route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            await route.continue_()
        else:
            self.elsewhere.append(url)
            await route.abort()

    def foreign_sockets(self) -> list[str]:
        ws_origin = "ws" + self.origin.removeprefix("http")
        return [url for url in self.sockets if not url.startswith(ws_origin + "/")]


@asynccontextmanager
async def offline_page(chromium, origin: str, *, width: int = 1280, height: int = 900):
    """A page of a browser context of its own (its own storage), with the Offline check attached
    as `page.offline`; the context is closed after."""
    context = await chromium.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    page.offline = Offline(origin)
    await page.offline.attach(context, page)
    try:
        yield page
    finally:
        await context.close()
