"""A small HTTP/1.1 keep-alive client and the two load shapes every figure uses.

Hand-written over asyncio streams (on uvloop when installed) so that the client, which shares
the machine's cores with the servers it measures, costs as little CPU per request as possible.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field


# uvicorn closes a keep-alive connection after 5 s idle; one idle longer than this is reopened.
IDLE_REOPEN = 3.0


class HttpError(Exception):
    pass


class Conn:
    """One keep-alive connection to host:port."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._host_header = f"{host}:{port}".encode()
        self.last_used = 0.0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError):
                pass
            self.writer = self.reader = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        if self.writer is not None and time.monotonic() - self.last_used > IDLE_REOPEN:
            await self.close()  # the server may be closing it right now
        if self.writer is None:
            await self.open()
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host_header]
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}".encode())
        head.append(b"Content-Length: " + str(len(body)).encode())
        self.writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self.close()
            raise HttpError(f"connection closed: {exc}") from None
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {}
        for line in lines[1:]:
            if line:
                k, _, v = line.partition(":")
                hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            data = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        else:
            data = await self.reader.read()
            await self.close()
        if hdrs.get("connection", "").lower() == "close":
            await self.close()
        self.last_used = time.monotonic()
        return status, data

    async def post_json(self, path: str, payload, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return await self.request("POST", path, json.dumps(payload).encode(), hdrs)


# A request: given a connection and the worker's running number, do one operation (one or more
# HTTP requests) and raise if it did not succeed.
Op = Callable[[Conn, int], Awaitable[None]]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, one per successful op
    errors: int = 0
    first_error: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


async def sequential(target: tuple[str, int], op: Op, n: int, warmup: int = 0) -> Run:
    """`warmup` then `n` operations one after another on one connection."""
    conn = Conn(*target)
    run = Run()
    try:
        for i in range(warmup):
            await op(conn, -1 - i)
        started = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            try:
                await op(conn, i)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                run.errors += 1
                run.first_error = run.first_error or repr(exc)[:300]
                continue
            run.latencies.append(time.perf_counter() - t0)
        run.elapsed = time.perf_counter() - started
    finally:
        await conn.close()
    return run


async def concurrent(targets: Sequence[tuple[str, int]], op_for: Callable[[int], Op], concurrency: int,
                     duration: float, warmup: float = 0.0) -> Run:
    """`concurrency` workers, spread round-robin over `targets`, each with its own connection,
    doing operations back to back for `warmup` seconds (not counted) and then `duration` seconds."""
    run = Run()
    counting = asyncio.Event()
    stop = asyncio.Event()

    async def worker(w: int) -> None:
        conn = Conn(*targets[w % len(targets)])
        op = op_for(w)
        i = 0
        try:
            while not stop.is_set():
                t0 = time.perf_counter()
                try:
                    await op(conn, i)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    if counting.is_set():
                        run.errors += 1
                        run.first_error = run.first_error or repr(exc)[:300]
                    await conn.close()
                else:
                    if counting.is_set() and not stop.is_set():
                        run.latencies.append(time.perf_counter() - t0)
                i += 1
        finally:
            await conn.close()

    tasks = [asyncio.create_task(worker(w)) for w in range(concurrency)]
    try:
        await asyncio.sleep(warmup)
        counting.set()
        started = time.perf_counter()
        await asyncio.sleep(duration)
        stop.set()
        run.elapsed = time.perf_counter() - started
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return run


def graphql_op(query: str, variables: dict | None = None, *, token: str,
               variables_for: Callable[[int], dict] | None = None,
               check: Callable[[dict], None] | None = None, path: str = "/graphql") -> Op:
    """An operation posting one GraphQL document (with `variables`, or `variables_for(i)` for the
    i-th operation); fails on a non-200 status or any `errors`."""
    static = None if variables_for else json.dumps({"query": query, "variables": variables or {}}).encode()
    hdrs = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    async def op(conn: Conn, i: int) -> None:
        body = static if static is not None else json.dumps({"query": query, "variables": variables_for(i)}).encode()
        status, data = await conn.request("POST", path, body, hdrs)
        if status != 200:
            raise HttpError(f"HTTP {status}: {data[:200]!r}")
        if check is not None:
            check(json.loads(data))
        elif b'"errors"' in data:
            raise HttpError(data[:300].decode(errors="replace"))

    return op
