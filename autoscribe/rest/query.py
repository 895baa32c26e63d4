"""Query strings as the avara SDK writes them: camelCase names, arrays comma-joined
(`studyReportStatus=unassigned,assigned`), booleans `true`/`false`, and `limit` typed float by the
SDK (`limit=2.0` is sent for 2). Each reader raises BAD_USER_INPUT naming the parameter.

An endpoint declares its parameters as `Param`s (name, kind, description); the same declarations
read the request and write the OpenAPI document's `parameters`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from autoscribe.core.errors import BadInput
from autoscribe.rest.wire import Spelling


@dataclass(frozen=True)
class Param:
    """One query parameter: `kind` is "string", "boolean", "integer" (a whole number, `2.0`
    accepted), "enum" or "enum-list" (with `spelling`)."""

    name: str
    kind: str = "string"
    description: str = ""
    spelling: Spelling | None = None
    minimum: int | None = None
    maximum: int | None = None
    extra: dict = field(default_factory=dict)

    def schema(self) -> dict:
        """The parameter's JSON schema (OpenAPI)."""
        if self.kind == "boolean":
            return {"type": "boolean"}
        if self.kind == "integer":
            out: dict[str, Any] = {"type": "number"}
            if self.minimum is not None:
                out["minimum"] = self.minimum
            if self.maximum is not None:
                out["maximum"] = self.maximum
            return out
        if self.kind == "enum":
            return {"type": "string", "enum": list(self.spelling.to_domain)}
        if self.kind == "enum-list":
            return {"type": "array", "items": {"type": "string", "enum": list(self.spelling.to_domain)}}
        return {"type": "string"}

    def read(self, params: QueryParams) -> Any:
        """The parameter's value (domain enums for enum kinds), or None when it is absent."""
        text = params.get(self.name)
        if text is None:
            return None
        if self.kind == "boolean":
            return boolean(text, self.name)
        if self.kind == "integer":
            return whole(text, self.name, self.minimum, self.maximum)
        if self.kind == "enum":
            return self.spelling.domain(text, self.name)
        if self.kind == "enum-list":
            return [self.spelling.domain(item, self.name) for item in comma_list(text)]
        return text


def boolean(text: str, name: str) -> bool:
    if text in ("true", "false"):
        return text == "true"
    raise BadInput("Must be true or false.", field=name)


def whole(text: str, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number written as an integer or a float with no fraction (`2`, `2.0`)."""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number):
        raise BadInput("Must be a whole number.", field=name)
    value = int(number)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise BadInput(f"Must be between {minimum} and {maximum}.", field=name)
    return value


def comma_list(text: str) -> list[str]:
    """`a,b` → ["a", "b"]; empty items (`a,,b`, a trailing comma) are left out."""
    return [item for item in text.split(",") if item]


def read_all(params: tuple[Param, ...], query: QueryParams) -> dict[str, Any]:
    """The declared parameters that were given, by name; an undeclared one is refused (a typo
    would otherwise widen a filter silently)."""
    known = {p.name for p in params}
    for name in query.keys():
        if name not in known:
            raise BadInput(f"Unknown query parameter {name!r}.", field=name)
    values = {p.name: p.read(query) for p in params}
    return {name: value for name, value in values.items() if value is not None}
