"""The GraphQL front door as an ASGI app: Strawberry's `GraphQL` with the engine's overrides.

Over HTTP, GraphQL over HTTP's media types and statuses (engine.http_media): the answer is in the
type the Accept header asks for, an answer stopped before execution has no `data` entry, and
Strawberry's own refusals (bad JSON, no query, ...) get a JSON body with a code; a mutation over GET
is 405. A query may be answered from the response cache (execute_single) and its answer is kept
encoded (encode_json). Over WebSocket, graphql-transport-ws only (autoscribe.server.engine.ws_limits), a connection
needs a valid token and a slot of its key (on_ws_connect), a refusal says what was wrong in its
close reason (autoscribe.server.engine.ws_refusals), and the `next` messages of a shared
subscription are encoded once (autoscribe.server.engine.multicast.SharedJson). What of Strawberry's
this relies on beyond its documented API is listed in autoscribe.server.engine.upstream.
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from autoscribe.core.errors import Unauthenticated
from autoscribe.core import request_json
from autoscribe.server.context import Context
from autoscribe.server.engine import http_media
from autoscribe.server.engine.gc_after_bursts import CollectAfterBursts
from autoscribe.server.engine.input_text import bad_text_in_variables
from autoscribe.server.engine.known_documents import KnownDocuments
from autoscribe.server.engine.multicast import SharedJson, operation_of
from autoscribe.server.engine.response_cache import Encoded, ResponseCache
from autoscribe.server.engine.schema import build_schema
from autoscribe.server.engine.ws_limits import ConnectionSlots, PendingSockets, TransportWSHandler
from autoscribe.server.engine.ws_refusals import RefusingSocket, refused_token
from autoscribe.server.graphiql_page import graphiql_page
from autoscribe.server.services import ServerServices


class _RequestAdapter(GraphQL.request_adapter_class):
    """Strawberry's request adapter, with the Starlette request it adapts at hand."""

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.request = request


class GraphQLApp(GraphQL):
    request_adapter_class = _RequestAdapter
    graphql_transport_ws_handler_class = TransportWSHandler
    websocket_adapter_class = RefusingSocket

    def __init__(self, svc: ServerServices, *, schema_extensions=(), **kwargs):
        super().__init__(
            build_schema(svc.settings, schema_extensions),
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
        # Documents answered by their plan before take the short way (engine.known_documents),
        # unless an extension (tracing) is to see every request.
        self.known = None
        if svc.settings.compiled_queries and not schema_extensions:
            self.known = KnownDocuments(self.schema._schema, svc.settings.max_query_cost)
        # For /metrics (autoscribe.server.metrics): open sockets, running subscriptions, `next`
        # messages sent through Strawberry (the shared subscriptions' direct writes are
        # svc.groups.written), and the metrics each operation is counted in (None: not counted).
        self.sockets_open = 0
        self.subscriptions_active = 0
        self.sent_next = 0
        self.metrics = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            request = Request(scope, receive=receive)
            media_type = http_media.negotiate(request.headers.get("accept"))
            request.state.media_type = media_type
            if media_type is None and not self.should_render_graphql_ide(request):
                response = _refusal(HTTPException(406, http_media.NOT_ACCEPTABLE), None)
                return await response(scope, receive, send)
            # /metrics counts it as a GraphQL request (GraphiQL's page is not one); engine.admission
            # names its kind once the document is parsed.
            if scope["method"] == "POST" or b"query=" in scope.get("query_string", b""):
                scope.setdefault("state", {}).setdefault("kind", "unknown")
            try:
                response = None
                if self.known is not None and scope["method"] == "POST":
                    response = await self.answer_known(request)
                if response is None:
                    response = await self.run(request)
            except HTTPException as refused:
                response = _refusal(refused, media_type)
                scope.setdefault("state", {})["outcome"] = "error:" + _refusal_code(refused)
            else:
                _in_media_type(request, response)
            return await response(scope, receive, send)
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        self.sockets_open += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.sockets_open -= 1
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
        number, null) fails its `data.get(...)`. And it passes operationName on whatever its type.
        A body the short way has parsed already (answer_known) is not parsed again."""
        parsed = getattr(request.request.state, "graphql_request", None)
        if parsed is not None:
            return parsed
        try:
            data = await super().parse_http_body(request)
        except AttributeError:
            raise HTTPException(400, "The request body must be a JSON object: {\"query\": ...}.") from None
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item.operation_name, (str, type(None))):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
        return data

    async def process_result(self, request, result):
        """An answer stopped before execution has no `data` entry (it was never executed), and its
        status depends on the media type (engine.http_media); _in_media_type applies it."""
        body = await super().process_result(request, result)
        state = request.state
        if isinstance(result, PreExecutionError):
            body.pop("data", None)
            codes = [(e.extensions or {}).get("code", "") for e in result.errors or ()]
            state.graphql_status = http_media.request_error_status(state.media_type, codes)
        else:
            state.graphql_status = 200
        return body

    async def render_graphql_ide(self, request):
        """GraphiQL from the package's own files (autoscribe.server.graphiql_page), not a CDN's."""
        return graphiql_page()

    async def get_context(self, request, response) -> Context:
        return Context(self.svc, request, response)

    def encode_json(self, data):
        """Subscribers sharing an execution (engine.multicast) share the encoding of its result; a
        cached answer is kept encoded (engine.response_cache.Encoded); anything else is written
        by orjson, compact UTF-8."""
        if isinstance(data, dict) and isinstance(data.get("data"), Encoded) and len(data) == 1:
            return '{"data":' + data["data"] + "}"
        encoded = self._shared_json.encode(data)
        return encoded if encoded is not None else json_bytes(data)

    async def answer_known(self, request: Request) -> Response | None:
        """The answer to a request for a document answered by its plan before, the short way
        (engine.known_documents); None for any other request (the standard way answers it)."""
        try:
            request_data = await self.parse_http_body(self.request_adapter_class(request))
        except Exception:  # noqa: BLE001 - refused the standard way, with its own words
            return None
        request.state.graphql_request = request_data  # for the standard way, if it comes to that
        if isinstance(request_data, list) or request_data.protocol != "http" or request_data.extensions is not None \
                or bad_text_in_variables(request_data.variables) is not None:
            return None
        admitted = self.known.admit(request_data.query, request_data.operation_name, request_data.variables)
        if admitted is None:
            return None
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, sub_response)
        request.state.kind, request.state.operation = admitted.kind, admitted.operation
        execute = partial(self.schema.execute_known, admitted, request_data.variables, context,
                          request_data.operation_name)
        result = await self._answered(request, context, request_data, execute)
        response_data = await self.process_result(request, result)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        async def standard():
            result = await super(GraphQLApp, self).execute_single(
                request, request_adapter, sub_response, context, root_value, request_data)
            if self.known is not None and context.planned and context.admitted is not None \
                    and request_adapter.method == "POST" and not result.errors and request_data.extensions is None \
                    and request_data.protocol == "http":
                self.known.learn(request_data.query, request_data.operation_name, context.admitted)
            return result

        return await self._answered(request, context, request_data, standard)

    async def _answered(self, request, context, request_data, execute):
        """Queries are answered from the response cache while the clinic's data is unchanged;
        anything else by `execute()`."""
        key = None
        # Variables the schema refuses (engine.input_text) may not even encode into a cache key.
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
            # Named as when executed (the document's name when the request gives none).
            request.state.kind, request.state.operation = operation_of(request_data.query, request_data.operation_name)
            request.state.outcome = "ok (cached)"
            return ExecutionResult(data=data, errors=None)
        # Over HTTP, a query the compiled execution can plan is answered that way (engine.compiled).
        context.compiled = self.svc.settings.compiled_queries
        result = await execute()
        if key is not None and not result.errors and result.data is not None and not result.extensions:
            result.data = Encoded(json_bytes(result.data).decode())
            self.responses.put(key, result.data)
        return result

    async def on_ws_connect(self, context: Context):
        """A WebSocket without a valid token (in connection_init or the upgrade request) is closed, 4403,
        saying what is wrong with it; one over its key's (or user's) max_connections_per_key in this
        process, 4429."""
        try:
            principal = await context.principal(fresh=True)
        except Unauthenticated as error:
            raise refused_token(context, error) from None
        self.connections.acquire(context.request.scope, principal)
        self.bursts.connected()


def json_bytes(data) -> bytes:
    """`data` as compact JSON in UTF-8, by orjson (some ten times json.dumps's speed); what orjson
    does not write (an integer beyond 64 bits in a JSON scalar) by json.dumps."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


def _in_media_type(request: Request, response: Response) -> None:
    """A GraphQL answer (not GraphiQL's page) in the negotiated media type, with its status."""
    status = getattr(request.state, "graphql_status", None)
    media_type = request.state.media_type
    if status is None or media_type is None:
        return
    response.headers["content-type"] = http_media.CONTENT_TYPES[media_type]
    response.status_code = status
    if status == 401:
        response.headers["www-authenticate"] = "Bearer"


def _refusal(refused: HTTPException, media_type: str | None) -> JSONResponse:
    """A request Strawberry refuses before executing (a body that is not JSON, no query, a mutation
    over GET, ...): its HTTP status, with a GraphQL error and a code in the body, as clients read
    every other error (Strawberry's own answer is plain text). A mutation over GET is 405 (the spec's
    status; Strawberry says 400)."""
    status, headers, reason = refused.status_code, {}, refused.reason
    if isinstance(refused.__cause__, InvalidOperationTypeError):
        status, headers["allow"] = 405, "POST"
        reason = "Mutations are sent with POST: GET runs queries only."
    code = _refusal_code(refused)
    return JSONResponse({"errors": [{"message": reason, "extensions": {"code": code}}]}, status_code=status,
                        headers=headers, media_type=http_media.CONTENT_TYPES[media_type or http_media.JSON])


def _refusal_code(refused: HTTPException) -> str:
    return {404: "NOT_FOUND"}.get(refused.status_code, "BAD_USER_INPUT")
