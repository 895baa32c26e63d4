"""Small HTML pages the server itself serves (reroute, invitation links): escaped, uncached, no scripts."""

from __future__ import annotations

import html

from starlette.responses import HTMLResponse

# No framing (frame-ancestors is not covered by default-src), no scripts, no base or plugin tricks,
# no MIME sniffing: the pages carry tokens and patient data and take clicks that accept invitations.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def page(status: int, title: str, body: str) -> HTMLResponse:
    """A page with `title` and `body` (HTML the caller has already escaped)."""
    content = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/>'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:46em}"
        "code{word-break:break-all}th{text-align:left;padding-right:1em}"
        "form{display:inline-block;margin-right:1em}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(content, status_code=status, headers=HEADERS)


def message(status: int, title: str, text: str) -> HTMLResponse:
    return page(status, title, f"<p>{html.escape(text)}</p>")
