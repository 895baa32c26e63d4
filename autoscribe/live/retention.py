"""Retention of the event log: events older than settings.event_retention_days are pruned
by a background task, once at start and then periodically."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from autoscribe.db.engine import Database
from autoscribe.db.events import prune_events

log = logging.getLogger("autoscribe.retention")


class EventPruner:
    def __init__(self, db: Database, *, retention: timedelta, interval_seconds: float):
        self._db = db
        self._retention = retention
        self._interval = interval_seconds
        self._task: asyncio.Task | None = None

    async def prune(self) -> int:
        async with self._db.write() as session:
            return await prune_events(session, self._retention)

    async def _loop(self) -> None:
        while True:
            try:
                pruned = await self.prune()
                if pruned:
                    log.info("pruned %d events older than %s", pruned, self._retention)
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("pruning the event log failed")
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="event-pruner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
