"""GET /graphql/schema.graphql: the schema's SDL, for code generators and editors.

Like introspection, only with a valid bearer token (a caller without one learns nothing about the
schema: autoscribe.server.engine.admission)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from autoscribe.core.errors import Unauthenticated
from autoscribe.server.context import Context

SCHEMA_PATH = "/graphql/schema.graphql"


async def schema_sdl(request: Request) -> Response:
    try:
        await Context(request.app.state.services, request).principal()
    except Unauthenticated:
        return PlainTextResponse(
            "The schema needs a valid bearer token, as introspection does: "
            "send `Authorization: Bearer <API key or session token>`.\n",
            status_code=401, headers={"WWW-Authenticate": "Bearer"},
        )
    return PlainTextResponse(
        str(request.app.state.graphql.schema) + "\n",
        headers={"Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff"},
    )
