"""The OpenAPI 3.1 document of the REST API (served at /v1/openapi.json), generated from the route
table (autoscribe.rest.app.ENDPOINTS) and the same pydantic models that read the bodies and
serialise the responses: a path per endpoint with its method, parameters, body and response."""

from __future__ import annotations

import re
from typing import Any

from pydantic import TypeAdapter
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema

from autoscribe.rest.routing import Endpoint

REF = "#/components/schemas/{model}"

ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, …"},
        "message": {"type": "string"},
        "field": {"type": ["string", "null"], "description": "The request field at fault, if one is."},
    },
}
ERROR_STATUSES = {"400": "Bad input", "401": "No valid bearer token", "403": "Not allowed",
                  "404": "No such object in the caller's clinic", "409": "Conflict (not retried)",
                  "429": "Rate limited", "500": "Internal server error"}


def _schema(adapter, mode: str, defs: dict) -> dict:
    """The adapter's JSON schema, its models moved to `defs` (components) and referred to."""
    schema = adapter.json_schema(mode=mode, by_alias=True, ref_template=REF, schema_generator=GenerateJsonSchema)
    defs.update(schema.pop("$defs", {}))
    if "title" in schema and "properties" in schema:
        name = schema["title"]
        defs[name] = schema
        return {"$ref": REF.format(model=name)}
    return schema


def _path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)



def document(endpoints: tuple[Endpoint, ...], *, version: str = "0.1.0") -> dict[str, Any]:
    defs: dict[str, Any] = {"Error": ERROR}
    paths: dict[str, dict] = {}
    for ep in endpoints:
        path = ep.full_path
        for name in _path_params(path):
            path = path.replace("{" + name + "}", "{" + to_camel(name) + "}")
        parameters = [
            {"name": to_camel(name), "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _path_params(ep.full_path)
        ] + [
            {"name": p.name, "in": "query", "required": False, "schema": p.schema(),
             **({"description": p.description} if p.description else {}),
             **({"style": "form", "explode": False} if p.kind == "enum-list" else {})}
            for p in ep.query
        ]
        operation: dict[str, Any] = {
            "operationId": ep.operation_id,
            "summary": ep.summary,
            "security": [{"bearer": []}],
            "parameters": parameters,
            "responses": {
                str(ep.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": _schema(ep.adapter, "serialization", defs)}},
                },
                **{code: {"description": text, "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
                   for code, text in ERROR_STATUSES.items()},
            },
        }
        if ep.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(TypeAdapter(ep.body), "validation", defs)}},
            }
        paths.setdefault(path, {})[ep.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "AutoScribe REST API", "version": version,
                 "description": "Avara's AutoScribe REST API, as the avara SDK calls it, over AutoScribe's operations."},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(defs.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "An API key (ask_…) or a user session token (ust_…)."}},
        },
    }
