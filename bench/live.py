"""Driving many subscribers: worker processes of bench.wsclient, and events timed to the last one."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.client import Conn, HttpError
from bench.procs import Proc, Procs, cpu_seconds

# Connections per client process: one process holds this many comfortably.
PER_WORKER = 2_500
# Connections per API key: the server limits open WebSockets per key (max_connections_per_key,
# 200 by default), as for a clinic whose screens use many keys or user sessions.
PER_KEY = 150

# Subscribed with `after` a cursor taken just before, so that a subscription the server starts late
# (it processes `subscribe` messages in its own time) still gets every event after that cursor.
SUBSCRIPTION = """subscription Worklist($after: String) {
  worklist(filter: {isCancelled: false}, after: $after) {
    cursor type occurredAt
    study {
      id studyInstanceUid studyDescription severity studyReportStatus updatedAt clinicalHistory
      assignedTo { id firstName lastName }
      reportMetadata { patientName mrn }
    }
  }
}"""

MARK_MUTATION = """mutation Mark($id: ID!, $text: String!) {
  updateStudy(id: $id, input: {clinicalHistory: $text}) { id }
}"""


@dataclass
class Worker:
    proc: Proc
    lines: asyncio.Queue
    ready: dict | None = None
    marks: dict[int, dict] = field(default_factory=dict)
    statuses: list[dict] = field(default_factory=list)


class Subscribers:
    """Subscribers of SUBSCRIPTION on one server, spread over worker processes of bench.wsclient."""

    def __init__(self, procs: Procs, port: int, token: str, name: str, keys: Callable[[int], Awaitable[list[str]]]):
        """`token` sends the mutations; `keys(n)` makes n more API keys of the same clinic, for the
        subscribers (PER_KEY connections each)."""
        self.procs, self.port, self.token, self.name = procs, port, token, name
        self.keys = keys
        self.workers: list[Worker] = []

    @property
    def connected(self) -> int:
        return sum(w.ready["ready"] for w in self.workers if w.ready)

    @property
    def failed(self) -> int:
        return sum(w.ready["failed"] for w in self.workers if w.ready)

    @property
    def retried(self) -> int:
        """Connection attempts that failed and were retried (a sign of an overloaded server)."""
        return sum(w.ready.get("retried", 0) for w in self.workers if w.ready)

    @property
    def first_error(self) -> str | None:
        return next((w.ready["error"] for w in self.workers if w.ready and w.ready.get("error")), None)

    def cpu(self) -> float:
        return sum(cpu_seconds(w.proc.pid) for w in self.workers if w.proc.alive())

    async def add(self, n: int, after: str, timeout: float = 900) -> None:
        """`n` more subscribers, in new worker processes, subscribed after the cursor `after`;
        returns once each has tried to subscribe."""
        loop = asyncio.get_running_loop()
        count = math.ceil(n / PER_WORKER)
        payload = json.dumps({"query": SUBSCRIPTION, "variables": {"after": after}})
        new = []
        for i in range(count):
            share = n // count + (1 if i < n % count else 0)
            tokens = await self.keys(math.ceil(share / PER_KEY))
            proc = self.procs.start(
                f"{self.name}-{len(self.workers) + 1}",
                [sys.executable, "-m", "bench.wsclient", "--port", str(self.port), "--token", ",".join(tokens),
                 "--connections", str(share), "--payload", payload],
                pipes=True,
            )
            queue: asyncio.Queue = asyncio.Queue()
            threading.Thread(target=_pump, args=(proc, queue, loop), daemon=True).start()
            worker = Worker(proc, queue)
            self.workers.append(worker)
            new.append(worker)
        for w in new:
            w.ready = await self._next(w, "ready", timeout)

    async def _next(self, w: Worker, key: str, timeout: float, mark: int | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            if mark is not None and mark in w.marks:
                return w.marks.pop(mark)
            if key == "status" and w.statuses:
                return w.statuses.pop(0)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{w.proc.name}: no {key} {mark if mark is not None else ''} in {timeout:.0f} s")
            try:
                async with asyncio.timeout(remaining):
                    doc = await w.lines.get()
            except TimeoutError:
                continue
            if doc is None:
                raise RuntimeError(f"{w.proc.name} exited: {w.proc.log_tail()}")
            if key == "ready" and "ready" in doc:
                return doc
            if "mark" in doc:
                w.marks[doc["mark"]] = doc
            if "status" in doc:
                w.statuses.append(doc["status"])

    async def event(self, conn: Conn, study_id: str, k: int, timeout: float = 120) -> float:
        """Send one mutation that every subscriber sees; seconds from sending it until the last
        subscriber has the event. TimeoutError if some subscriber does not get it in time."""
        body = json.dumps({"query": MARK_MUTATION, "variables": {"id": study_id, "text": f"bench-mark-{k}-"}}).encode()
        t0 = time.monotonic()
        status, data = await conn.request("POST", "/graphql", body,
                                          {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        if status != 200 or b'"errors"' in data:
            raise HttpError(f"mark mutation failed: {status} {data[:300]!r}")
        last = 0.0
        deadline = time.monotonic() + timeout
        for w in self.workers:
            doc = await self._next(w, "mark", max(deadline - time.monotonic(), 0.001), mark=k)
            last = max(last, doc["last"])
        return last - t0

    async def status(self) -> dict:
        """Connections still open, subscriptions ended (error/complete), first error, over all workers."""
        for w in self.workers:
            w.proc.popen.stdin.write(b"status\n")
            w.proc.popen.stdin.flush()
        total = {"open": 0, "ended": 0, "error": None}
        for w in self.workers:
            st = await self._next(w, "status", 30)
            total["open"] += st["open"]
            total["ended"] += st["ended"]
            total["error"] = total["error"] or st["error"]
        return total

    async def close(self) -> None:
        for w in self.workers:
            self.procs.stop(w.proc)
        self.workers = []


async def current_cursor(port: int, token: str, study_id: str, k: int) -> str:
    """A cursor of the clinic's log as of now: one subscriber's cursor of one mark event."""
    from websockets.asyncio.client import connect

    async with connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
        while json.loads(await ws.recv())["type"] != "connection_ack":
            pass
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": {}}}))
        conn = Conn("127.0.0.1", port)
        try:
            # Until the subscription is live: a mark sent before it started is not seen, so send again.
            for attempt in range(60):
                body = json.dumps({"query": MARK_MUTATION, "variables": {"id": study_id, "text": f"bench-mark-{k}-"}})
                status, data = await conn.request("POST", "/graphql", body.encode(), {
                    "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
                if status != 200 or b'"errors"' in data:
                    raise HttpError(f"mark mutation failed: {status} {data[:300]!r}")
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 2.0 + attempt))
                except TimeoutError:
                    continue
                if message.get("type") == "next":
                    return message["payload"]["data"]["worklist"]["cursor"]
                raise HttpError(f"subscription answered {message}")
        finally:
            await conn.close()
    raise TimeoutError("no worklist event within 60 tries")


def _pump(proc: Proc, queue: asyncio.Queue, loop: asyncio.AbstractEventLoop) -> None:
    """Worker stdout lines to the queue, as dicts; None when it closes."""
    try:
        for line in proc.popen.stdout:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            loop.call_soon_threadsafe(queue.put_nowait, doc)
    except (OSError, ValueError):
        pass
    finally:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, None)
        except RuntimeError:
            pass
