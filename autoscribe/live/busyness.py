"""How busy this process is: the CPU its threads used over the last fraction of a second, as a
share of one core (1.0: a core's worth, all of it; more when several threads ran at once).

Background work that competes with serving for the machine's cores (live.pdf_renderer) reads it
to wait for a quieter moment. A task of its own samples `time.process_time()` every WINDOW_SECONDS,
so a reading costs nothing and is at most one window old.
"""

from __future__ import annotations

import asyncio
import time

from autoscribe.live.passes import cancel_and_wait

WINDOW_SECONDS = 0.25


class Busyness:
    def __init__(self, window: float = WINDOW_SECONDS):
        self.window = window
        # The process's CPU over the last window, per second of it (0 before the first window).
        self.share = 0.0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._sample(), name="busyness")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    async def _sample(self) -> None:
        clock, cpu = time.monotonic(), time.process_time()
        while True:
            await asyncio.sleep(self.window)
            now, used = time.monotonic(), time.process_time()
            self.share = (used - cpu) / max(now - clock, 1e-6)
            clock, cpu = now, used
