"""A refused WebSocket says what was wrong: graphql-transport-ws's close codes, each refusal with a
reason of its own; and a subscribe the schema refuses gets the protocol's `error` message."""

import json

import pytest

from autoscribe.operations.api_keys import revoke_api_key
from autoscribe.operations.authentication import create_api_key, mint_session_token
from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import WORKLIST
from tests.support.ws_client import Closed, GraphQLWS, closed_by

NO_TOKEN = "connection_init payload needs authorization: Bearer <token>"
REVOKE = "mutation($id: ID!) { revokeUserAccess(id: $id) { status } }"
REACTIVATE = "mutation($id: ID!) { reactivateUser(id: $id) { status } }"


async def refusal(url: str, **connect) -> tuple[int, str]:
    with pytest.raises(Closed) as refused:
        async with GraphQLWS.connect(url, **connect):
            pass
    return refused.value.code, refused.value.reason


async def test_each_token_mistake_is_4403_with_its_own_reason(ws_url, api, services, clinic, other_clinic):
    signer = services.signer
    key_id, revoked_key = await create_api_key(services.db, clinic.id, "old")
    await revoke_api_key(services.db, key_id)
    revoked = await add_user(services, clinic.id)
    revoked_token = session_token(services, revoked)
    await api.ok(REVOKE, {"id": revoked.id}, token=clinic.key)
    signed_out = await add_user(services, clinic.id)
    signed_out_token = session_token(services, signed_out)
    await api.ok(REVOKE, {"id": signed_out.id}, token=clinic.key)
    assert (await api.ok(REACTIVATE, {"id": signed_out.id}, token=clinic.key))["reactivateUser"]["status"] == "ACTIVE"
    user = await add_user(services, clinic.id)
    cases = {
        "no token": ({}, NO_TOKEN),
        "no init payload at all": ({"payload": None}, NO_TOKEN),
        "not a bearer": ({"payload": {"authorization": clinic.key}}, "authorization must be Bearer <token>"),
        "a bearer of nothing": ({"payload": {"authorization": "Bearer "}}, "authorization must be Bearer <token>"),
        "a basic header": ({"headers": {"Authorization": "Basic YTpi"}}, "authorization must be Bearer <token>"),
        "an unknown key": ({"token": "ask_nope"}, "The API key is not valid."),
        "a revoked key": ({"token": revoked_key}, "The API key has been revoked."),
        "a forged session": ({"token": "ust_forged.token"}, "The session token is not valid."),
        "an expired session": ({"token": mint_session_token(signer, user, -1)[0]},
                               "The session token has expired: create a new session."),
        "a revoked user": ({"token": revoked_token}, "The user's access has been revoked."),
        "a session revoked before reactivation": ({"token": signed_out_token},
                                                  "The session token has been revoked: create a new session."),
        "another clinic's": ({"token": "ust_" + signer.sign("session", {"u": user.id, "c": other_clinic.id, "e": 0},
                                                             ttl_seconds=60)},
                             "The session token is for another clinic than its user's."),
        "a user who does not exist": ({"token": "ust_" + signer.sign(
            "session", {"u": "usr_" + "0" * 32, "c": clinic.id, "e": 0}, ttl_seconds=60)},
            "The session token's user does not exist."),
    }
    for what, (given, reason) in cases.items():
        if "headers" in given:  # the upgrade request's header, an empty init payload
            code, said = await closed_by(ws_url, [json.dumps({"type": "connection_init", "payload": {}})],
                                         headers=given["headers"])
        elif "payload" in given:
            code, said = await closed_by(ws_url, [json.dumps({"type": "connection_init", **given})])
        else:
            code, said = await refusal(ws_url, **given)
        assert (code, said) == (4403, reason), what
    # Each of them says something the others do not (the first five are the token's form).
    assert len({reason for _given, reason in cases.values()}) == len(cases) - 3
    # And the token that stands is welcome.
    async with GraphQLWS.connect(ws_url, token=session_token(services, user)) as ws:
        assert await (await ws.subscribe("{ me { clinicId } }")).next() == {"me": {"clinicId": clinic.id}}


@pytest.mark.parametrize("subprotocols", [["graphql-ws"], [], ["graphql-sse", "json"]])
async def test_another_subprotocol_is_4406_naming_the_one_spoken(ws_url, subprotocols):
    assert await closed_by(ws_url, [], subprotocols=subprotocols) == (4406, "expected subprotocol graphql-transport-ws")


async def test_subscribe_before_the_ack_is_4401(ws_url, clinic):
    subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})
    code, reason = await closed_by(ws_url, [subscribe])
    assert (code, reason) == (4401, "subscribe before connection_ack: send connection_init and wait for the ack")


@pytest.mark.parametrize("payload", ['"Bearer x"', "[]", "7"])
async def test_a_connection_init_payload_that_is_not_an_object_is_4400(ws_url, payload):
    frame = '{"type": "connection_init", "payload": %s}' % payload
    assert await closed_by(ws_url, [frame]) == (
        4400, 'connection_init payload must be an object: {"authorization": "Bearer <token>"}')


INVALID = [
    # (what, subscription, variables, code)
    ("an unknown field", "subscription { worklist { cursor nope } }", {}, "BAD_USER_INPUT"),
    ("a variable of the wrong type", "subscription($a: String) { worklist(after: $a) { cursor } }", {"a": 7},
     "BAD_USER_INPUT"),
    ("a missing variable", "subscription($a: String!) { worklist(after: $a) { cursor } }", {}, "BAD_USER_INPUT"),
]


@pytest.mark.parametrize("what, query, variables, code", INVALID, ids=[i[0] for i in INVALID])
async def test_a_subscribe_the_schema_refuses_gets_an_error_message(ws_url, clinic, what, query, variables, code):
    # Two sockets asking the same (they would share one execution): each gets the error, and each
    # socket goes on serving its other subscriptions.
    async with GraphQLWS.connect(ws_url, token=clinic.key) as a, GraphQLWS.connect(ws_url, token=clinic.key) as b:
        live = [await a.subscribe(WORKLIST), await b.subscribe(WORKLIST)]
        for ws in (a, b):
            message = await (await ws.subscribe(query, variables)).message()
            assert message["type"] == "error", (what, message)
            [error] = message["payload"]
            assert error["extensions"]["code"] == code and error["message"], error
        for ws, sub in zip((a, b), live, strict=True):
            await sub.nothing(0.1)
            assert await (await ws.subscribe("{ me { clinicId } }")).next() == {"me": {"clinicId": clinic.id}}
