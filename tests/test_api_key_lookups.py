"""An HTTP request's API key is looked up once per few seconds per process while the event bus
reaches every process (autoscribe.live.auth_cache.AuthCache.for_request), and a revocation made
anywhere ends it at once all the same; with memory:// (which reaches no other process) or the bus
down, every request looks its key up afresh; a bus that connects again forgets what was kept."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from autoscribe.db.engine import Database
from autoscribe.operations.api_keys import revoke_api_key
from autoscribe.operations.authentication import create_api_key, create_clinic
from autoscribe.server.app import create_app
from tests.support.settings import PG_URL, settings_for

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="needs AUTOSCRIBE_TEST_DATABASE_URL (PostgreSQL)"),
    pytest.mark.usefixtures("migrated_postgres"),
]

STUDIES = "{ studies(first: 1) { totalCount } }"
# Far longer than the test: only a revocation, never the TTL, can end a kept lookup here.
LONG_TTL = 600


@asynccontextmanager
async def _apps(events_url: str, count: int = 2):
    """`count` apps on the test database and one bus channel of their own: (app, client) each."""
    settings = settings_for(PG_URL, events_url=events_url, events_channel=f"lookups_{uuid.uuid4().hex[:8]}")
    async with AsyncExitStack() as stack:
        made = []
        for _ in range(count):
            app = create_app(settings)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"))
            app.state.services.auth.ttl = LONG_TTL
            made.append((app, client))
        yield made


async def _code(client, key) -> str | None:
    body = (await client.post("/graphql", json={"query": STUDIES}, headers={"Authorization": f"Bearer {key}"})).json()
    return body["errors"][0]["extensions"]["code"] if body.get("errors") else None


async def _until(check, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


async def _keys(db: Database) -> tuple[str, str, str]:
    clinic_id, kept = await create_clinic(db, "Northside Imaging")
    key_id, key = await create_api_key(db, clinic_id, "integration")
    return kept, key_id, key


async def test_a_kept_lookup_ends_at_once_when_another_process_revokes_the_key():
    async with _apps(PG_URL) as [(a, client_a), (b, client_b)]:
        auth = a.state.services.auth
        await _until(lambda: _true(a.state.services.bus.reaches_other_processes))
        kept, key_id, key = await _keys(a.state.services.db)
        looked_up = auth.misses
        for _ in range(5):
            assert await _code(client_a, key) is None
        assert auth.misses == looked_up + 1  # five requests, one lookup

        await revoke_api_key(b.state.services.db, key_id)  # through the other process
        # The revocation comes over the bus, long before the kept lookup would have expired.
        await _until(lambda: _is(client_a, key, "UNAUTHENTICATED"))
        assert await _code(client_b, key) == "UNAUTHENTICATED"
        assert await _code(client_a, kept) is None  # the clinic's other key goes on working


async def test_the_process_that_revokes_refuses_the_next_request():
    async with _apps(PG_URL, count=1) as [(a, client_a)]:
        await _until(lambda: _true(a.state.services.bus.reaches_other_processes))
        _kept, key_id, key = await _keys(a.state.services.db)
        assert await _code(client_a, key) is None
        await revoke_api_key(a.state.services.db, key_id)
        assert await _code(client_a, key) == "UNAUTHENTICATED"


async def test_with_memory_every_request_looks_its_key_up():
    """memory:// reaches no other process: a revocation on the command line (another process, no
    bus) must be seen by the very next request."""
    async with _apps("memory://", count=1) as [(a, client_a)]:
        auth = a.state.services.auth
        kept, key_id, key = await _keys(a.state.services.db)
        looked_up = auth.misses
        for _ in range(3):
            assert await _code(client_a, key) is None
        assert auth.misses == looked_up  # nothing kept
        elsewhere = Database(PG_URL)  # as the command line: no hooks, no bus
        try:
            await revoke_api_key(elsewhere, key_id)
        finally:
            await elsewhere.dispose()
        assert await _code(client_a, key) == "UNAUTHENTICATED"
        assert await _code(client_a, kept) is None


async def test_a_bus_that_connects_again_forgets_what_was_kept():
    async with _apps(PG_URL, count=1) as [(a, client_a)]:
        svc = a.state.services
        await _until(lambda: _true(svc.bus.reaches_other_processes))
        _kept, _key_id, key = await _keys(svc.db)
        assert await _code(client_a, key) is None
        assert await _code(client_a, key) is None
        looked_up = svc.auth.misses
        for hook in svc.bus.on_connected:  # as each (re)connection calls them
            hook()
        assert await _code(client_a, key) is None
        assert svc.auth.misses == looked_up + 1


async def _true(value: bool) -> bool:
    return value


async def _is(client, key, code: str) -> bool:
    return await _code(client, key) == code
