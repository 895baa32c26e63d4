"""Who may subscribe: a token in connection_init or the upgrade request, for API keys and user
sessions; revoked access ends live subscriptions; a connection holds a limited number of them, and a
key (or user) a limited number of connections per process."""

import asyncio
import contextlib

import pytest

from autoscribe.server.app import create_app
from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import WORKLIST, create, cursor_at, worklist_of
from tests.support.live_server import app_server, serving
from tests.support.settings import settings_for
from tests.support.ws_client import Closed, GraphQLWS

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
    async with app_server(settings_for(database_url, live_auth_check_seconds=0.3,
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
        assert message["payload"][0]["extensions"] == {"code": "RATE_LIMITED"}
        await subs[0].complete()
        await subs[1].nothing(0.2)
        again = await ws.subscribe(WORKLIST)
        await again.nothing(0.2)



@pytest.fixture
async def limited(database_url):
    """An app allowing 2 connections per key, served: (its WebSocket URL, the GraphQL app)."""
    app = create_app(settings_for(database_url, max_connections_per_key=2))
    async with app.router.lifespan_context(app), serving(app) as host:
        yield f"ws://{host}/graphql", app.state.graphql


async def slots_held(graphql_app, seconds: float = 5) -> dict:
    """The slots held, once the server has seen every socket end (or after `seconds`)."""
    for _ in range(int(seconds / 0.02)):
        if not graphql_app.connections.open:
            break
        await asyncio.sleep(0.02)
    return dict(graphql_app.connections.open)


async def test_connections_per_key_are_limited(limited, services, clinic, other_clinic):
    url, graphql_app = limited
    user = await add_user(services, clinic.id)
    async with contextlib.AsyncExitStack() as stack:
        first = await stack.enter_async_context(GraphQLWS.connect(url, token=clinic.key))
        await stack.enter_async_context(GraphQLWS.connect(url, header_token=clinic.key))
        with pytest.raises(Closed) as refused:
            async with GraphQLWS.connect(url, token=clinic.key):
                pass
        assert (refused.value.code, refused.value.reason) == (4429, "Too many connections for this key")
        # Another key, and a user of the same clinic, count on their own.
        await stack.enter_async_context(GraphQLWS.connect(url, token=other_clinic.key))
        for _ in range(2):
            await stack.enter_async_context(GraphQLWS.connect(url, token=session_token(services, user)))
        with pytest.raises(Closed) as refused:
            async with GraphQLWS.connect(url, token=session_token(services, user)):
                pass
        assert refused.value.code == 4429
        assert sorted(graphql_app.connections.open.values()) == [1, 2, 2]
        # The connections still open work; one closing frees its slot.
        sub = await first.subscribe(WORKLIST)
        await sub.nothing(0.1)
        await first.ws.close()
        for _ in range(100):
            try:
                async with GraphQLWS.connect(url, token=clinic.key) as again:
                    await (await again.subscribe(WORKLIST)).nothing(0.1)
                break
            except Closed:  # the server has not yet seen the close
                await asyncio.sleep(0.02)
        else:
            raise AssertionError("the closed connection's slot was never released")
    assert await slots_held(graphql_app) == {}


async def test_refused_and_dropped_connections_hold_no_slot(limited, clinic):
    url, graphql_app = limited
    for _ in range(3):  # refused at connection_init: no slot taken
        with pytest.raises(Closed) as refused:
            async with GraphQLWS.connect(url, token=clinic.key + "x"):
                pass
        assert refused.value.code == 4403
    # A second connection_init on one socket (closed 4429 by the protocol) takes no second slot.
    async with GraphQLWS.connect(url, token=clinic.key) as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": f"Bearer {clinic.key}"}})
        await ws.ws.wait_closed()
        assert ws.ws.close_code == 4429 and "initialisation" in ws.ws.close_reason
    assert await slots_held(graphql_app) == {}
    # Sockets dropped without a close frame give their slots back too.
    for _ in range(3):
        async with GraphQLWS.connect(url, token=clinic.key) as ws:
            assert graphql_app.connections.open
            ws.ws.transport.abort()
    assert await slots_held(graphql_app) == {}


async def test_server_shutdown_releases_every_slot(database_url, clinic):
    app = create_app(settings_for(database_url, max_connections_per_key=2))
    slots = app.state.graphql.connections
    async with contextlib.AsyncExitStack() as clients:
        async with app.router.lifespan_context(app), serving(app) as host:
            for _ in range(2):
                ws = await clients.enter_async_context(GraphQLWS.connect(f"ws://{host}/graphql", token=clinic.key))
                await ws.subscribe(WORKLIST)
            assert list(slots.open.values()) == [2]
        assert slots.open == {}
