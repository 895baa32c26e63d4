"""GraphQL over HTTP as its spec says: the media type the Accept header asks for, 4xx with no `data`
entry for requests stopped before execution under application/graphql-response+json, 200 (and still
no `data` entry) under application/json, 405 for a mutation over GET, 406 for an Accept of neither."""

import pytest

NEW = "application/graphql-response+json"
NEW_TYPE = NEW + "; charset=utf-8"
ME = "{ me { clinicId } }"


def post(http, body, *, accept: str | None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if accept is not None:
        headers["Accept"] = accept
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http.post("/graphql", json=body, headers=headers)


def without_accept(http, body, token: str):
    """A POST with no Accept header at all (httpx sends */* unless told not to)."""
    request = http.build_request("POST", "/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    del request.headers["accept"]
    return http.send(request)


@pytest.mark.parametrize("accept, media_type", [
    (NEW, NEW_TYPE),
    ("application/json", "application/json"),
    ("*/*", "application/json"),
    ("application/*", "application/json"),
    (f"{NEW}, application/json;q=0.9", NEW_TYPE),
    (f"application/json, {NEW}", "application/json"),
    (f"application/json;q=0.5, {NEW};q=0.8", NEW_TYPE),
    (f"{NEW};q=0, */*", "application/json"),
    ("text/html, */*;q=0.1", "application/json"),
    (f"text/html, application/*;q=0.2, {NEW};q=0.3", NEW_TYPE),
])
async def test_the_answer_is_in_the_media_type_the_accept_header_asks_for(http, clinic, accept, media_type):
    resp = await post(http, {"query": ME}, accept=accept, token=clinic.key)
    assert resp.status_code == 200 and resp.headers["content-type"] == media_type
    assert resp.json() == {"data": {"me": {"clinicId": clinic.id}}}


async def test_no_accept_header_gets_the_new_media_type(http, clinic):
    resp = await without_accept(http, {"query": ME}, clinic.key)
    assert resp.status_code == 200 and resp.headers["content-type"] == NEW_TYPE
    bad = await without_accept(http, {"query": "{ me { nope } }"}, clinic.key)
    assert bad.status_code == 400 and "data" not in bad.json()


async def test_an_accept_header_of_neither_type_is_406_and_nothing_runs(http, services, clinic):
    mutation = 'mutation { createStudy(input: {studyInstanceUid: "1.2.406", studyDescription: "CT", ' \
               'severity: STAT, reportMetadata: {patientName: "Doe"}}) { id } }'
    resp = await post(http, {"query": mutation}, accept="text/plain", token=clinic.key)
    assert resp.status_code == 406 and resp.headers["content-type"] == "application/json"
    [error] = resp.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"} and NEW in error["message"]
    listed = await post(http, {"query": "{ studies { totalCount } }"}, accept="application/json", token=clinic.key)
    assert listed.json() == {"data": {"studies": {"totalCount": 0}}}


REQUEST_ERRORS = [
    # (what, body, code, field)
    ("a document that does not parse", {"query": "{ me { clinicId }"}, "BAD_USER_INPUT", None),
    ("a document that does not validate", {"query": "{ me { nope } }"}, "BAD_USER_INPUT", None),
    ("variables that do not coerce", {"query": "query($f: Int!) { studies(first: $f) { totalCount } }",
                                      "variables": {"f": "many"}}, "BAD_USER_INPUT", "f"),
    ("an unknown operation name", {"query": "query A { me { clinicId } }", "operationName": "B"},
     "BAD_USER_INPUT", "operationName"),
    ("several operations and no name", {"query": "query A { me { clinicId } } query B { me { clinicId } }"},
     "BAD_USER_INPUT", "operationName"),
    ("a query over the cost limit",
     {"query": "{ a: studies(first: 100) { nodes { assignedTo { assignedStudies(first: 100) { "
               "nodes { id studyDescription severity createdAt } } } } } }"},
     "BAD_USER_INPUT", None),
    ("a subscription over HTTP", {"query": "subscription { worklist { cursor } }"}, "BAD_USER_INPUT", None),
]


@pytest.mark.parametrize("what, body, code, field", REQUEST_ERRORS, ids=[r[0] for r in REQUEST_ERRORS])
async def test_a_request_stopped_before_execution_is_400_with_no_data_entry(http, clinic, what, body, code, field):
    resp = await post(http, body, accept=NEW, token=clinic.key)
    assert resp.status_code == 400 and resp.headers["content-type"] == NEW_TYPE, resp.text
    answer = resp.json()
    assert "data" not in answer, answer
    error = answer["errors"][0]
    assert error["extensions"]["code"] == code and error["message"], what
    assert error["extensions"].get("field") == field, error

    # application/json: the same errors with 200, and no data entry either.
    legacy = await post(http, body, accept="application/json", token=clinic.key)
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json() == answer


async def test_errors_during_execution_keep_their_data_and_200(http, clinic):
    # A field that fails is an execution error: the answer has data (null where it failed), 200.
    query = '{ me { clinicId } node(id: "stu_0123") { id } }'
    resp = await post(http, {"query": query}, accept=NEW, token=clinic.key)
    assert resp.status_code == 200 and resp.headers["content-type"] == NEW_TYPE
    body = resp.json()
    assert body["data"]["me"] == {"clinicId": clinic.id} and body["data"]["node"] is None
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    # Without a token, `me` fails as it executes: data null, still 200.
    anonymous = await post(http, {"query": ME}, accept=NEW)
    assert anonymous.status_code == 200 and anonymous.json()["data"] is None
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_introspection_without_a_token_is_401(http, clinic):
    query = "{ __schema { queryType { name } } }"
    resp = await post(http, {"query": query}, accept=NEW)
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
    assert "data" not in resp.json() and resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    legacy = await post(http, {"query": query}, accept="application/json")
    assert legacy.status_code == 200 and "data" not in legacy.json()
    allowed = await post(http, {"query": query}, accept=NEW, token=clinic.key)
    assert allowed.status_code == 200 and allowed.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    # __typename tells nothing about the schema: answered to anyone.
    typename = await post(http, {"query": "{ __typename }"}, accept=NEW)
    assert typename.status_code == 200 and typename.json() == {"data": {"__typename": "Query"}}


async def test_refusals_before_graphql_are_4xx_in_the_negotiated_type(http, clinic):
    auth = {"Authorization": f"Bearer {clinic.key}", "Accept": NEW}
    bad_json = await http.post("/graphql", content=b'{"query": ', headers={**auth, "Content-Type": "application/json"})
    no_type = await http.post("/graphql", content=b'{"query": "{ __typename }"}', headers=auth)
    mutation = await http.get("/graphql", params={"query": "mutation { __typename }"}, headers=auth)
    for resp, status in ((bad_json, 400), (no_type, 400), (mutation, 405)):
        assert resp.status_code == status and resp.headers["content-type"] == NEW_TYPE, resp.text
        assert "data" not in resp.json() and resp.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    assert mutation.headers["allow"] == "POST" and "POST" in mutation.json()["errors"][0]["message"]


async def test_a_cached_answer_is_served_in_the_asked_media_type(app, http, clinic):
    cache = app.state.graphql.responses
    query = {"query": "{ studies { totalCount } }"}
    first = await post(http, query, accept=NEW, token=clinic.key)
    hits = cache.hits
    again = await post(http, query, accept="application/json", token=clinic.key)
    third = await post(http, query, accept=NEW, token=clinic.key)
    assert cache.hits == hits + 2
    assert first.headers["content-type"] == third.headers["content-type"] == NEW_TYPE
    assert again.headers["content-type"] == "application/json"
    assert first.json() == again.json() == third.json() == {"data": {"studies": {"totalCount": 0}}}
