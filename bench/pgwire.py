"""A counting TCP proxy in front of PostgreSQL: how many statements and round trips a server
makes per request, seen on the wire, for any server (Python or Node) without changing it.

It reads the frontend messages (client -> PostgreSQL) of the v3 protocol and counts them by type:
`Q` simple query (one round trip), `P` parse, `B` bind, `E` execute, `S` sync (ends one extended
query round trip). The backend's answers are passed through untouched. It answers SSL and GSS
encryption requests with "N" itself, so the stream stays readable.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


class CountingProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)):
        self.upstream = upstream
        self.counts: Counter = Counter()
        self.port: int | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)

    def reset(self) -> None:
        self.counts.clear()

    def snapshot(self) -> dict[str, int]:
        c = self.counts
        return {"executes": c[b"Q"] + c[b"E"], "round_trips": c[b"Q"] + c[b"S"], "parses": c[b"P"]}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        up_reader = up_writer = None
        back = None
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            # Startup: untyped messages (length, then a code or protocol version).
            while True:
                n = int.from_bytes(await reader.readexactly(4), "big")
                body = await reader.readexactly(n - 4)
                code = int.from_bytes(body[:4], "big")
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    writer.write(b"N")
                    await writer.drain()
                    continue
                up_writer.write(n.to_bytes(4, "big") + body)
                break
            back = asyncio.create_task(_pipe(up_reader, writer))
            while True:
                head = await reader.readexactly(5)
                body = await reader.readexactly(int.from_bytes(head[1:], "big") - 4)
                self.counts[head[:1]] += 1
                up_writer.write(head + body)
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            if back is not None:
                back.cancel()
                await asyncio.gather(back, return_exceptions=True)
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
