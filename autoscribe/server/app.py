"""The Starlette application: /graphql over HTTP and WebSocket, health checks, and the lifespan."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import ExecutionResult
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from autoscribe.core import request_json
from autoscribe.rest import app as rest_app
from autoscribe.server.context import Context
from autoscribe.core.errors import Unauthenticated
from autoscribe.server.files import report_pdf
from autoscribe.server.gc_after_bursts import CollectAfterBursts
from autoscribe.server.invitation_page import answer_invitation, show_invitation
from autoscribe.server.middleware import BodyLimit, RequestLog
from autoscribe.server.reroute_page import open_reroute
from autoscribe.server.engine.response_cache import Encoded, ResponseCache
from autoscribe.server.services import ServerServices
from autoscribe.core.settings import Settings
from autoscribe.server.engine.ws_limits import ConnectionSlots, PendingSockets, TransportWSHandler
from autoscribe.server.engine.input_text import bad_text_in_variables
from autoscribe.server.engine.multicast import SharedJson
from autoscribe.server.engine.schema import build_schema

log = logging.getLogger("autoscribe")


class GraphQLApp(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, svc: ServerServices, **kwargs):
        super().__init__(
            build_schema(svc.settings),
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=svc.settings.max_subscriptions_per_connection,
            connection_init_wait_timeout=timedelta(seconds=svc.settings.ws_init_timeout_seconds),
            **kwargs,
        )
        self.svc = svc
        self.responses = ResponseCache(
            svc.db, svc.settings.response_cache_entries, svc.settings.response_cache_bytes)
        self.connections = ConnectionSlots(svc.settings.max_connections_per_key)
        self.pending = PendingSockets(svc.settings.max_pending_connections_per_address)
        self.bursts = CollectAfterBursts()
        self._shared_json = SharedJson()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            try:
                response = await self.run(Request(scope, receive=receive))
            except HTTPException as refused:
                response = _refusal(refused)
            return await response(scope, receive, send)
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the socket ended: closed by the client, an error, the server shutting down.
            self.connections.release(scope)

    def decode_json(self, data):
        """Bodies, GET variables and WebSocket frames alike: a bad one is a JSONDecodeError, which
        Strawberry answers as bad input (400 over HTTP, close 4400 on a WebSocket)."""
        return request_json.loads(data)

    def parse_json(self, data):
        try:
            return request_json.loads(data)
        except request_json.BadJson as bad:
            raise HTTPException(400, bad.reason) from None

    async def parse_http_body(self, request):
        """Strawberry takes a body that is JSON for an object; any other JSON value (a string, a
        number, null) fails its `data.get(...)`. And it passes operationName on whatever its type."""
        try:
            data = await super().parse_http_body(request)
        except AttributeError:
            raise HTTPException(400, "The request body must be a JSON object: {\"query\": ...}.") from None
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item.operation_name, (str, type(None))):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
        return data

    async def get_context(self, request, response) -> Context:
        return Context(self.svc, request, response)

    def encode_json(self, data):
        """Subscribers sharing an execution (schema.multicast) share the encoding of its result; a
        cached answer is kept encoded (autoscribe.response_cache.Encoded)."""
        if isinstance(data, dict) and isinstance(data.get("data"), Encoded) and len(data) == 1:
            return '{"data":' + data["data"] + "}"
        encoded = self._shared_json.encode(data)
        return encoded if encoded is not None else super().encode_json(data)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        """Queries are answered from the response cache while the clinic's data is unchanged."""
        key = None
        # Variables the schema refuses (schema.input_text) may not even encode into a cache key.
        if self.responses.enabled and bad_text_in_variables(request_data.variables) is None:
            try:
                principal = await context.principal()
            except Unauthenticated:
                principal = None
            if principal is not None:
                key = await self.responses.key(
                    principal, request_data.query, request_data.variables, request_data.operation_name
                )
        if key is not None and (data := self.responses.get(key)) is not None:
            request.state.operation = request_data.operation_name or "query"
            request.state.outcome = "ok (cached)"
            return ExecutionResult(data=data, errors=None)
        result = await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)
        if key is not None and not result.errors and result.data is not None and not result.extensions:
            result.data = Encoded(super().encode_json(result.data))
            self.responses.put(key, result.data)
        return result

    async def on_ws_connect(self, context: Context):
        """A WebSocket without a valid token (in connection_init or the upgrade request) is closed, 4403;
        one over its key's (or user's) max_connections_per_key in this process, 4429."""
        try:
            principal = await context.principal(fresh=True)
        except Unauthenticated:
            raise ConnectionRejectionError() from None
        self.connections.acquire(context.request.scope, principal)
        self.bursts.connected()


def _refusal(refused: HTTPException) -> JSONResponse:
    """A request Strawberry refuses before executing (a body that is not JSON, no query, an unknown
    operationName, a mutation over GET, ...): its HTTP status, with a GraphQL error and a code in
    the body, as clients read every other error (Strawberry's own answer is plain text)."""
    code = {404: "NOT_FOUND"}.get(refused.status_code, "BAD_USER_INPUT")
    return JSONResponse({"errors": [{"message": refused.reason, "extensions": {"code": code}}]},
                        status_code=refused.status_code)


def create_app(settings: Settings | None = None, services: ServerServices | None = None) -> Starlette:
    settings = settings or (services.settings if services else Settings())
    svc = services or ServerServices.from_settings(settings)
    graphql = GraphQLApp(svc, allowed_origins=settings.cors_origins)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        checks = {}
        try:
            await svc.db.ping()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"error: {type(exc).__name__}"
        checks["events"] = "ok" if await svc.bus.healthy() else "error"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await svc.start()
        try:
            yield
        finally:
            await svc.stop()
            await svc.db.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/reroute/{token}", open_reroute, methods=["GET"]),
            Route("/files/reports/{report_id}.pdf", report_pdf, methods=["GET"]),
            Route("/invitations/{token}", show_invitation, methods=["GET"]),
            Route("/invitations/{token}/accept", answer_invitation("accept"), methods=["POST"]),
            Route("/invitations/{token}/reject", answer_invitation("reject"), methods=["POST"]),
            Mount(rest_app.MOUNT, routes=rest_app.routes(svc)),
        ],
        middleware=[
            Middleware(RequestLog),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PATCH", "OPTIONS"],
                allow_headers=["authorization", "content-type"],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.graphql = graphql
    return app
