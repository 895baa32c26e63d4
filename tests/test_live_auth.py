"""Who may subscribe: a token in connection_init or the upgrade request, for API keys and user
sessions; revoked access ends live subscriptions; a connection holds a limited number of them."""

import pytest

from tests import conftest
from tests.conftest import add_user, session_token
from tests.live_helpers import WORKLIST, create, cursor_at, worklist_of
from tests.live_server import app_server
from tests.ws_client import Closed, GraphQLWS

REVOKE = "mutation($id: ID!) { revokeUserAccess(id: $id) { status } }"


async def test_no_or_bad_token_is_refused_at_connection_init(ws_url, clinic):
    for token in (None, "ask_nope", "ust_forged.token", clinic.key + "x"):
        with pytest.raises(Closed) as refused:
            async with GraphQLWS.connect(ws_url, token=token):
                pass
        assert refused.value.code == 4403, token


async def test_api_key_and_user_session_in_init_payload_or_header(ws_url, api, services, clinic):
    user = await add_user(services, clinic.id)
    s = await create(api, clinic.key, "4.1")
    for kwargs in ({"token": clinic.key}, {"header_token": clinic.key}, {"token": session_token(services, user)}):
        async with GraphQLWS.connect(ws_url, **kwargs) as ws:
            sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
            assert worklist_of([await sub.next()]) == [("ADDED", s)], kwargs


@pytest.fixture
async def recheck_server(database_url):
    async with app_server(conftest.test_settings(database_url, live_auth_check_seconds=0.3,
                                        max_subscriptions_per_connection=3)) as server:
        yield server


async def test_revoked_user_loses_a_live_subscription(recheck_server, services, clinic):
    host, _svc, api = recheck_server
    admin = await add_user(services, clinic.id, level="ADMIN", has_dashboard_access=True)
    user = await add_user(services, clinic.id)
    token = session_token(services, user)
    async with GraphQLWS.connect(f"ws://{host}/graphql", token=token) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        s = await create(api, clinic.key, "4.2")
        assert worklist_of([await sub.next()]) == [("ADDED", s)]
        await api.ok(REVOKE, {"id": user.id}, token=session_token(services, admin))
        # No event is needed: the principal is checked again within live_auth_check_seconds.
        err = await sub.error(timeout=5)
        assert err["code"] == "UNAUTHENTICATED"
        err = await (await ws.subscribe(WORKLIST)).error()
        assert err["code"] == "UNAUTHENTICATED"


async def test_subscriptions_per_connection_are_limited(recheck_server, clinic):
    host, _svc, _api = recheck_server
    async with GraphQLWS.connect(f"ws://{host}/graphql", token=clinic.key) as ws:
        subs = [await ws.subscribe(WORKLIST) for _ in range(3)]
        refused = await ws.subscribe(WORKLIST)
        message = await refused.message()
        assert message["type"] == "error" and "limit" in message["payload"][0]["message"].lower()
        await subs[0].complete()
        await subs[1].nothing(0.2)
        again = await ws.subscribe(WORKLIST)
        await again.nothing(0.2)
