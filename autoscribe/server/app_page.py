"""The reading room at `/app`: the shell page of the built-in worklist and dictation app.

The app itself is plain ES modules under autoscribe/server/static/app/, served by StaticAssets at
/static/app/… like GraphiQL's files (no build step, nothing fetched from elsewhere). It talks to
the public GraphQL API only, over HTTP and graphql-transport-ws, with a session token it keeps in
the tab's sessionStorage. Its Content-Security-Policy allows this origin alone: scripts, styles
and connections, the WebSocket to the origin's host named explicitly, as not every browser counts ws: as
'self'.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from autoscribe.server.graphiql_page import STATIC_DIR

APP_PATH = "/app"
SHELL = STATIC_DIR / "app" / "index.html"
# A Host header is a name or address and a port: anything else gets no explicit WebSocket origin.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def content_security_policy(request: Request) -> str:
    """The app's policy: this origin only, and its WebSocket (ws: or wss:, as the page was served)."""
    host = request.headers.get("host", "")
    # Both schemes: behind a proxy that ends TLS, the request seen here is http while the page is https.
    sockets = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


class ReadingRoom:
    """GET /app/: the shell (read once, when the app is made); GET /app sends the browser there, so
    that the app has one address (its routes are in the fragment: /app/#/worklist)."""

    def __init__(self, shell: Path = SHELL):
        self.html = shell.read_text(encoding="utf-8")

    async def to_canonical(self, _request: Request) -> RedirectResponse:
        return RedirectResponse(APP_PATH + "/", status_code=308)

    async def serve(self, request: Request) -> HTMLResponse:
        return HTMLResponse(self.html, headers={
            "Content-Security-Policy": content_security_policy(request),
            "Cache-Control": "no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        })
