"""The errors an operation can end in; each carries its client-visible code (SPEC §6)."""

from __future__ import annotations


class AppError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict:
        ext = {"code": self.code}
        if self.field is not None:
            ext["field"] = self.field
        return ext


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "A valid bearer token is required."):
        super().__init__(message)


class Forbidden(AppError):
    code = "FORBIDDEN"


class NotFound(AppError):
    code = "NOT_FOUND"


class BadInput(AppError):
    code = "BAD_USER_INPUT"


class Conflict(AppError):
    code = "CONFLICT"


class CursorExpired(AppError):
    code = "CURSOR_EXPIRED"


class RateLimited(AppError):
    code = "RATE_LIMITED"
