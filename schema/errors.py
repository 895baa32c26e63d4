"""Errors as clients see them: a code on every error, unexpected ones masked with a request ID."""

from __future__ import annotations

import logging
import re

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from autoscribe.errors import AppError

log = logging.getLogger("autoscribe.errors")
_VARIABLE = re.compile(r"Variable '\$(\w+)'")


def client_error(error: GraphQLError, request_id: str) -> GraphQLError:
    """The error as it may reach the client."""
    original = error.original_error
    if isinstance(original, AppError):
        return error
    if error.path is None:
        # Parsing, validation and variable coercion: the request itself is at fault.
        ext = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
        match = _VARIABLE.search(error.message)
        if match and "field" not in ext:
            ext["field"] = match.group(1)
        return GraphQLError(error.message, error.nodes, error.source, error.positions, None, None, ext)
    log.error(
        "unexpected error in %s (request %s)",
        ".".join(str(p) for p in error.path),
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


def error_codes(errors) -> list[str]:
    return sorted({(e.extensions or {}).get("code", "?") for e in errors or []})


class ErrorCodes(SchemaExtension):
    """Rewrites each result's errors with client_error and notes the outcome for the access log."""

    def on_operation(self):
        yield
        ctx = self.execution_context
        result = ctx.result
        request_id = getattr(ctx.context, "request_id", "-")
        if result is not None and getattr(result, "errors", None):
            result.errors = [client_error(e, request_id) for e in result.errors]
        elif ctx.pre_execution_errors:
            ctx.pre_execution_errors = [client_error(e, request_id) for e in ctx.pre_execution_errors]
        request = getattr(ctx.context, "request", None)
        state = getattr(request, "state", None)
        if state is not None:
            state.operation = ctx.operation_name or (ctx.operation_type.value if ctx.operation_type else "-")
            errors = getattr(result, "errors", None) or ctx.pre_execution_errors
            state.outcome = "error:" + ",".join(error_codes(errors)) if errors else "ok"
