"""Malformed requests are the client's error, answered with a code, never a server fault (a bare
HTTP 500 or INTERNAL_SERVER_ERROR), and they store nothing."""

import json

import pytest
from websockets.asyncio.client import connect

from autoscribe.core.request_json import MAX_DEPTH
from autoscribe.db.models import Study
from autoscribe.operations.validation import MAX_FILTER_TEXT
from tests.support.people_helpers import count, invite
from tests.support.studies_helpers import CREATE
from tests.support.ws_client import PROTOCOL, GraphQLWS, closed_by, closed_by_server

ME = "{ me { clinicId } }"
DEEP = "[" * 5000 + "]" * 5000


def auth(clinic) -> dict:
    return {"Authorization": f"Bearer {clinic.key}", "Content-Type": "application/json"}


def refusal_of(resp) -> str:
    """The message of a 400 whose body is a GraphQL error with code BAD_USER_INPUT."""
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"] == "application/json", resp.text
    [error] = resp.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"} and error["message"]
    return error["message"]


async def test_a_lone_surrogate_in_a_variable_is_bad_input_and_stores_nothing(http, services, clinic):
    body = ('{"query": %s, "variables": {"input": {"studyInstanceUid": "1.2.9", "studyDescription": "CT \\ud800",'
            ' "severity": "STAT", "reportMetadata": {"patientName": "Doe"}}}}' % json.dumps(CREATE)).encode()
    resp = await http.post("/graphql", content=body, headers=auth(clinic))
    assert resp.status_code == 200
    [error] = resp.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.studyDescription"}
    assert await count(services, Study, clinic.id) == 0

    lookup = "query($u: String!) { study(studyInstanceUid: $u) { id } }"
    for resp in (
        await http.post("/graphql", content=b'{"query": "%s", "variables": {"u": "\\udfff"}}' % lookup.encode(),
                        headers=auth(clinic)),
        await http.get("/graphql", params={"query": lookup, "variables": '{"u": "1.2\\ud800"}'}, headers=auth(clinic)),
        # In a variable's name too, even one the document does not use.
        await http.post("/graphql", content=b'{"query": "%s", "variables": {"\\ud800": 1}}' % ME.encode(),
                        headers=auth(clinic)),
    ):
        assert resp.status_code == 200
        [error] = resp.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "surrogate" in error["message"], error


async def test_a_lone_surrogate_in_the_document_is_bad_input(http, clinic):
    for literal in (b'\\\\ud800', b'\\ud800'):  # GraphQL's escape, and the character itself
        body = b'{"query": "{ study(studyInstanceUid: \\"1.2' + literal + b'\\") { id } }"}'
        resp = await http.post("/graphql", content=body, headers=auth(clinic))
        assert resp.status_code == 200
        assert resp.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("query, key", [
    ("query($t: String) { studies(filter: {studyDescription: $t}) { totalCount } }", "studyDescription"),
    ("query($t: String) { studies(filter: {studyInstanceUid: $t}) { totalCount } }", "studyInstanceUid"),
    ("query($t: String) { users(filter: {lastName: $t}) { totalCount } }", "lastName"),
    ("query($t: String) { users(filter: {email: $t}) { totalCount } }", "email"),
], ids=["studyDescription", "studyInstanceUid", "lastName", "email"])
async def test_filter_strings_are_capped(api, clinic, query, key):
    err = await api.error(query, {"t": "a" * 900_000}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", f"filter.{key}") and str(MAX_FILTER_TEXT) in err["message"]
    await api.ok(query, {"t": "a" * MAX_FILTER_TEXT}, token=clinic.key)


async def test_invitation_date_filters_take_the_first_and_last_days(api, clinic):
    await invite(api, clinic.key, "edge@example.com")
    query = "query($f: InvitationFilter) { invitations(filter: $f) { totalCount } }"
    for flt in ({"startDate": "0001-01-01"}, {"endDate": "9999-12-31"},
                {"startDate": "0001-01-01", "endDate": "9999-12-31"}):
        assert (await api.ok(query, {"f": flt}, token=clinic.key))["invitations"]["totalCount"] == 1, flt
    assert (await api.ok(query, {"f": {"endDate": "0001-01-01"}}, token=clinic.key))["invitations"]["totalCount"] == 0
    assert (await api.ok(query, {"f": {"startDate": "9999-12-31"}}, token=clinic.key))["invitations"]["totalCount"] == 0


async def test_study_filter_times_out_of_range_are_bad_input(api, clinic):
    query = "query($f: StudyFilter) { studies(filter: $f) { totalCount } }"
    for key, value in (("createdAfter", "0001-01-01T00:00:00+14:00"), ("createdBefore", "9999-12-31T23:59:59-14:00")):
        err = await api.error(query, {"f": {key: value}}, token=clinic.key)
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", f"filter.{key}"), err


async def test_malformed_bodies_get_a_graphql_shaped_400(http, clinic):
    query = json.dumps(ME).encode()
    bodies = [
        b'{"query": %s, "variables": {"a": %s}}' % (query, DEEP.encode()),
        b'{"query": %s, "variables": {"a": %s}}' % (query, b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)),
        b'{"query": "{ me { clinicId } }\xff"}',
        b'"{ me { clinicId } }"', b"42", b"null", b"true", b"[]",
        b'{"query": %s, "operationName": {"a": 1}}' % query,
        b'{"query": %s, "operationName": ["a"]}' % query,
        b'{"query": %s, "operationName": 7}' % query,
        b'{"query": {"a": 1}}',
        b'{"query": %s, "variables": [1]}' % query,
        b'{"query": %s, "variables": "x"}' % query,
    ]
    for body in bodies:
        refusal_of(await http.post("/graphql", content=body, headers=auth(clinic)))
    assert "nested deeper" in refusal_of(await http.post("/graphql", content=bodies[0], headers=auth(clinic)))
    assert "UTF-8" in refusal_of(await http.post("/graphql", content=bodies[2], headers=auth(clinic)))
    assert "operationName" in refusal_of(await http.post("/graphql", content=bodies[8], headers=auth(clinic)))
    # The server still answers well-formed requests.
    ok = await http.post("/graphql", content=b'{"query": %s}' % query, headers=auth(clinic))
    assert ok.json() == {"data": {"me": {"clinicId": clinic.id}}}


async def test_malformed_get_requests_get_a_graphql_shaped_400(http, clinic):
    for variables in ('{"a": %s}' % DEEP, "[1]", '"x"', "{"):
        refusal_of(await http.get("/graphql", params={"query": ME, "variables": variables}, headers=auth(clinic)))


BAD_FRAMES = [
    "[]", '["connection_init"]', '"connection_init"', "42", "null", "not json", '{"payload": {}}', '{"type": 7}',
    json.dumps({"a": json.loads("[" * 100 + "]" * 100)}),
]
BAD_SUBSCRIBES = [
    {"type": "subscribe", "id": ["1"], "payload": {"query": ME}},
    {"type": "subscribe", "id": "1", "payload": [ME]},
    {"type": "subscribe", "id": "1", "payload": {"query": ["x"]}},
    {"type": "subscribe", "id": "1", "payload": {"query": ME, "variables": [1]}},
    {"type": "subscribe", "id": "1", "payload": {"query": ME, "operationName": {"a": 1}}},
    {"type": "complete", "id": {"a": 1}},
]


@pytest.mark.parametrize("frame", BAD_FRAMES)
async def test_a_bad_frame_before_connection_init_closes_with_4400(ws_url, frame):
    code, reason = await closed_by(ws_url, [frame])
    assert code == 4400 and reason


@pytest.mark.parametrize("message", BAD_FRAMES[:4] + [json.dumps(m) for m in BAD_SUBSCRIBES])
async def test_a_bad_frame_after_connection_init_closes_with_4400(ws_url, clinic, message):
    code, reason = await closed_by(ws_url, [message], init=clinic.key)
    assert code == 4400 and reason


async def test_a_socket_still_works_beside_one_closed_for_a_bad_frame(ws_url, clinic):
    assert (await closed_by(ws_url, ["[]"], init=clinic.key))[0] == 4400
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        assert (await (await ws.subscribe(ME)).next()) == {"me": {"clinicId": clinic.id}}


@pytest.mark.parametrize("token", ["ask_\ud800", "ust_\udfff", "ask_caf\u00e9"])
async def test_a_token_that_is_not_ascii_in_connection_init_is_refused_4403(ws_url, token):
    async with connect(ws_url, subprotocols=[PROTOCOL], open_timeout=10) as ws:
        # json.dumps writes a lone surrogate as its escape, "\ud800", as a client's JSON may.
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        assert (await closed_by_server(ws)) == 4403
