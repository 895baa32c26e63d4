"""Every private or undocumented detail of Strawberry and graphql-core (and the one of Starlette)
that the engine relies on, each with a check against the installed versions.

The engine overrides methods that neither project documents as extension points, passes
arguments by position, reads attributes of their internal objects and, in one place, copies a
loop of graphql-core's. None of that breaks with an error on an upgrade: a renamed argument, an
attribute that moved or a loop that changed would be taken silently, and the server would answer
differently (or slower) rather than fail. tests/test_upstream.py runs each check below, so an
upgrade fails there first, naming the detail, the version installed and the module that relies
on it. When a check fails: read the new upstream code, adapt the module named in `where`, then
the check.

One handoff is kept as it is and listed here: the graphql-transport-ws operation being started
reaches multicast.stream through a ContextVar (multicast.OPERATION, set by
ws_limits.TransportWSHandler.run_operation). It cannot go through the context object: Strawberry
gives every operation of a connection the same context (`context_value=self.context`), and the
operations of one socket start concurrently, so a field of it would be overwritten by the next
operation before the first one's stream() (which awaits the principal first) reads it. The
ContextVar is per task, and Strawberry runs each operation in a task of its own.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import textwrap
from collections.abc import Callable
from datetime import timedelta
from importlib.metadata import version

ENGINE = "autoscribe/server/engine/"


@dataclasses.dataclass(frozen=True)
class Reliance:
    name: str  # the upstream detail, as its project names it
    package: str  # the distribution that provides it
    what: str  # what we rely on, and why
    where: str  # the modules (and functions) that rely on it, separated by "; "
    check: Callable[[], str | None]  # None when it holds; else what differs


def problem(reliance: Reliance) -> str | None:
    """What differs from what `reliance` expects of the installed version, or None."""
    try:
        return reliance.check()
    except Exception as exc:  # noqa: BLE001 - a check that cannot run is a detail that moved
        return f"{type(exc).__name__}: {exc}"


def message(reliance: Reliance, found: str) -> str:
    return (f"{reliance.package} {version(reliance.package)} changed {reliance.name}: {reliance.where} "
            f"relies on it ({reliance.what}). {found}")


def _parameters(function, expected: list[str]) -> str | None:
    got = list(inspect.signature(function).parameters)
    if got[: len(expected)] != expected:
        return f"{function.__qualname__} takes {got}, expected {expected} first."
    return None


def _first(*problems: str | None) -> str | None:
    return next((p for p in problems if p is not None), None)


def _missing(obj, names: list[str]) -> str | None:
    absent = [n for n in names if not hasattr(obj, n)]
    return f"{getattr(obj, '__qualname__', type(obj).__name__)} has no {absent}." if absent else None


def _sets(cls, attribute: str) -> str | None:
    """None if some class of `cls`'s MRO sets `self.<attribute>` in its __init__."""
    for base in cls.__mro__:
        init = vars(base).get("__init__")
        if init is not None and f"self.{attribute} =" in inspect.getsource(init):
            return None
    return f"no __init__ of {cls.__qualname__} sets self.{attribute}."


def _source_has(function, *snippets: str) -> str | None:
    source = inspect.getsource(function)
    absent = [s for s in snippets if s not in source]
    return f"{function.__qualname__} no longer contains {absent}." if absent else None


# --- strawberry.asgi.GraphQL (engine/asgi.py) ------------------------------------------------


def _execute_single() -> str | None:
    from strawberry.asgi import GraphQL
    from strawberry.http import GraphQLRequestData

    fields = {f.name for f in dataclasses.fields(GraphQLRequestData)}
    return _first(
        _parameters(GraphQL.execute_single,
                    ["self", "request", "request_adapter", "sub_response", "context", "root_value", "request_data"]),
        None if {"query", "variables", "operation_name"} <= fields
        else f"GraphQLRequestData has fields {sorted(fields)}, not query/variables/operation_name.",
    )


def _short_way() -> str | None:
    """What engine.known_documents' short way does in place of Strawberry's run() and execute()."""
    from strawberry.asgi import GraphQL
    from strawberry.execution import optimized_is_awaitable  # noqa: F401 - its import path is the detail
    from strawberry.http import GraphQLRequestData
    from strawberry.http.async_base_view import AsyncBaseHTTPView
    from strawberry.schema.schema import Schema
    from strawberry.types.execution import ExecutionContext

    fields = {f.name for f in dataclasses.fields(GraphQLRequestData)}
    return _first(
        None if {"extensions", "protocol"} <= fields else f"GraphQLRequestData has fields {sorted(fields)}.",
        _missing(GraphQL, ["request_adapter_class", "get_sub_response", "create_response", "get_context"]),
        _parameters(GraphQL.create_response, ["self", "response_data", "sub_response"]),
        _parameters(GraphQL.request_adapter_class.__init__, ["self", "request"]),
        None if {"validation_rules", "graphql_document"} <= {f.name for f in dataclasses.fields(ExecutionContext)}
        else "ExecutionContext has no validation_rules or graphql_document field.",
        _missing(ExecutionContext, ["operation_type", "operation_name"]),
        # The view's run(): what it does between parsing the body and the response, which the short
        # way does itself (get_sub_response, get_context, execute_single, process_result, create_response).
        _source_has(AsyncBaseHTTPView.run, "self.get_sub_response(request)", "self.parse_http_body(",
                    "self.process_result(request=request, result=result)", "self.create_response("),
        # Strawberry's execute(): graphql-core's execute with these arguments, nothing else per request.
        _source_has(Schema._execute_operation, "root_value=execution_context.root_value",
                    "is_awaitable=optimized_is_awaitable", "execution_context_class_kwargs(self.execution_context_class)"),
    )


def _json_hooks() -> str | None:
    from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
    from strawberry.http.async_base_view import AsyncBaseHTTPView
    from strawberry.http.base import BaseView

    return _first(
        _parameters(GraphQL.encode_json, ["self", "data"]),
        _parameters(GraphQL.decode_json, ["self", "data"]),
        _parameters(GraphQL.parse_json, ["self", "data"]),
        _parameters(GraphQL.parse_http_body, ["self", "request"]),
        # Bodies and GET variables go through parse_json; WebSocket frames through decode_json,
        # whose JSONDecodeError (request_json.BadJson) closes the socket with 4400.
        _source_has(AsyncBaseHTTPView.parse_http_body, "self.parse_json("),
        _source_has(BaseView.parse_query_params, "self.parse_json(variables)"),
        _source_has(ASGIWebSocketAdapter.iter_json, "self.view.decode_json(", "except JSONDecodeError"),
        _source_has(ASGIWebSocketAdapter.send_json, "self.view.encode_json("),
    )


def _refusals() -> str | None:
    import cross_web
    import strawberry.asgi

    if strawberry.asgi.HTTPException is not cross_web.HTTPException:
        return "strawberry.asgi no longer raises cross_web.HTTPException."
    refused = cross_web.HTTPException(400, "why")
    if (refused.status_code, refused.reason) != (400, "why"):
        return "cross_web.HTTPException has no status_code/reason."
    return _first(_parameters(strawberry.asgi.GraphQL.run, ["self", "request"]),
                  _source_has(strawberry.asgi.GraphQL.run, "raise HTTPException("))


def _http_answers() -> str | None:
    from strawberry.asgi import GraphQL
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    return _first(
        _parameters(GraphQL.process_result, ["self", "request", "result"]),
        _parameters(GraphQL.should_render_graphql_ide, ["self", "request"]),
        # A mutation over GET: the HTTPException's cause tells it apart (engine.asgi answers 405).
        _source_has(AsyncBaseHTTPView.execute_single, "except InvalidOperationTypeError as e:", ") from e"),
        # Every single answer goes through process_result, then create_response.
        _source_has(AsyncBaseHTTPView.run, "await self.process_result(request=request, result=result)",
                    "return self.create_response("),
    )


def _ws_closes() -> str | None:
    from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    handler = _handler()
    if GraphQL.websocket_adapter_class is not ASGIWebSocketAdapter:
        return "GraphQL.websocket_adapter_class is no longer ASGIWebSocketAdapter."
    return _first(
        _parameters(ASGIWebSocketAdapter.close, ["self", "code", "reason"]),
        _source_has(AsyncBaseHTTPView.run, "self.websocket_adapter_class(self, request, websocket_response)",
                    "await websocket.close(4406,"),
        _source_has(handler.handle_subscribe, "close(code=4401"),
        _source_has(handler.handle_connection_init_timeout, "close(code=4408"),
    )


def _ws_arguments() -> str | None:
    from strawberry.asgi import GraphQL
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

    params = inspect.signature(GraphQL.__init__).parameters
    absent = [n for n in ("connection_init_wait_timeout", "max_subscriptions_per_connection",
                          "subscription_protocols", "allowed_origins") if n not in params]
    if absent:
        return f"GraphQL() takes no {absent}."
    if not isinstance(params["connection_init_wait_timeout"].default, timedelta):
        return "connection_init_wait_timeout is no longer a timedelta."
    if not hasattr(GraphQL, "graphql_transport_ws_handler_class"):
        return "GraphQL has no graphql_transport_ws_handler_class."
    return _source_has(BaseGraphQLTransportWSHandler.handle_connection_init_timeout,
                       "connection_init_wait_timeout", "4408")


# --- strawberry.Schema (engine/schema.py, engine/admission.py) -------------------------------

_POSITIONAL = ["self", "query", "variable_values", "context_value", "root_value", "operation_name"]


def _execute_stream() -> str | None:
    import strawberry

    return _first(
        _parameters(strawberry.Schema.execute, _POSITIONAL),
        _parameters(strawberry.Schema.stream, _POSITIONAL),
        None if "allowed_operation_types" in inspect.signature(strawberry.Schema.execute).parameters
        else "Schema.execute takes no allowed_operation_types.",
        _parameters(strawberry.Schema.process_errors, ["self", "errors", "execution_context"]),
    )


def _graphql_core_schema() -> str | None:
    import strawberry
    from graphql import GraphQLSchema

    @strawberry.type
    class Query:
        a: int

    inner = getattr(strawberry.Schema(query=Query), "_schema", None)
    return None if isinstance(inner, GraphQLSchema) else "Schema._schema is not the graphql-core GraphQLSchema."


def _operation_errors() -> str | None:
    from strawberry.exceptions import MissingQueryError  # noqa: F401 - its import path is the detail
    from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError  # noqa: F401
    from strawberry.types.execution import ExecutionResult, PreExecutionError
    from strawberry.types.graphql import OperationType

    if InvalidOperationTypeError(OperationType.SUBSCRIPTION).operation_type is not OperationType.SUBSCRIPTION:
        return "InvalidOperationTypeError has no operation_type."
    if not issubclass(PreExecutionError, ExecutionResult):
        return "PreExecutionError is no longer an ExecutionResult."
    return None


def _provided_operation_name() -> str | None:
    from strawberry.types.execution import ExecutionContext

    return _first(
        _source_has(ExecutionContext.__post_init__, "self._provided_operation_name = provided_operation_name"),
        _source_has(ExecutionContext.operation_name.fget, "get_first_operation("),
    )


def _validation_cache() -> str | None:
    from strawberry.extensions import ValidationCache
    from strawberry.schema import schema
    from strawberry.types.execution import ExecutionContext

    problem = _parameters(schema.validate_document, ["schema", "document", "validation_rules"])
    if problem:
        return problem
    fields = {f.name for f in dataclasses.fields(ExecutionContext)} | set(dir(ExecutionContext))
    absent = [n for n in ("schema", "graphql_document", "operation_name", "variables", "validation_rules",
                          "context", "pre_execution_errors") if n not in fields]
    return f"ExecutionContext has no {absent}." if absent else _parameters(ValidationCache.on_validate, ["self"])


def _limit_rules() -> str | None:
    from strawberry.extensions.max_aliases import create_validator as alias_rule
    from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

    return _first(_parameters(alias_rule, ["max_alias_count"]),
                  _parameters(depth_rule, ["max_depth", "should_ignore", "callback"]))


# --- graphql-transport-ws (engine/ws_limits.py, engine/multicast.py) --------------------------


def _run(coroutine) -> None:
    """Runs a coroutine that never waits (its upstream code calls only the stand-ins below)."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("the coroutine waited on something")


def _handler():
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

    return BaseGraphQLTransportWSHandler


def _handler_hooks() -> str | None:
    handler = _handler()
    init = _parameters(handler.__init__, ["self", "view", "websocket", "context", "root_value", "schema",
                                          "connection_init_wait_timeout", "max_subscriptions_per_connection"])
    if init:
        return init
    made = handler(object(), object(), object(), None, object(), timedelta(seconds=1), 5)
    return _first(
        _missing(made, ["view", "websocket", "context", "operations", "max_subscriptions_per_connection",
                        "connection_acknowledged"]),
        None if made.operations == {} else "handler.operations is no longer a dict by id.",
        _parameters(handler.handle, ["self"]),
        _parameters(handler.handle_message, ["self", "message"]),
        _parameters(handler.handle_subscribe, ["self", "message"]),
        _parameters(handler.handle_connection_init, ["self", "message"]),
        _parameters(handler.handle_invalid_message, ["self", "error_message"]),
        _parameters(handler.send_message, ["self", "message"]),
        _parameters(handler.run_operation, ["self", "operation"]),
        # Each frame reaches handle_message (ws_messages checks it first), which dispatches by type.
        _source_has(handler.handle, "self.handle_message("),
        _source_has(handler.handle_message, "self.handle_subscribe(", "self.handle_connection_init("),
        _source_has(handler.handle_connection_init, "self.view.on_ws_connect(self.context)"),
    )


class _StandInHandler:
    """What an Operation asks of its handler, recording what it sends."""

    def __init__(self) -> None:
        self.operations: dict = {}
        self.sent: list = []

    def forget_id(self, id: str) -> None:
        del self.operations[id]

    async def send_message(self, message) -> None:
        self.sent.append(message)


def _operation(handler: _StandInHandler, id: str):
    from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

    operation = Operation(handler, id, "subscription { a }", None, None)
    handler.operations[id] = operation
    return operation


def _operation_state() -> str | None:
    handler = _StandInHandler()
    operation = _operation(handler, "1")
    if (operation.completed, operation.handler, operation.id) != (False, handler, "1"):
        return "Operation has no completed (False when new), handler or id."
    _run(operation.send_operation_message({"id": "1", "type": "complete"}))
    if not operation.completed or "1" in handler.operations:
        return "completing an Operation no longer sets completed and forgets it from handler.operations."
    return None


def _next_message() -> str | None:
    from strawberry.types import ExecutionResult

    handler = _StandInHandler()
    _run(_operation(handler, "7").send_next(ExecutionResult(data={"a": 1}, errors=None)))
    expected = {"id": "7", "type": "next", "payload": {"data": {"a": 1}}}
    if handler.sent != [expected] or list(handler.sent[0]) != ["id", "type", "payload"]:
        return f"send_next sends {handler.sent}, expected [{expected}] (keys in that order)."
    return None


def _operation_task() -> str | None:
    handler = _handler()
    return _first(
        _source_has(handler.handle_subscribe, "asyncio.create_task(self.run_operation(operation))"),
        _source_has(handler.run_operation, "self.schema.stream(", "context_value=self.context"),
    )


def _connection_params() -> str | None:
    return _source_has(_handler().handle_connection_init, "self.context.connection_params = payload")


# --- graphql-core's executor (engine/execution.py) -------------------------------------------

# graphql-core 3.3.2's Executor.execute_fields, its docstring left out (see _loop_digest).
EXECUTE_FIELDS_DIGEST = "751849e211a12c62"


def _executor():
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    return StrawberryGraphQLCoreExecutionContext


def _loop_digest(function) -> str:
    """A digest of `function`'s code (its syntax tree without docstring: formatting and comments
    do not count)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0].body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        del body[0]
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()[:16]


def _execute_fields() -> str | None:
    executor = _executor()
    if "execute_fields" in vars(executor):
        return "StrawberryGraphQLCoreExecutionContext now overrides execute_fields."
    return _parameters(executor.execute_fields,
                       ["self", "parent_type", "source_value", "path", "grouped_field_set", "position_context"])


def _field_loop() -> str | None:
    digest = _loop_digest(_executor().execute_fields)
    if digest != EXECUTE_FIELDS_DIGEST:
        return (f"its code's digest is {digest}, not {EXECUTE_FIELDS_DIGEST}: compare the new loop with "
                "_ExecutionContext.execute_fields, then record the new digest in EXECUTE_FIELDS_DIGEST.")
    return None


def _executor_helpers() -> str | None:
    from graphql.execution.middleware import MiddlewareManager
    from graphql.pyutils import Path, gather_with_cancel  # noqa: F401 - its import path is the detail

    executor = _executor()
    return _first(
        _parameters(executor.execute_field,
                    ["self", "parent_type", "source", "field_details_list", "path", "position_context"]),
        _parameters(executor.complete_leaf_value, ["return_type", "result"]),
        _parameters(executor.settle_in_background, ["self", "awaitables"]),
        _parameters(Path, ["prev", "key", "typename"]),
        _missing(executor, ["is_awaitable"]),
        _sets(executor, "middleware_manager"),
        None if hasattr(MiddlewareManager(), "middlewares") else "MiddlewareManager has no middlewares.",
    )


def _field_details() -> str | None:
    from graphql.execution.collect_fields import FieldDetails

    names = getattr(FieldDetails, "_fields", None) or [f.name for f in dataclasses.fields(FieldDetails)]
    return None if "node" in names else f"FieldDetails has {list(names)}, no node."


def _compiled_hooks() -> str | None:
    """What the compiled execution (engine.compiled) takes from graphql-core and Strawberry."""
    from graphql.execution.collect_fields import FieldDetails, collect_subfields
    from graphql.execution.executor import Executor
    from graphql.execution.values import VariableValues, get_argument_values

    executor = _executor()
    names = getattr(FieldDetails, "_fields", None) or [f.name for f in dataclasses.fields(FieldDetails)]
    return _first(
        _parameters(executor.execute_collected_root_fields,
                    ["self", "root_type", "root_value", "grouped_field_set", "serially", "new_defer_usages"]),
        _parameters(collect_subfields, ["schema", "fragments", "variable_values", "operation", "return_type",
                                        "field_details_list", "hide_suggestions"]),
        _parameters(get_argument_values, ["type_def", "node", "variable_values", "fragment_variable_values",
                                          "hide_suggestions"]),
        _parameters(Executor.complete_leaf_value, ["return_type", "result"]),
        None if {"fragment_variable_values", "defer_usage"} <= set(names) else f"FieldDetails has {list(names)}.",
        None if "coerced" in VariableValues._fields else "VariableValues has no coerced.",
        _sets(executor, "fragments"), _sets(executor, "fragment_definitions"), _sets(executor, "hide_suggestions"),
        _subscription_events(),
    )


def _subscription_events() -> str | None:
    """A subscription's event is executed by a copy of the executor whose root value is the event
    (the way to execute_collected_root_fields), and Strawberry's subscription field answers it as is."""
    from graphql.execution.execute import map_source_to_response_event
    from graphql.execution.executor import Executor
    from strawberry.schema.schema_converter import GraphQLCoreConverter

    return _first(
        _source_has(map_source_to_response_event, "executor.build_per_event_executor"),
        _source_has(Executor.build_per_event_executor, "executor.root_value = payload"),
        _source_has(Executor.execute_operation, "self.execute_collected_root_fields("),
        _source_has(GraphQLCoreConverter.from_field, "resolver = lambda event, *_, **__: event"),
    )


def _strawberry_definitions() -> str | None:
    """Strawberry's field behind each graphql-core field, and its resolver function."""
    query, schema = _plain_and_resolved()
    fields = schema.query_type.fields
    plain = (fields["plain"].extensions or {}).get("strawberry-definition")
    resolved = (fields["resolved"].extensions or {}).get("strawberry-definition")
    if plain is None or resolved is None:
        return "a graphql-core field no longer carries extensions['strawberry-definition']."
    if plain.base_resolver is not None or plain.python_name != "plain":
        return "a plain field's definition has a resolver, or another python_name."
    if resolved.base_resolver is None or resolved.base_resolver.wrapped_func is not query.resolved:
        return "a resolver field's base_resolver.wrapped_func is not the function on the class."
    if (schema.query_type.extensions or {}).get("strawberry-definition") is None:
        return "a graphql-core object type no longer carries extensions['strawberry-definition']."
    from strawberry.schema.types.base_scalars import DateTimeDefinition, isoformat

    if DateTimeDefinition.serialize is not isoformat:
        return "DateTime no longer serialises by base_scalars.isoformat (engine.compiled.leaves writes isoformat())."
    return None


def _plain_and_resolved():
    """A Strawberry type with a plain field and a resolver field, and its graphql-core schema."""
    import strawberry

    @strawberry.type
    class Query:
        plain: int

        @strawberry.field
        def resolved(self) -> int:
            return 1

    return Query, strawberry.Schema(query=Query)._schema


def _default_resolver() -> str | None:
    Query, schema = _plain_and_resolved()  # noqa: N806 - a class
    fields = schema.query_type.fields
    if getattr(fields["plain"].resolve, "_is_default", None) is not True:
        return "a plain attribute's resolver no longer has _is_default = True."
    if getattr(fields["resolved"].resolve, "_is_default", False):
        return "a field with a resolver of its own has _is_default too."
    if fields["plain"].resolve(Query(plain=4)) != 4:
        return "a plain attribute's resolver no longer takes the source alone."
    return None


# --- Starlette (engine/multicast.py) and the schema layer's inputs ---------------------------


def _websocket_send() -> str | None:
    from starlette.websockets import WebSocket

    if not inspect.iscoroutinefunction(WebSocket.send):
        return "WebSocket.send is no longer a coroutine function."
    return _parameters(WebSocket.send, ["self", "message"])


def _input_definition() -> str | None:
    import strawberry
    from strawberry.types.base import has_object_definition

    @strawberry.input
    class Given:
        some_name: int | None = strawberry.UNSET

    value = Given(some_name=1)
    if not has_object_definition(value):
        return "has_object_definition() no longer recognises an input object."
    fields = value.__strawberry_definition__.fields
    if [(f.python_name, f.graphql_name or "someName") for f in fields] != [("some_name", "someName")]:
        return "__strawberry_definition__.fields no longer give python_name (and graphql_name)."
    return None


RELIANCES: list[Reliance] = [
    Reliance("GraphQL.execute_single", "strawberry-graphql",
             "overridden with its arguments in this order; request_data has query, variables and operation_name",
             ENGINE + "asgi.py (GraphQLApp.execute_single)", _execute_single),
    Reliance("the view's run() and the schema's execute(), done by the short way", "strawberry-graphql",
             "a known document's request is answered by the view's own get_context, process_result and "
             "create_response around graphql-core's execute, called with the arguments Strawberry passes",
             ENGINE + "asgi.py (GraphQLApp.answer_known); " + ENGINE + "schema.py (AutoScribeSchema.execute_known); "
             + ENGINE + "admission.py (Admitted)", _short_way),
    Reliance("GraphQL.encode_json/decode_json/parse_json/parse_http_body", "strawberry-graphql",
             "overridden; WebSocket frames go through the view's encode_json and decode_json too",
             ENGINE + "asgi.py (GraphQLApp); autoscribe/core/request_json.py", _json_hooks),
    Reliance("GraphQL.__call__ refusals", "strawberry-graphql",
             "requests Strawberry refuses raise cross_web.HTTPException (status_code, reason) from run()",
             ENGINE + "asgi.py (GraphQLApp.__call__, _refusal)", _refusals),
    Reliance("GraphQL.process_result and the HTTP answer's way", "strawberry-graphql",
             "process_result sees each single result before create_response; a mutation over GET raises "
             "HTTPException from InvalidOperationTypeError; should_render_graphql_ide takes the request",
             ENGINE + "asgi.py (GraphQLApp.__call__, process_result, _refusal)", _http_answers),
    Reliance("websocket_adapter_class and Strawberry's own closes", "strawberry-graphql",
             "every close goes through the adapter's close(code, reason); Strawberry closes 4401, 4406 and "
             "4408 itself, for a subscribe before the ack, a subprotocol, the init timeout",
             ENGINE + "ws_refusals.py (RefusingSocket)", _ws_closes),
    Reliance("ExecutionContext._provided_operation_name", "strawberry-graphql",
             "None when the request names no operation (operation_name then falls back to the first)",
             ENGINE + "admission.py (Admission.on_validate)", _provided_operation_name),
    Reliance("connection_init_wait_timeout", "strawberry-graphql",
             "GraphQL() takes it (and max_subscriptions_per_connection) and closes a socket 4408 after it; "
             "the handler class is set through graphql_transport_ws_handler_class",
             ENGINE + "asgi.py (GraphQLApp.__init__)", _ws_arguments),
    Reliance("Schema.execute/stream positional arguments", "strawberry-graphql",
             "read by position: query, variable_values, context_value, root_value, operation_name",
             ENGINE + "schema.py (AutoScribeSchema.execute, stream)", _execute_stream),
    Reliance("Schema._schema", "strawberry-graphql", "the graphql-core schema, for the cost and validation",
             ENGINE + "admission.py (Admission.on_validate)", _graphql_core_schema),
    Reliance("InvalidOperationTypeError.operation_type and the error classes' import paths", "strawberry-graphql",
             "a subscription over HTTP is told apart; the request's own faults are recognised",
             ENGINE + "schema.py (AutoScribeSchema.execute); " + ENGINE + "errors.py", _operation_errors),
    Reliance("ValidationCache's hook and Strawberry's validate_document", "strawberry-graphql",
             "validate_document(schema, document, validation_rules), which adds Strawberry's own rules, cached "
             "by identity; execution_context fields",
             ENGINE + "admission.py (Admission)", _validation_cache),
    Reliance("max_aliases/query_depth_limiter create_validator", "strawberry-graphql",
             "the limits' rules made once, so that ValidationCache hits",
             ENGINE + "schema.py (build_schema)", _limit_rules),
    Reliance("BaseGraphQLTransportWSHandler hooks", "strawberry-graphql",
             "handle, handle_message, handle_subscribe, handle_connection_init, run_operation overridden; "
             "view, websocket, context, operations, connection_acknowledged read",
             ENGINE + "ws_limits.py (TransportWSHandler); " + ENGINE + "ws_messages.py", _handler_hooks),
    Reliance("Operation.completed and handler.operations", "strawberry-graphql",
             "a shared subscription writes to an operation only while it is open",
             ENGINE + "multicast.py (Sink.open)", _operation_state),
    Reliance("Operation.send_next message", "strawberry-graphql",
             "next messages as {id, type, payload: {data, errors, extensions}} in that order: encoded once "
             "for all members, and written directly in the same form",
             ENGINE + "multicast.py (SharedJson, _payload)", _next_message),
    Reliance("run_operation in a task of its own", "strawberry-graphql",
             "the operation reaches multicast.stream through the ContextVar multicast.OPERATION (per task; "
             "the context object is shared by the connection's operations)",
             ENGINE + "ws_limits.py (TransportWSHandler.run_operation); " + ENGINE + "multicast.py (stream)",
             _operation_task),
    Reliance("connection_params on the context", "strawberry-graphql",
             "the connection_init payload is set on the context object's attribute",
             "autoscribe/server/context.py (Context.bearer)", _connection_params),
    Reliance("ExecutionContext.execute_fields signature", "graphql-core",
             "overridden (Strawberry's execution context inherits graphql-core's)",
             ENGINE + "execution.py (_ExecutionContext.execute_fields)", _execute_fields),
    Reliance("ExecutionContext.execute_fields field loop", "graphql-core",
             "the fast path is a copy of this loop with plain scalar fields answered in it",
             ENGINE + "execution.py (_ExecutionContext.execute_fields)", _field_loop),
    Reliance("execute_field, complete_leaf_value, settle_in_background, Path, gather_with_cancel", "graphql-core",
             "called by the fast path as the loop it replaces calls them",
             ENGINE + "execution.py (_ExecutionContext.execute_fields)", _executor_helpers),
    Reliance("FieldDetails.node", "graphql-core", "the field node of a grouped field",
             ENGINE + "execution.py (_ExecutionContext.execute_fields)", _field_details),
    Reliance("field.resolve._is_default", "strawberry-graphql",
             "marks Strawberry's basic resolver (a getattr of the source), which the fast path calls itself",
             ENGINE + "execution.py (_plan)", _default_resolver),
    Reliance("execute_collected_root_fields, collect_subfields, get_argument_values, FieldDetails, VariableValues",
             "graphql-core", "the compiled execution takes the root fields where graphql-core executes them "
             "(a query's, and each subscription event's, whose root value is the event), "
             "and collects and coerces as it does",
             ENGINE + "execution.py (_ExecutionContext.execute_collected_root_fields); " + ENGINE
             + "compiled/planner.py; " + ENGINE + "compiled/run.py", _compiled_hooks),
    Reliance("extensions['strawberry-definition'] and base_resolver.wrapped_func", "strawberry-graphql",
             "the planner finds each field's Strawberry definition and knows resolvers by their function; "
             "Date and DateTime answer their isoformat()",
             ENGINE + "compiled/planner.py (Planner)", _strawberry_definitions),
    Reliance("WebSocket.send", "starlette", "a coroutine driven by hand, finished in a task only if it suspends",
             ENGINE + "multicast.py (Sink.write)", _websocket_send),
    Reliance("__strawberry_definition__.fields", "strawberry-graphql",
             "an input's fields (python_name, graphql_name), to keep only those the client gave",
             "autoscribe/schema/inputs.py (given)", _input_definition),
]
