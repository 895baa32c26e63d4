"""When a test runs out of time (pytest-timeout, method "thread"), print the asyncio tasks' stacks
beside the threads': an async test that hangs shows only the event loop's select() in its thread,
while the tasks show what is actually waiting, and on what."""

from __future__ import annotations

import asyncio
import io

import pytest_timeout

_loop: asyncio.AbstractEventLoop | None = None


def watch(loop: asyncio.AbstractEventLoop) -> None:
    """The loop the tests run on: its tasks are the ones printed."""
    global _loop
    _loop = loop


def _dump_stacks_and_tasks(terminal, _threads=pytest_timeout.dump_stacks) -> None:
    _threads(terminal)
    if _loop is None:
        return
    try:
        tasks = asyncio.all_tasks(_loop)  # from the timer's thread: the loop is stuck or busy anyway
    except RuntimeError as exc:
        terminal.write(f"(the asyncio tasks could not be listed: {exc})\n")
        return
    for task in sorted(tasks, key=lambda t: t.get_name()):
        terminal.sep("~", title=f"asyncio task {task.get_name()}")
        out = io.StringIO()
        task.print_stack(file=out)
        terminal.write(out.getvalue())


if hasattr(pytest_timeout, "dump_stacks"):
    pytest_timeout.dump_stacks = _dump_stacks_and_tasks
