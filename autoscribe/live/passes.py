"""The loop of a background worker of the live layer (webhooks, PDFs): a pass at once, then one
whenever a commit wakes it and at least every poll; and stopping its tasks within a bound."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


async def run_passes(one_pass: Callable[[], Awaitable[None]], wake: asyncio.Event, poll_seconds: float,
                     log: logging.Logger, what: str) -> None:
    """Run `one_pass` for ever; a pass that fails (the database went away, say) is logged and the
    next one tries again."""
    while True:
        wake.clear()
        try:
            await one_pass()
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - logged; the next pass tries again
            log.exception("%s pass failed; trying again", what)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await wake.wait()


async def cancel_and_wait(tasks: list[asyncio.Task], seconds: float = 5) -> None:
    """Cancel `tasks` and wait at most `seconds` for them to end."""
    for task in tasks:
        task.cancel()
    if tasks:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await asyncio.gather(*tasks, return_exceptions=True)
