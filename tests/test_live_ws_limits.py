"""WebSockets before connection_init: each must send it within the init timeout (else 4408), and
each client address may hold only so many such sockets at once (one more is closed 4429)."""

import asyncio
import contextlib
import json
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from autoscribe.operations.authentication import create_clinic
from autoscribe.core.settings import Settings
from autoscribe.server.engine.ws_limits import PENDING_REASON
from tests.support.live_server import app_server
from tests.support.settings import settings_for
from tests.support.ws_client import GraphQLWS, PROTOCOL


async def closed(ws, within: float) -> tuple[int | None, str]:
    """The close code and reason the server sends within `within` seconds."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    return ws.close_code, ws.close_reason


def test_the_defaults_bound_a_silent_socket():
    settings = Settings()
    assert settings.ws_init_timeout_seconds == 5 and settings.max_pending_connections_per_address == 20


async def test_a_socket_that_never_sends_connection_init_is_closed_4408(database_url):
    async with app_server(settings_for(database_url, ws_init_timeout_seconds=0.5)) as (host, svc, _api):
        async with connect(f"ws://{host}/graphql", subprotocols=[PROTOCOL]) as ws:
            started = time.monotonic()
            code, reason = await closed(ws, within=5)
            assert code == 4408 and 0.4 < time.monotonic() - started < 3
            assert reason == "no connection_init within 0.5 s of connecting"
        # One that sends it in time is served as usual.
        clinic_id, key = await create_clinic(svc.db, "Timely Imaging")
        async with GraphQLWS.connect(f"ws://{host}/graphql", token=key) as client:
            await asyncio.sleep(1)
            assert await (await client.subscribe("{ me { clinicId } }")).next() == {"me": {"clinicId": clinic_id}}


async def test_sockets_waiting_for_connection_init_are_capped_per_address(database_url):
    settings = settings_for(database_url, ws_init_timeout_seconds=30, max_pending_connections_per_address=2)
    async with app_server(settings) as (host, svc, _api), contextlib.AsyncExitStack() as stack:
        url = f"ws://{host}/graphql"
        clinic_id, key = await create_clinic(svc.db, "Capped Imaging")
        waiting = [await stack.enter_async_context(connect(url, subprotocols=[PROTOCOL])) for _ in range(2)]
        async with connect(url, subprotocols=[PROTOCOL]) as extra:
            started = time.monotonic()
            assert await closed(extra, within=5) == (4429, PENDING_REASON)
            assert time.monotonic() - started < 2, "closed at once, not at the init timeout"

        # A socket that sends connection_init no longer waits: its place is free for another.
        await waiting[0].send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
        assert json.loads(await waiting[0].recv())["type"] == "connection_ack"
        async with GraphQLWS.connect(url, token=key) as client:
            assert await (await client.subscribe("{ me { clinicId } }")).next() == {"me": {"clinicId": clinic_id}}
        # So is the place of one that closes.
        waiting.append(await stack.enter_async_context(connect(url, subprotocols=[PROTOCOL])))
        async with connect(url, subprotocols=[PROTOCOL]) as extra:
            assert await closed(extra, within=5) == (4429, PENDING_REASON)
        await waiting[1].close()
        await asyncio.sleep(0.2)
        async with GraphQLWS.connect(url, token=key) as client:
            assert await (await client.subscribe("{ me { clinicId } }")).next() == {"me": {"clinicId": clinic_id}}
