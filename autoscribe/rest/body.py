"""JSON request bodies: decoded within bounds (autoscribe.core.request_json: UTF-8 only, nesting
limited), an object or nothing, then checked against the endpoint's body model."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from autoscribe.core import request_json
from autoscribe.core.errors import BadInput


async def read_object(request: Request) -> dict:
    """The body as a JSON object; an empty body is `{}` (the SDK sends none for bodiless POSTs)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = request_json.loads(raw)
    except request_json.BadJson as bad:
        raise BadInput(bad.reason, field="body") from None
    if not isinstance(value, dict):
        raise BadInput("The request body must be a JSON object.", field="body")
    return value


def field_of(loc: tuple) -> str:
    """A pydantic error location as a dotted camelCase path (`reportMetadata.height.unit`)."""
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))) or "body"


def parse(model: type[BaseModel], data: dict) -> BaseModel:
    """`data` checked against `model` (types and wire spellings); BAD_USER_INPUT naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise BadInput(err.get("msg", "Invalid value.").removeprefix("Value error, "), field=field_of(err["loc"])) from None
