"""A document answered by its plan before takes the short way over HTTP (engine.known_documents):
past Strawberry's view and extensions, with the same answer, byte for byte, as the standard
executor gives, whatever the request brings next: other variables, a bad cursor, variables that
do not coerce, a cost over the limit, no token, another caller; and a write made once each time."""

from __future__ import annotations

import json
import logging

from graphql import parse
from sqlalchemy import func, select

from autoscribe.server.engine.admission import Admitted
from autoscribe.server.engine.known_documents import KnownDocuments

from autoscribe.db.models import Study
from tests.support.clinics import add_user, session_token
from tests.support.compiled_seed import _seed
from tests.support.differential import both
from tests.support.metrics import scrape

WORKLIST = """query Worklist($first: Int!, $after: String) {
  studies(first: $first, after: $after, orderBy: PRIORITY) {
    pageInfo { hasNextPage endCursor }
    nodes { id severity assignedTo { id firstName } reportMetadata { patientName } }
  }
}"""
CREATE = "mutation Create($in: CreateStudyInput!) { createStudy(input: $in) { id severity studyReportStatus } }"
JSON = {"Accept": "application/json"}
GRAPHQL_RESPONSE = {"Accept": "application/graphql-response+json"}


async def _post(client, token, query, variables=None, operation=None, headers=None):
    body = {"query": query, "variables": variables or {}}
    if operation is not None:
        body["operationName"] = operation
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json=body, headers={**auth, **(headers or {})})
    return response.status_code, response.headers["content-type"], response.content


async def _learnt(apps, token, query, variables=None) -> None:
    """The served app answers `query` the standard way once, and learns it."""
    before = len(apps.fast_graphql.known)
    status, _type, body = await _post(apps.fast, token, query, variables)
    assert status == 200 and "errors" not in json.loads(body), body
    assert len(apps.fast_graphql.known) == before + 1


async def _same_both_ways(apps, token, query, variables=None, *, short: bool = True, headers=None, operation=None):
    """The same status, media type and bytes from both apps; the served one went the short way (or not)."""
    taken = apps.fast_graphql.known.admitted
    ours = await _post(apps.fast, token, query, variables, operation, headers)
    theirs = await _post(apps.standard, token, query, variables, operation, headers)
    assert ours == theirs, query
    assert apps.fast_graphql.known.admitted == taken + (1 if short else 0)
    return json.loads(ours[2])


async def test_a_known_worklist_answers_the_short_way_as_the_standard_executor(apps, api, services, clinic):
    await _seed(api, services, clinic)
    await _learnt(apps, clinic.key, WORKLIST, {"first": 3})
    first = await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 3})
    assert [n["severity"] for n in first["data"]["studies"]["nodes"]] == ["STAT", "STAT", "HIGH"]
    # Other variables: the next page, the whole list.
    after = first["data"]["studies"]["pageInfo"]["endCursor"]
    rest = await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 10, "after": after})
    assert len(rest["data"]["studies"]["nodes"]) == 5
    # Either media type, with its content type.
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 2}, headers=GRAPHQL_RESPONSE)
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 2}, headers=JSON)


async def test_errors_after_learning_keep_their_code_field_path_and_status(apps, api, services, clinic):
    await _seed(api, services, clinic)
    await _learnt(apps, clinic.key, WORKLIST, {"first": 3})
    # A bad cursor and a page size out of bounds: the root field's error.
    forged = await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 3, "after": "forged"})
    (error,) = forged["errors"]
    assert error["path"] == ["studies"] and error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert forged["data"] is None
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 0})
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 10**9})
    # Variables that do not coerce: refused before execution, in each media type's status.
    for headers in (JSON, GRAPHQL_RESPONSE):
        refused = await _same_both_ways(apps, clinic.key, WORKLIST, {"first": "many"}, headers=headers)
        assert "data" not in refused and refused["errors"][0]["extensions"]["field"] == "first"
        await _same_both_ways(apps, clinic.key, WORKLIST, {}, headers=headers)
    # No token, or a bad one.
    for token in (None, "ask_not-a-key"):
        anonymous = await _same_both_ways(apps, token, WORKLIST, {"first": 3})
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_what_the_short_way_does_not_admit_goes_the_standard_way(apps, api, services, clinic):
    await _seed(api, services, clinic)
    await _learnt(apps, clinic.key, WORKLIST, {"first": 3})
    # Text the schema refuses in a variable.
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 3, "after": "a\x00b"}, short=False)
    # Another operation name than the one learnt; the same text with extensions.
    await _same_both_ways(apps, clinic.key, WORKLIST, {"first": 3}, operation="Other", short=False)
    status, _type, body = await _post(apps.fast, clinic.key, WORKLIST, {"first": 3}, operation="Worklist")
    assert status == 200 and "errors" not in json.loads(body)


async def test_a_document_with_introspection_elsewhere_is_never_learnt(apps, api, services, clinic):
    await _seed(api, services, clinic)
    document = WORKLIST + "\nquery Schema { __schema { queryType { name } } }"
    status, _type, body = await _post(apps.fast, clinic.key, document, {"first": 3}, operation="Worklist")
    assert status == 200 and "errors" not in json.loads(body)
    assert len(apps.fast_graphql.known) == 0
    # For a caller without a token the whole document fails validation, as the standard way says.
    refused = await _same_both_ways(apps, None, document, {"first": 3}, operation="Worklist", short=False)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_known_document_for_another_caller_shows_what_they_may_see(apps, api, services, clinic, other_clinic):
    await _seed(api, services, clinic)
    await _learnt(apps, clinic.key, WORKLIST, {"first": 10})
    theirs = await _same_both_ways(apps, other_clinic.key, WORKLIST, {"first": 10})
    assert theirs["data"]["studies"]["nodes"] == []
    ada = await add_user(services, clinic.id, first_name="Ada")
    mine = await _same_both_ways(apps, session_token(services, ada), WORKLIST, {"first": 10})
    assert len(mine["data"]["studies"]["nodes"]) == 8


async def test_a_known_create_study_writes_once_each_time(apps, services, clinic):
    made = []
    for i in range(3):
        variables = {"in": {"studyInstanceUid": f"9.{i}", "studyDescription": "CT Head", "severity": "STAT",
                            "reportMetadata": {}}}
        status, _type, body = await _post(apps.fast, clinic.key, CREATE, variables)
        assert status == 200, body
        made.append(json.loads(body)["data"]["createStudy"])
    assert apps.fast_graphql.known.admitted == 2
    assert [m["severity"] for m in made] == ["STAT"] * 3 and len({m["id"] for m in made}) == 3
    async with services.db.read() as session:
        stored = (await session.execute(select(Study.study_instance_uid).where(Study.clinic_id == clinic.id))).scalars()
        assert sorted(stored) == ["9.0", "9.1", "9.2"]
    # A conflict after learning: the error with its code, and nothing more stored.
    status, _type, body = await _post(apps.fast, clinic.key, CREATE, {"in": {
        "studyInstanceUid": "9.0", "studyDescription": "CT Head", "severity": "STAT", "reportMetadata": {}}})
    (error,) = json.loads(body)["errors"]
    assert error["path"] == ["createStudy"] and error["extensions"]["code"] == "CONFLICT"
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Study).where(Study.clinic_id == clinic.id)) == 3


async def test_the_short_way_is_logged_and_counted_as_any_request(http, api, app, services, clinic, caplog):
    query = "query Counted($n: Int!) { studies(first: $n) { nodes { id } } }"
    await api.ok(query, {"n": 1}, token=clinic.key)
    before = await scrape(http)
    taken = app.state.graphql.known.admitted
    with caplog.at_level(logging.INFO, logger="autoscribe.access"):
        await api.ok(query, {"n": 2}, token=clinic.key)
    assert app.state.graphql.known.admitted == taken + 1
    after = await scrape(http)
    labels = {"operation": "Counted", "kind": "query", "outcome": "OK"}
    assert after.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1
    (line,) = [r for r in caplog.records if r.name == "autoscribe.access" and r.path == "/graphql"]
    assert line.operation == "Counted" and line.outcome == "ok" and line.status == 200


def test_a_cost_over_the_limit_for_the_variables_is_not_admitted(app):
    """The query cost is counted again for each request's variables (engine.cost)."""
    graphql = app.state.graphql
    document = parse("query($n: Int!) { studies(first: $n) { nodes { id assignedTo { assignedStudies(first: 100) "
                     "{ nodes { id } } } } } }")
    known = KnownDocuments(graphql.schema._schema, max_cost=5_000)
    known.learn("q", None, Admitted(document, (), "query", None))
    assert known.admit("q", None, {"n": 2}) is not None
    assert known.admit("q", None, {"n": 100}) is None
    assert known.admit("other text", None, {"n": 2}) is None


async def test_a_body_is_parsed_once_when_the_short_way_hands_it_on(apps, api, services, clinic, monkeypatch):
    """A document not (yet) known is answered the standard way from the body the short way parsed."""
    from autoscribe.core import request_json

    parsed = []
    loads = request_json.loads
    monkeypatch.setattr(request_json, "loads", lambda data: parsed.append(data) or loads(data))
    await _seed(api, services, clinic)
    parsed.clear()
    status, _type, body = await _post(apps.fast, clinic.key, "{ me { clinicName } }")  # never planned
    assert status == 200 and json.loads(body)["data"]["me"]["clinicName"] == "Northside Imaging"
    assert len(parsed) == 1
