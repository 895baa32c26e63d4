"""Endpoints declared as data, and the one pipeline every REST request goes through.

An `Endpoint` names its method and path, its handler, the query parameters it reads (`Param`s),
the model its JSON body must fit and the model (or union of models) its response is. The same
declarations serve the request (`starlette_route`) and describe it (autoscribe.rest.openapi), so
the document cannot drift from what is served.

The pipeline: authenticate the bearer (401 before anything else), read the query and the body,
run the handler, serialise its answer through the response model, and turn an AppError into its
status and JSON body (autoscribe.rest.errors); anything else is a 500 with the request ID.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, TypeAdapter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from autoscribe.core.errors import AppError
from autoscribe.core.principal import Principal
from autoscribe.core.services import Services
from autoscribe.operations.loaders import Loaders
from autoscribe.rest.auth import principal_of
from autoscribe.rest.body import parse, read_object
from autoscribe.rest.errors import app_error_response, unexpected_response
from autoscribe.rest.query import Param, read_all

# Where the REST routes are mounted (autoscribe.server.app), and where the endpoints' paths start
# (the SDK's paths are absolute from its base URL).
MOUNT = "/v1"
PREFIX = MOUNT + "/autoScribe"


@dataclass
class RestRequest:
    """What a handler gets: the services, the caller, the path parameters, the query parameters
    that were given (by name, read by their `Param`s) and the body (an instance of the endpoint's
    body model, or None)."""

    svc: Services
    request: Request
    principal: Principal
    path: dict[str, str]
    query: dict[str, Any]
    body: BaseModel | None

    @cached_property
    def loaders(self) -> Loaders:
        """Batch loads of related rows, kept to what the caller may see (one set per request)."""
        principal = self.principal

        async def scope() -> Principal:
            return principal

        return Loaders(self.svc.db, scope)


Handler = Callable[[RestRequest], Awaitable[Any]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    # Below PREFIX, with Starlette's `{name}` path parameters.
    path: str
    handler: Handler
    # A model, or a union of models (`A | B`): what the handler returns is validated against it.
    response: Any
    # The SDK method this endpoint answers (`auto_scribe.studies.create`): the OpenAPI operationId.
    operation_id: str
    summary: str
    body: type[BaseModel] | None = None
    query: tuple[Param, ...] = ()
    # The operation's field names that this endpoint spells otherwise ({"id": "studyId"}).
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 200

    @cached_property
    def adapter(self) -> TypeAdapter:
        return TypeAdapter(self.response)

    @property
    def full_path(self) -> str:
        return PREFIX + self.path

    def starlette_route(self, svc: Services) -> Route:
        """The route, its path relative to MOUNT."""
        async def endpoint(request: Request) -> Response:
            return await self.answer(svc, request)

        return Route(self.full_path.removeprefix(MOUNT), endpoint, methods=[self.method], name=self.operation_id)

    async def answer(self, svc: Services, request: Request) -> Response:
        state = request.state
        request_id = getattr(state, "request_id", None) or uuid.uuid4().hex[:16]
        state.operation = self.operation_id
        state.kind = "rest"
        try:
            principal = await principal_of(svc, request)
            query = read_all(self.query, request.query_params)
            body = parse(self.body, await read_object(request)) if self.body is not None else None
            rest = RestRequest(svc, request, principal, dict(request.path_params), query, body)
            result = self.adapter.validate_python(await self.handler(rest))
            payload = self.adapter.dump_python(result, mode="json", by_alias=True)
        except AppError as error:
            state.outcome = error.code
            return app_error_response(error, self.fields)
        except Exception as error:  # noqa: BLE001 - answered as a 500, logged with its trace
            state.outcome = "INTERNAL_SERVER_ERROR"
            return unexpected_response(error, request_id)
        state.outcome = "ok"
        return JSONResponse(payload, status_code=self.status)
