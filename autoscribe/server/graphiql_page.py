"""GraphiQL at /graphql (what a browser gets there) and the files it loads, from /static/.

Everything the page needs is in the package (autoscribe/server/static/graphiql/, vendored with
its licences and a README naming each version): no request leaves for a CDN, so it works on a
network with no internet. The page has no inline script or style, and its Content-Security-Policy
lets it load and connect to this origin only. Its script (static/autoscribe-graphiql.js) sends the
token typed into its token field as the bearer of every HTTP request and in the WebSocket's
connection_init payload.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/static"

# data: only for the fonts and images graphiql.min.css embeds; ws: and wss: to this origin are
# 'self' for connect-src. The one inline style allowed, by its hash, is the scroll lock that
# GraphiQL's dialogs (settings, shortcuts; react-remove-scroll-bar in graphiql.min.js) add while
# open, as it is on a page with no scroll bar of its own (this one); a new GraphiQL may change it
# (tests/test_graphiql_browser.py opens a dialog and fails on the violation). No form posts
# anywhere: the token form is handled by the script, and if the script failed, the token must not
# end up in a URL.
SCROLL_LOCK_STYLE = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"
CSP = (
    f"default-src 'self'; script-src 'self'; style-src 'self' {SCROLL_LOCK_STYLE}; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

SCRIPTS = (
    "graphiql/react.production.min.js",
    "graphiql/react-dom.production.min.js",
    "graphiql/graphiql.min.js",
    "graphiql/plugin-explorer.umd.js",
    "graphiql/graphql-ws.min.js",
    "autoscribe-graphiql.js",
)
STYLES = ("graphiql/graphiql.min.css", "graphiql/plugin-explorer.css", "autoscribe-graphiql.css")

_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    "<title>AutoScribe GraphiQL</title>\n"
    + "".join(f'<link rel="stylesheet" href="{STATIC_PATH}/{s}">\n' for s in STYLES)
    + "</head>\n<body>\n"
    '<header class="as-bar">\n'
    '<a class="as-home" href="/">AutoScribe</a>\n'
    '<form id="as-token-form" class="as-token" autocomplete="off">\n'
    '<label for="as-token">API key or session token</label>\n'
    '<input id="as-token" name="token" type="password" spellcheck="false" autocomplete="off" '
    'placeholder="ask_… or ust_…">\n'
    '<button type="submit">Use token</button>\n'
    '<button type="button" id="as-forget">Forget</button>\n'
    '<span id="as-token-state" role="status"></span>\n'
    "</form>\n</header>\n"
    '<main id="graphiql">Loading GraphiQL…</main>\n'
    '<noscript><p class="as-noscript">GraphiQL needs JavaScript.</p></noscript>\n'
    + "".join(f'<script src="{STATIC_PATH}/{s}"></script>\n' for s in SCRIPTS)
    + "</body>\n</html>\n"
)


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers=HEADERS)


@dataclass(frozen=True)
class _Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


class StaticAssets:
    """GET /static/<path> (`serve`): the files under STATIC_DIR, and nothing else (the set is fixed when the
    app is made: no path from the request reaches the file system). Each is read, and gzipped once
    in a thread (graphiql.min.js is 3.5 MB as shipped, 0.7 MB gzipped), on its first request, then
    kept in memory. Revalidated on each use by ETag (an upgrade changes files under the same names)."""

    def __init__(self, directory: Path = STATIC_DIR):
        self.files = {
            path.relative_to(directory).as_posix(): path
            for path in sorted(directory.rglob("*"))
            if path.is_file() and path.suffix in _TYPES
        }
        self._assets: dict[str, _Asset] = {}
        self._lock = asyncio.Lock()

    async def serve(self, request: Request) -> Response:
        name = request.path_params["path"]
        if name not in self.files:
            return PlainTextResponse("Not found.", status_code=404)
        asset = await self._asset(name)
        headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
                   "Vary": "Accept-Encoding"}
        if asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            return Response(asset.gzipped, media_type=asset.media_type, headers={**headers, "Content-Encoding": "gzip"})
        return Response(asset.body, media_type=asset.media_type, headers=headers)

    async def _asset(self, name: str) -> _Asset:
        if (asset := self._assets.get(name)) is None:
            async with self._lock:
                if (asset := self._assets.get(name)) is None:
                    asset = self._assets[name] = await anyio.to_thread.run_sync(self._load, name)
        return asset

    def _load(self, name: str) -> _Asset:
        path = self.files[name]
        body = path.read_bytes()
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) > 1024 else None
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return _Asset(body, gzipped, _TYPES[path.suffix], etag)
