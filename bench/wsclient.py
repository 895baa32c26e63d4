"""Many graphql-transport-ws subscribers in one process, as cheaply as possible.

A bare WebSocket client over asyncio protocols (no library: the handshake, masked text frames out,
unmasked frames in, pongs to pings), so that thousands of subscribers cost the machine little
next to the server being measured. Run as a worker process by bench.live:

    python -m bench.wsclient --port P --token T[,T2,...] --connections N --payload JSON

It opens N connections, each with one subscription (`payload` is the subscribe message's payload),
then prints one JSON line per event to stdout:

    {"ready": n_ok, "failed": n, "retried": n, "error": "..."}  once all connections are subscribed
    {"mark": k, "n": count, "first": t, "last": t}              when all n_ok subscribers have had the
                                                                event whose text holds `bench-mark-<k>-`
                                                                (t: time.monotonic(), comparable across
                                                                processes on one machine)

answers a line "status" on stdin with {"status": {"open": n, "ended": n, "error": "...", "pending": {k: n}}}
(connections still open, subscriptions ended by an error or complete message, and how many
subscribers have each not-yet-complete mark), and exits when its stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import sys
import time
from collections import defaultdict

MARK = re.compile(rb"bench-mark-(\d+)-")
MASK = b"\x00\x00\x00\x00"  # client frames must be masked; a zero key leaves the payload as is


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (max(hard, 65536), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            continue
    return soft


def frame(payload: bytes, opcode: int = 1) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + MASK + payload


class Subscriber(asyncio.Protocol):
    def __init__(self, host: str, port: int, init: bytes, subscribe: bytes, on_mark):
        self.host, self.port = host, port
        self.init, self.subscribe = init, subscribe
        self.on_mark = on_mark
        self.buffer = bytearray()
        self.open = False
        self.transport = None
        self.acked = asyncio.get_running_loop().create_future()
        self.closed = False
        self.errors: list[bytes] = []
        self._parts: list[bytes] = []

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET /graphql HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n".encode()
        )

    def connection_lost(self, exc) -> None:
        self.closed = True
        if not self.acked.done():
            self.acked.set_exception(ConnectionError(f"connection lost: {exc}"))

    def data_received(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[: buf.find(b"\r\n")])
            del buf[: end + 4]
            if b" 101 " not in status:
                self.acked.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.open = True
            self.transport.write(frame(self.init))
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, i = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, i = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, i = int.from_bytes(buf[2:10], "big"), 10
            if b1 & 0x80:
                i += 4  # servers do not mask; skip a key if one is there
            if len(buf) < i + n:
                return
            payload = bytes(buf[i : i + n])
            del buf[: i + n]
            self._frame(b0 & 0x0F, bool(b0 & 0x80), payload)

    def _frame(self, opcode: int, fin: bool, payload: bytes) -> None:
        if opcode == 9:  # ping
            self.transport.write(frame(payload, 10))
            return
        if opcode == 8:  # close
            self.transport.close()
            return
        if opcode in (0, 1, 2):
            self._parts.append(payload)
            if not fin:
                return
            message, self._parts = b"".join(self._parts), []
            self._message(message)

    def _message(self, message: bytes) -> None:
        now = time.monotonic()
        if not self.acked.done():
            if b'"connection_ack"' in message:
                self.transport.write(frame(self.subscribe))
                self.acked.set_result(None)
            return
        match = MARK.search(message)
        if match:
            self.on_mark(int(match.group(1)), now)
        elif b'"ping"' in message:
            self.transport.write(frame(b'{"type":"pong"}'))
        elif b'"errors"' in message or b'"error"' in message or b'"complete"' in message:
            self.errors.append(message[:300])


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.wsclient")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True, help="bearer token(s), comma-separated: used in turn")
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--payload", required=True, help="the subscribe message's payload, as JSON")
    parser.add_argument("--parallel", type=int, default=25, help="handshakes in flight at once")
    parser.add_argument("--attempts", type=int, default=3, help="tries per connection")
    args = parser.parse_args()
    raise_fd_limit()
    loop = asyncio.get_running_loop()

    inits = [json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {t}"}}).encode()
             for t in args.token.split(",")]
    subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": json.loads(args.payload)}).encode()
    seen: dict[int, list[float]] = defaultdict(list)
    expected = {"n": args.connections}

    def out(doc: dict) -> None:
        sys.stdout.write(json.dumps(doc) + "\n")
        sys.stdout.flush()

    def on_mark(k: int, t: float) -> None:
        times = seen[k]
        times.append(t)
        if len(times) == expected["n"]:
            out({"mark": k, "n": len(times), "first": min(times), "last": max(times)})
            del seen[k]

    subscribers: list[Subscriber] = []
    gate = asyncio.Semaphore(args.parallel)
    failures: list[str] = []

    retries: list[str] = []

    async def connect(i: int) -> None:
        init = inits[i % len(inits)]
        async with gate:
            for attempt in range(args.attempts):
                try:
                    _t, sub = await loop.create_connection(
                        lambda: Subscriber(args.host, args.port, init, subscribe, on_mark), args.host, args.port
                    )
                    await asyncio.wait_for(sub.acked, 60)
                    subscribers.append(sub)
                    return
                except Exception as exc:  # noqa: BLE001 - retried, then counted and reported
                    error = f"{type(exc).__name__}: {exc}"
                    if attempt + 1 < args.attempts:
                        retries.append(error)
                        await asyncio.sleep(1.0)
                    else:
                        failures.append(error)

    await asyncio.gather(*(connect(i) for i in range(args.connections)))
    expected["n"] = len(subscribers)
    out({"ready": len(subscribers), "failed": len(failures), "retried": len(retries),
         "error": (failures or retries or [None])[0]})

    # Until stdin closes (the controller is done or gone); "status" asks how the connections are.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"status":
            out({"status": {
                "open": sum(1 for s in subscribers if not s.closed),
                "ended": sum(1 for s in subscribers if s.errors),
                "error": next((s.errors[0].decode(errors="replace") for s in subscribers if s.errors), None),
                "pending": {str(k): len(v) for k, v in seen.items()},
            }})
    errors = [e for s in subscribers for e in s.errors]
    if errors:
        print(f"{len(errors)} error/complete messages, first: {errors[0]!r}", file=sys.stderr)
    for s in subscribers:
        if s.transport is not None:
            s.transport.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
