"""Many server processes on one PostgreSQL, with Redis or PostgreSQL as the bus: a change through
any process reaches the subscribers of every process, in order, once; and a bus that goes away
and comes back loses nothing.

Each test runs `autoscribe serve` twice as subprocesses, with its own bus channel, and the log
poll turned down so that only the bus can deliver promptly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import httpx
import pytest

from autoscribe.operations.authentication import create_clinic
from autoscribe.db.engine import Database
from tests.support.databases import terminate_connections
from tests.support.live_helpers import WORKLIST, create, cursor_at, seq_of, update, worklist_of
from tests.support.live_server import RedisServer, ServeProcess, api_at
from tests.support.operator import new_key, revoke_cli
from tests.support.people_helpers import REVOKE_USER, SESSION, invite_and_accept
from tests.support.settings import PG_URL
from tests.support.ws_client import GraphQLWS

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="needs AUTOSCRIBE_TEST_DATABASE_URL (PostgreSQL)"),
    pytest.mark.usefixtures("migrated_postgres"),
]

STUDIES = "{ studies(first: 1) { nodes { id } } }"
# Only the bus may deliver within a test's patience: the safety poll waits this long.
NO_POLL = 600


@pytest.fixture
async def redis(tmp_path):
    if not RedisServer.available():
        pytest.fail("redis-server is needed for the multi-process tests")
    server = await RedisServer(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture(params=["redis", "postgresql"])
async def events_url(request, tmp_path):
    """A Redis of the test's own, or the PostgreSQL database itself, as the bus."""
    if request.param == "postgresql":
        yield PG_URL
        return
    if not RedisServer.available():
        pytest.fail("redis-server is needed for the multi-process tests")
    server = await RedisServer(tmp_path).start()
    yield server.url
    server.kill()


@contextlib.asynccontextmanager
async def two_servers(tmp_path, events_url: str, **settings):
    channel = f"autoscribe.test.{uuid.uuid4().hex[:12]}"
    servers = []
    try:
        for name in ("a", "b"):  # one after the other: each migrates the database at start
            server = ServeProcess(
                PG_URL, events_url=events_url, log=tmp_path / f"serve-{name}.log",
                events_channel=channel, events_check_seconds=0.3, events_poll_seconds=NO_POLL, **settings,
            )
            servers.append(server)
            await server.start()
        yield servers
    finally:
        for server in servers:
            server.kill()


async def new_clinic() -> tuple[str, str]:
    db = Database(PG_URL)
    try:
        return await create_clinic(db, "Many Processes Imaging")
    finally:
        await db.dispose()


async def ready(host: str) -> dict:
    async with httpx.AsyncClient() as http:
        return (await http.get(f"http://{host}/readyz")).json()


async def until(predicate, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_changes_through_any_process_reach_every_process_in_order_once(tmp_path, events_url):
    clinic_id, key = await new_clinic()
    async with two_servers(tmp_path, events_url) as (a, b), api_at(a.host) as api_a, api_at(b.host) as api_b:
        assert (await ready(a.host))["events"] == "ok" and (await ready(b.host))["events"] == "ok"
        async with GraphQLWS.connect(f"ws://{a.host}/graphql", token=key) as ws_a, \
                GraphQLWS.connect(f"ws://{b.host}/graphql", token=key) as ws_b:
            subs = [await ws.subscribe(WORKLIST, {"a": cursor_at(clinic_id, 0)}) for ws in (ws_a, ws_b)]

            async def writer(api, n):
                study = await create(api, key, f"6.{n}")
                for i in range(4):
                    await update(api, key, study, modality=f"M{i}")

            await asyncio.gather(*(writer(api, n) for n, api in enumerate([api_a, api_b, api_a, api_b])))
            for sub in subs:
                assert [seq_of(e["worklist"]["cursor"]) for e in await sub.take(20)] == list(range(1, 21))

            # One change through one process alone: its wake-up must cross to the other.
            for api in (api_a, api_b):
                s = await create(api, key, f"6.9.{id(api)}")
                for sub in subs:
                    assert worklist_of([await sub.next(timeout=5)]) == [("ADDED", s)]
            for sub in subs:
                await sub.nothing(0.3)


async def test_a_redis_restart_loses_nothing(tmp_path, redis):
    clinic_id, key = await new_clinic()
    async with two_servers(tmp_path, redis.url) as (a, b), api_at(a.host) as api:
        async with GraphQLWS.connect(f"ws://{b.host}/graphql", token=key) as ws:
            sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic_id, 0)})
            s = await create(api, key, "6.20")
            assert worklist_of([await sub.next()]) == [("ADDED", s)]

            redis.kill()
            await until(lambda: _events_state(a.host, "error"))
            # Mutations still succeed while the bus is down; their wake-ups wait.
            for i in range(3):
                await update(api, key, s, modality=f"R{i}")
            await sub.nothing(0.5)

            await redis.start()
            got = await sub.take(3, timeout=20)
            assert [seq_of(g["worklist"]["cursor"]) for g in got] == [2, 3, 4]
            await until(lambda: _events_state(a.host, "ok"))
            await update(api, key, s, modality="after")
            assert seq_of((await sub.next(timeout=5))["worklist"]["cursor"]) == 5
            await sub.nothing(0.3)


async def test_a_dropped_postgresql_bus_connection_is_replaced(tmp_path):
    clinic_id, key = await new_clinic()
    async with two_servers(tmp_path, PG_URL) as (a, b), api_at(a.host) as api:
        async with GraphQLWS.connect(f"ws://{b.host}/graphql", token=key) as ws:
            sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic_id, 0)})
            s = await create(api, key, "6.30")
            assert worklist_of([await sub.next()]) == [("ADDED", s)]
            assert await _terminate_bus_connections() >= 2
            await update(api, key, s, modality="CT")
            assert worklist_of([await sub.next(timeout=15)]) == [("UPDATED", s)]
            await until(lambda: _events_state(b.host, "ok"))
            await update(api, key, s, modality="MR")
            assert worklist_of([await sub.next(timeout=5)]) == [("UPDATED", s)]


async def test_a_revoked_user_and_key_lose_their_subscriptions_on_every_process(tmp_path, events_url):
    """Revoked through process A (a user) and on the command line (a key), with subscribers on
    process B, and the next event made right after: B delivers it to no one revoked. The
    connections' periodic re-check is out of reach: only the revocation can end them."""
    clinic_id, key = await new_clinic()
    key_id, other_key = await new_key(PG_URL, clinic_id)
    async with two_servers(tmp_path, events_url, live_auth_check_seconds=NO_POLL, public_url="http://testserver") \
            as (a, b), api_at(a.host) as api_a, api_at(b.host) as api_b:
        user = await invite_and_accept(api_a, key)
        token = (await api_a.ok(SESSION, {"userId": user["id"], "ttl": 3600}, token=key))["createUserSession"]["token"]
        cursor = cursor_at(clinic_id, 0)
        async with GraphQLWS.connect(f"ws://{b.host}/graphql", token=token) as ws_user, \
                GraphQLWS.connect(f"ws://{b.host}/graphql", token=other_key) as ws_key, \
                GraphQLWS.connect(f"ws://{b.host}/graphql", token=key) as ws_kept:
            user_sub, key_sub, kept = [await ws.subscribe(WORKLIST, {"a": cursor}) for ws in (ws_user, ws_key, ws_kept)]
            s = await create(api_a, key, "6.40")
            for sub in (user_sub, key_sub, kept):
                assert worklist_of([await sub.next()]) == [("ADDED", s)]

            await api_a.ok(REVOKE_USER, {"id": user["id"]}, token=key)
            for api, uid in ((api_a, "6.41"), (api_b, "6.42")):
                s = await create(api, key, uid)
                for sub in (kept, key_sub):
                    assert worklist_of([await sub.next(timeout=5)]) == [("ADDED", s)]
            assert (await user_sub.error(timeout=5))["code"] == "UNAUTHENTICATED"

            env = {"AUTOSCRIBE_EVENTS_URL": events_url, "AUTOSCRIBE_EVENTS_CHANNEL": a.env["AUTOSCRIBE_EVENTS_CHANNEL"],
                   "AUTOSCRIBE_SECRET_KEY": a.env["AUTOSCRIBE_SECRET_KEY"]}
            done = await asyncio.to_thread(revoke_cli, PG_URL, key_id, **env)
            assert done.returncode == 0, done.stderr
            for api in (api_a, api_b):
                assert (await api.error(STUDIES, token=other_key))["code"] == "UNAUTHENTICATED"
            s = await create(api_b, key, "6.43")
            assert worklist_of([await kept.next(timeout=5)]) == [("ADDED", s)]
            assert (await key_sub.error(timeout=5))["code"] == "UNAUTHENTICATED"


async def _events_state(host: str, state: str) -> bool:
    return (await ready(host)).get("events") == state


async def _terminate_bus_connections() -> int:
    """Drop the bus's LISTEN connections to this test database (as a failover or a network cut would)."""
    return await terminate_connections(PG_URL, "query LIKE 'LISTEN%' OR query LIKE '%pg_notify%'")
