"""Errors as clients see them: a code on every error, unexpected ones masked with a request ID."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from autoscribe.core.errors import AppError

log = logging.getLogger("autoscribe.errors")
# "Variable '$input' has invalid value at .reportMetadata.studyDate: ..." blames input.reportMetadata.studyDate.
_VARIABLE = re.compile(r"Variable '\$(\w+)'(?: has invalid value at ((?:\.\w+|\[\d+\])+):)?")
# What an error outside any field may stem from when the request itself is at fault.
_REQUEST_FAULTS = (GraphQLError, CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError)


def _field(variable: str, path: str | None) -> str:
    """The dotted field of a variable's invalid value (list items as their index: input.priorReports.0)."""
    if not path:
        return variable
    return variable + re.sub(r"\[(\d+)\]", r".\1", path)


def client_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as it may reach the client."""
    original = error.original_error
    if isinstance(original, AppError) or (error.extensions or {}).get("code"):
        return error
    if error.path is None and (original is None or isinstance(original, _REQUEST_FAULTS)):
        # Parsing, validation and variable coercion: the request itself is at fault. (Any other
        # exception outside a field, such as one raised by a subscription's event stream, is not.)
        ext = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
        match = _VARIABLE.search(error.message)
        if match and "field" not in ext:
            ext["field"] = _field(match.group(1), match.group(2))
        return GraphQLError(error.message, error.nodes, error.source, error.positions, None, None, ext)
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path or ["(operation)"]),
        request_id,
        exc_info=original or error,
    )
    return GraphQLError(
        f"Internal server error (request {request_id}).",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        None,
        {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class OperationOutcome:
    """The error codes shown to one graphql-transport-ws operation (its outcome on /metrics): the
    connection's request state is shared by all its operations, this is the operation's own."""

    __slots__ = ("context", "codes")

    def __init__(self, context) -> None:
        self.context = context
        self.codes: list[str] = []


# Set by the connection's handler for the task of each operation (engine.ws_limits).
OPERATION_OUTCOME: ContextVar[OperationOutcome | None] = ContextVar("operation_outcome", default=None)


def present(result, context, operation_name: str | None):
    """Rewrite a result's errors for the client and note the outcome for the access log."""
    request_id = getattr(context, "request_id", "-")
    errors = getattr(result, "errors", None)
    codes = []
    if errors:
        result.errors = [client_error(e, request_id) for e in errors]
        codes = sorted({(e.extensions or {}).get("code", "?") for e in result.errors})
        noted = OPERATION_OUTCOME.get()
        if noted is not None and noted.context is context:
            noted.codes = codes
    state = getattr(getattr(context, "request", None), "state", None)
    if state is not None:
        state.operation = operation_name or getattr(state, "operation", None) or "-"
        state.outcome = "error:" + ",".join(codes) if codes else "ok"
    return result
