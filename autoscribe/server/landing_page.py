"""The page at `/`: what this server is, and where its reading room, API, GraphiQL, schema and health checks are."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from autoscribe.rest.app import OPENAPI_PATH
from autoscribe.server.app_page import APP_PATH
from autoscribe.server.pages import page
from autoscribe.server.schema_file import SCHEMA_PATH

_BODY = (
    "<p>AutoScribe is the back end of a radiology reporting service, served as GraphQL: clinics send "
    "studies, radiologists report on them, and worklist screens subscribe to every change.</p>"
    "<ul>"
    f'<li><a href="{APP_PATH}/">The reading room</a>: the worklist, live, and dictation, for radiologists '
    "(a study's link opens it; or sign in with a session token).</li>"
    '<li><a href="/graphql">GraphiQL</a>: write and run queries, mutations and subscriptions in '
    "the browser, with an API key or a session token.</li>"
    f'<li><a href="{SCHEMA_PATH}">The schema</a> (SDL), for code generators: send your token as '
    "<code>Authorization: Bearer …</code>, as for introspection.</li>"
    f'<li><a href="{OPENAPI_PATH}">The REST API\'s OpenAPI document</a> '
    "(<code>/v1/autoScribe/…</code>).</li>"
    '<li><a href="/healthz">/healthz</a>: the process is up; <a href="/readyz">/readyz</a>: its database '
    "and event bus are reachable.</li>"
    "</ul>"
    "<p>The API: <code>POST /graphql</code> (and <code>GET</code> for queries) with "
    "<code>Authorization: Bearer &lt;token&gt;</code>; subscriptions over a WebSocket to "
    "<code>/graphql</code> (graphql-transport-ws), the token in the <code>connection_init</code> "
    'payload as <code>{"authorization": "Bearer &lt;token&gt;"}</code>.</p>'
)


async def landing(_request: Request) -> HTMLResponse:
    return page(200, "AutoScribe", _BODY)
