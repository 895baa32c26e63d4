"""The errors an operation can end in; each carries its client-visible code (SPEC §6)."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every `extensions.code` a client can see: operations declare which of them they raise
    (autoscribe.operations.declared), and the GraphQL schema lists them as the enum ErrorCode."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    CURSOR_EXPIRED = "CURSOR_EXPIRED"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]


DESCRIPTIONS: dict[ErrorCode, str] = {
    ErrorCode.UNAUTHENTICATED: "No valid bearer token: missing, malformed, expired, or revoked.",
    ErrorCode.FORBIDDEN: "The caller lacks the right the operation needs (canManageStudies, canCreateReports, "
    "level ADMIN or OWNER, an API key), or a reroute session reaches beyond its study.",
    ErrorCode.NOT_FOUND: "A mutation names something the caller's clinic does not have (lookups by ID return "
    "null instead).",
    ErrorCode.BAD_USER_INPUT: "The request or an argument is not valid; extensions.field names the input path "
    "at fault.",
    ErrorCode.CONFLICT: "The request is valid but the current state forbids it (a taken e-mail or "
    "studyInstanceUid, a report already signed, a link already used); nothing changed.",
    ErrorCode.CURSOR_EXPIRED: "A subscription's `after` cursor is older than the event log keeps: start afresh.",
    ErrorCode.RATE_LIMITED: "Too much at once (a subscriber too slow for its events, too many messages): "
    "retry later; a subscription resumes with `after` its last cursor.",
    ErrorCode.INTERNAL_SERVER_ERROR: "An unexpected failure, logged under extensions.requestId; never "
    "the detail.",
}


class AppError(Exception):
    code = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict:
        ext = {"code": self.code.value}
        if self.field is not None:
            ext["field"] = self.field
        return ext


class Unauthenticated(AppError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "A valid bearer token is required."):
        super().__init__(message)


class Forbidden(AppError):
    code = ErrorCode.FORBIDDEN


class NotFound(AppError):
    code = ErrorCode.NOT_FOUND


class BadInput(AppError):
    code = ErrorCode.BAD_USER_INPUT


class Conflict(AppError):
    code = ErrorCode.CONFLICT


class CursorExpired(AppError):
    code = ErrorCode.CURSOR_EXPIRED


class RateLimited(AppError):
    code = ErrorCode.RATE_LIMITED
