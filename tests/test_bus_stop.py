"""Stopping the event bus always ends: its connection task obeys a cancellation that arrives just as
the backend answers (Python 3.11's asyncio.wait_for swallowed that one and the task ran on, so
whoever stopped the bus waited for ever), and `stop` returns within its bound even when a task
does not end."""

from __future__ import annotations

import asyncio
import logging
import time
from autoscribe.live.bus import EventBus


async def no_heads(_clinic_ids: list[str]) -> dict[str, int]:
    return {}


class HeldPings(dict):
    """The bus's pending pings, held by the test: the backend's own answers are not seen, and
    each new ping's future is handed to the test to answer when it chooses."""

    def __init__(self) -> None:
        super().__init__()
        self.futures: asyncio.Queue[asyncio.Future] = asyncio.Queue()

    def __setitem__(self, nonce, future) -> None:
        super().__setitem__(nonce, future)
        self.futures.put_nowait(future)

    def get(self, nonce, default=None):
        return default


def awaiting(task: asyncio.Task) -> list[str]:
    """The names of the coroutines the task is suspended in, outermost first."""
    names, coro = [], task.get_coro()
    while coro is not None and hasattr(coro, "cr_code"):
        names.append(coro.cr_code.co_name)
        coro = coro.cr_await
    return names


async def until_waiting_for_the_answer(task: asyncio.Task) -> None:
    """Until the task has sent its ping and waits for the answer."""
    while not task.done():
        stack = awaiting(task)
        if "_ping" in stack and "_send" not in stack:
            return
        await asyncio.sleep(0)


async def test_a_cancel_that_arrives_with_the_ping_answer_ends_the_connection_task():
    bus = EventBus("memory://", channel="test.bus", heads=no_heads, check_seconds=0.01, poll_seconds=60)
    held = HeldPings()
    bus._pings = held
    starting = asyncio.create_task(bus.start())
    try:
        future = await asyncio.wait_for(held.futures.get(), 10)  # the connection's first ping
        connection = next(t for t in bus._tasks if t.get_name() == "bus-connection")
        await until_waiting_for_the_answer(connection)
        # The answer and the cancellation in the same turn of the loop, as a stop during a check.
        future.set_result(None)
        connection.cancel()
        done, _ = await asyncio.wait({connection}, timeout=3)
        assert done, "the connection task ignored its cancellation and kept running"
        assert connection.cancelled()
    finally:
        starting.cancel()
        for task in bus._tasks:
            task.cancel()
        await asyncio.wait(bus._tasks, timeout=3)


async def test_stop_returns_within_its_bound_when_a_task_ignores_cancellation(caplog):
    release = asyncio.Event()
    polling = asyncio.Event()

    async def stubborn_heads(_clinic_ids: list[str]) -> dict[str, int]:
        """A read of the log that will not be cancelled (a driver stuck in its own cleanup)."""
        polling.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                pass
        return {}

    bus = EventBus("memory://", channel="test.bus", heads=stubborn_heads, poll_seconds=0.01, stop_seconds=0.5)
    await bus.start()
    assert await bus.healthy()
    with bus.listen("cln_1"):
        await asyncio.wait_for(polling.wait(), 5)
        tasks = list(bus._tasks)
        stuck = next(t for t in tasks if t.get_name() == "bus-poll")
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="autoscribe.bus"):
            stopping = asyncio.create_task(bus.stop())
            await asyncio.wait({stopping}, timeout=10)
        took = time.monotonic() - started
    try:
        assert stopping.done(), "stop waited on the task that ignores cancellation"
        assert 0.4 < took < 2, f"stop took {took:.2f}s"
        assert not stuck.done()
        assert all(t.cancelled() for t in tasks if t is not stuck), "the other tasks were stopped"
        assert any("bus-poll" in r.getMessage() and "abandoned" in r.getMessage() for r in caplog.records)
    finally:
        release.set()
        for _ in range(300):  # it may swallow one more cancellation on its way out
            if stuck.done():
                break
            stuck.cancel()
            await asyncio.sleep(0.01)
