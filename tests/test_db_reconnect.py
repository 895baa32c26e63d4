"""Pooled PostgreSQL connections that died while idle (the server restarted, an operator or a
failover cut them) are found and replaced before use: the next requests simply succeed."""

from __future__ import annotations

import pytest

from tests.support.databases import terminate_connections
from tests.support.studies_helpers import create_study

COUNT = "{ studies(first: 5) { totalCount } }"


async def test_requests_after_the_pools_connections_were_cut_succeed(database_url, api, services, clinic):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connections to lose")
    await create_study(api, clinic.key, uid="5.1")
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 1
    assert await terminate_connections(database_url, "state = 'idle'") >= 1
    # A read, a write and a read again, each on a connection from the pool.
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 1
    await create_study(api, clinic.key, uid="5.2")
    assert (await api.ok(COUNT, token=clinic.key))["studies"]["totalCount"] == 2
