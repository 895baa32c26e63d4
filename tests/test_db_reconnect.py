"""Pooled PostgreSQL connections that died while idle (the server restarted, an operator or a
failover cut them) are found and replaced before use: the next requests simply succeed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.studies_helpers import create_study

COUNT = "{ studies(first: 5) { totalCount } }"


async def _terminate_idle_connections(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
            ))
            return len(rows.all())
    finally:
        await engine.dispose()


async def test_requests_after_the_pools_connections_were_cut_succeed(database_url, api, services, clinic):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connections to lose")
    await create_study(api, clinic.key, uid="5.1")
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 1
    assert await _terminate_idle_connections(database_url) >= 1
    # A read, a write and a read again, each on a connection from the pool.
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 1
    await create_study(api, clinic.key, uid="5.2")
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 2
