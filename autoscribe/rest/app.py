"""The REST API's Starlette routes, mounted by autoscribe.server.app at /v1: every endpoint of the
route table under /v1/autoScribe, and the OpenAPI document at /v1/openapi.json.

To add endpoints: write a module like autoscribe.rest.studies with an ENDPOINTS tuple and add it
to ENDPOINTS here; the OpenAPI document and its test pick them up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from autoscribe.core.services import Services
from autoscribe.rest import invitations, openapi, reports, studies, users
from autoscribe.rest.routing import MOUNT, Endpoint

# Fixed paths before `{id}` ones that would match them (`/users/invitations`, `/users/{user_id}`).
ENDPOINTS: tuple[Endpoint, ...] = (
    *studies.ENDPOINTS, *reports.ENDPOINTS, *users.ENDPOINTS, *invitations.ENDPOINTS, *users.BY_ID,
)

OPENAPI_PATH = MOUNT + "/openapi.json"


def routes(svc: Services) -> list[BaseRoute]:
    """The routes, their paths relative to MOUNT: `Mount(MOUNT, routes=routes(svc))`."""
    document = openapi.document(ENDPOINTS)

    async def openapi_json(_request: Request) -> JSONResponse:
        return JSONResponse(document)

    return [Route(OPENAPI_PATH.removeprefix(MOUNT), openapi_json, methods=["GET"]), *(ep.starlette_route(svc) for ep in ENDPOINTS)]
