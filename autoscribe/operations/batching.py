"""Batched loads: the keys asked for in one turn of the event loop are loaded by one call.

What GraphQL resolvers need of a data loader, and nothing of any GraphQL library: sibling fields
resolved concurrently each ask for one row, and one statement reads them all. Each key is loaded
once per Batcher (a Batcher lives as long as one request, or one event of a subscription); a
failed load is forgotten, so a later ask tries again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What `Batcher.peek` answers for a key that is not loaded (yet).
NOT_LOADED = object()


class Batcher(Generic[K, V]):
    def __init__(self, load: Callable[[list[K]], Awaitable[list[V]]]):
        self._load = load
        self._cache: dict[K, asyncio.Future[V]] = {}
        self._pending: list[tuple[K, asyncio.Future[V]]] | None = None
        # Batches running (a task nobody refers to may be collected before it finishes).
        self._running: set[asyncio.Task] = set()

    def load(self, key: K) -> asyncio.Future[V]:
        """The value for `key`: from this batcher's cache, or from the batch of this loop turn."""
        future = self._cache.get(key)
        if future is not None:
            return future
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._cache[key] = future
        if self._pending is None:
            self._pending = []
            loop.call_soon(self._dispatch)
        self._pending.append((key, future))
        return future

    def prime_many(self, values: Mapping[K, V]) -> None:
        """Values read some other way; keys already asked for keep theirs."""
        loop = asyncio.get_running_loop()
        for key, value in values.items():
            if key not in self._cache:
                future = loop.create_future()
                future.set_result(value)
                self._cache[key] = future

    def peek(self, key: K) -> object:
        """The value already loaded for `key`, or NOT_LOADED (not asked for, in flight, or failed):
        a field that finds its value here answers at once, without waiting for a batch."""
        future = self._cache.get(key)
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return NOT_LOADED
        return future.result()

    def asked(self, key: K) -> bool:
        return key in self._cache

    def _dispatch(self) -> None:
        batch, self._pending = self._pending or [], None
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[K, asyncio.Future[V]]]) -> None:
        keys = [key for key, _ in batch]
        try:
            values = await self._load(keys)
            if len(values) != len(keys):
                raise ValueError(f"a batch load of {len(keys)} keys returned {len(values)} values")
        except Exception as exc:  # noqa: BLE001 - every asker gets it
            for key, future in batch:
                if self._cache.get(key) is future:
                    del self._cache[key]
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException as exc:  # cancelled: the askers are told, then it goes on
            for key, future in batch:
                if self._cache.get(key) is future:
                    del self._cache[key]
                if not future.done():
                    future.cancel()
            raise exc
        for (_key, future), value in zip(batch, values):
            if not future.done():
                future.set_result(value)
