"""Errors as the avara SDK reads them: a status it maps to its exception classes and a JSON body
`{"code", "message", "field"}`; the codes and messages are the operations' own (core.errors).

A field named by an operation is a GraphQL argument path (`input.studyInstanceUid`, `id`,
`after`); it is spelt as the REST request names it (`studyInstanceUid`, `studyId`, `cursor`).
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from autoscribe.core.errors import AppError

log = logging.getLogger("autoscribe.rest")

STATUS = {
    "BAD_USER_INPUT": 400,
    "CURSOR_EXPIRED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "RATE_LIMITED": 429,
}

# GraphQL argument names that every REST endpoint spells otherwise.
COMMON_FIELDS = {"after": "cursor", "first": "limit"}


def rest_field(field: str | None, renames: dict[str, str]) -> str | None:
    """The REST spelling of an operation's field path: `input.` dropped, then the endpoint's renames
    (whole path, or its first part) and the common ones."""
    if field is None:
        return None
    field = field.removeprefix("input.")
    head, dot, rest = field.partition(".")
    table = {**COMMON_FIELDS, **renames}
    if field in table:
        return table[field]
    return table.get(head, head) + dot + rest


def error_response(code: str, message: str, field: str | None = None, status: int | None = None) -> JSONResponse:
    status = status or STATUS.get(code, 500)
    headers = {}
    if status == 409:
        # The SDK re-sends a 409 twice unless told not to: a conflict does not go away by retrying.
        headers["x-should-retry"] = "false"
    return JSONResponse({"code": code, "message": message, "field": field}, status_code=status, headers=headers)


def app_error_response(error: AppError, renames: dict[str, str]) -> JSONResponse:
    return error_response(error.code, error.message, rest_field(error.field, renames))


def unexpected_response(error: BaseException, request_id: str) -> JSONResponse:
    """A fault of ours: logged with its trace and the request ID; the client gets the ID alone."""
    log.error("request_id=%s unexpected error in a REST endpoint", request_id, exc_info=error)
    return error_response(
        "INTERNAL_SERVER_ERROR", f"Internal server error (request ID {request_id}).", status=500
    )
