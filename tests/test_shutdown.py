"""Graceful shutdown: on SIGTERM subscribers are told to reconnect (1012), the process finishes its
lifespan (engine disposed), and a subscriber resumes by cursor on another process, missing nothing."""

import asyncio
import time

from tests.support.live_helpers import WORKLIST, create, cursor_at, update, worklist_of
from tests.support.live_server import ServeProcess, api_at
from tests.support.operator import server_clinic
from tests.support.ws_client import Closed, GraphQLWS


async def test_sigterm_closes_subscribers_with_1012_and_they_resume_elsewhere(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'shutdown.db'}"
    first = await ServeProcess(url, log=tmp_path / "first.log", log_level="INFO").start()
    second = await ServeProcess(url, log=tmp_path / "second.log").start()
    try:
        clinic_id, key = await server_clinic(url)
        async with api_at(first.host) as api:
            a = await create(api, key, "6.1")
        async with GraphQLWS.connect(f"ws://{first.host}/graphql", token=key) as ws:
            sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic_id, 0)})
            (got,) = await sub.take(1)
            started = time.monotonic()
            first.proc.send_signal(15)
            try:
                await sub.message(timeout=10)
                raise AssertionError("the subscription outlived the server")
            except Closed:
                pass
            assert ws.ws.close_code == 1012
        assert await asyncio.to_thread(first.proc.wait, 20) is not None
        assert time.monotonic() - started < 20
        log = (tmp_path / "first.log").read_text()
        assert "Application shutdown complete" in log and "Traceback" not in log

        async with api_at(second.host) as api:
            b = await create(api, key, "6.2")  # while the subscriber was away
            await update(api, key, a, modality="CT")
            async with GraphQLWS.connect(f"ws://{second.host}/graphql", token=key) as ws:
                sub = await ws.subscribe(WORKLIST, {"a": got["worklist"]["cursor"]})
                assert worklist_of(await sub.take(2)) == [("ADDED", b), ("UPDATED", a)]
                c = await create(api, key, "6.3")
                assert worklist_of([await sub.next()]) == [("ADDED", c)]
    finally:
        first.kill()
        second.kill()
