"""The OpenAPI 3.1 document at /v1/openapi.json describes exactly the routes served: every REST
route with its method, its path and query parameters, its body and its response schema (the
model that serialises the response), and the SDK's study, report, user and invitation paths are all among them."""

from __future__ import annotations

import re
from pathlib import Path

import avara
from pydantic.alias_generators import to_camel
from starlette.routing import Mount, Route

from autoscribe.rest.app import ENDPOINTS
from autoscribe.rest.routing import MOUNT

SDK_RESOURCES = Path(avara.__file__).parent / "resources" / "auto_scribe"


def _served(app) -> set[tuple[str, str]]:
    """(method, OpenAPI-style path) of every route under the REST mount."""
    [mount] = [r for r in app.routes if isinstance(r, Mount) and r.path == MOUNT]
    out = set()
    for route in mount.routes:
        assert isinstance(route, Route)
        path = MOUNT + re.sub(r"{(\w+)}", lambda m: "{" + to_camel(m[1]) + "}", route.path)
        out |= {(method, path) for method in route.methods if method != "HEAD"}
    return out



def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


async def test_the_document_lists_every_route_with_its_parameters_and_schemas(app, http):
    response = await http.get("/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    served = _served(app)
    assert documented == served - {("GET", "/v1/openapi.json")}
    assert len(documented) == len(ENDPOINTS) == 24

    for ep in ENDPOINTS:
        path = re.sub(r"{(\w+)}", lambda m: "{" + to_camel(m[1]) + "}", ep.full_path)
        op = doc["paths"][path][ep.method.lower()]
        assert op["operationId"] == ep.operation_id
        params = {(p["in"], p["name"]) for p in op["parameters"]}
        assert params == {("path", n) for n in re.findall(r"{(\w+)}", path)} | {("query", p.name) for p in ep.query}
        # The response schema is the one the endpoint serialises through.
        schema = op["responses"][str(ep.status)]["content"]["application/json"]["schema"]
        expected = ep.adapter.json_schema(mode="serialization", by_alias=True, ref_template="#/components/schemas/{model}")
        expected.pop("$defs", None)
        assert _resolve(doc, schema) == expected
        if ep.body is not None:
            body = _resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
            assert set(body["properties"]) == {f.alias for f in ep.body.model_fields.values()}
        else:
            assert "requestBody" not in op
        assert op["responses"]["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

    # Every $ref points at a component.
    refs = list(_refs(doc))
    assert refs and all(ref.rsplit("/", 1)[1] in doc["components"]["schemas"] for ref in refs)


def _refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_study_report_user_and_invitation_path_the_sdk_calls_is_documented():
    """The SDK's own paths (its resources' source), external studies aside (not kept here)."""
    sdk_paths = set()
    for source in ("studies/studies.py", "reports.py", "users/users.py", "users/invitations.py"):
        text = (SDK_RESOURCES / source).read_text()
        sdk_paths |= {re.sub(r"{(\w+)}", lambda m: "{" + to_camel(m[1]) + "}", p)
                      for p in re.findall(r'"(/v1/autoScribe/[^"]+)"', text)}
    from autoscribe.rest.openapi import document

    assert len(sdk_paths) == 12 + 7
    assert sdk_paths == set(document(ENDPOINTS)["paths"])
