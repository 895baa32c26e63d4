"""A small graphql-transport-ws client over `websockets`, speaking to a running server as a
worklist screen would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"
# graphql-transport-ws sends every message as a text frame; a binary one is a server fault.
BINARY = "the server sent a binary frame where graphql-transport-ws sends text"


class Closed(Exception):
    """The server closed the connection (code and reason as it sent them)."""

    def __init__(self, code: int | None, reason: str):
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class Subscription:
    def __init__(self, client: GraphQLWS, id: str):
        self.client = client
        self.id = id
        self.messages: asyncio.Queue[dict] = asyncio.Queue()
        # Every text frame received for it, as the server wrote it.
        self.frames: list[str] = []

    async def message(self, timeout: float = 10) -> dict:
        """The next message for this subscription: next, error or complete (Closed if the socket closes)."""
        message = await asyncio.wait_for(self.messages.get(), timeout)
        if message["type"] == "closed":
            raise Closed(message["code"], message["reason"])
        assert message["type"] != "binary", f"{BINARY}: {message['raw'][:200]!r}"
        return message

    async def next(self, timeout: float = 10) -> dict:
        """The data of the next result, which must have no errors."""
        message = await self.message(timeout)
        assert message["type"] == "next", message
        assert not message["payload"].get("errors"), message["payload"]["errors"]
        return message["payload"]["data"]

    async def take(self, count: int, timeout: float = 10) -> list[dict]:
        return [await self.next(timeout) for _ in range(count)]

    async def error(self, timeout: float = 10) -> dict:
        """The first error of the next message (a `next` with errors, or an `error`), then complete."""
        message = await self.message(timeout)
        if message["type"] == "next":
            errors = message["payload"].get("errors")
            assert errors and message["payload"].get("data") is None, message
            ended = await self.message(timeout)
            assert ended["type"] == "complete", ended
        else:
            assert message["type"] == "error", message
            errors = message["payload"]
        return {**errors[0].get("extensions", {}), "message": errors[0]["message"]}

    async def nothing(self, seconds: float) -> None:
        """No message arrives for `seconds`."""
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(self.messages.get(), seconds)
            raise AssertionError(f"expected nothing, got {message}")

    async def complete(self) -> None:
        await self.client.send({"id": self.id, "type": "complete"})


class GraphQLWS:
    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, url: str, *, token: str | None = None, header_token: str | None = None, payload: dict | None = None
    ) -> AsyncIterator[GraphQLWS]:
        """Open, send connection_init (with the token in its payload), and wait for the ack.

        Raises Closed when the server refuses the connection.
        """
        headers = {"Authorization": f"Bearer {header_token}"} if header_token else None
        init = dict(payload or {})
        if token is not None:
            init["authorization"] = f"Bearer {token}"
        async with connect(url, subprotocols=[PROTOCOL], additional_headers=headers, open_timeout=10) as ws:
            client = cls(ws)
            await client.send({"type": "connection_init", "payload": init})
            try:
                raw_ack = await asyncio.wait_for(ws.recv(), 10)
            except ConnectionClosed:
                raise Closed(ws.close_code, ws.close_reason or "") from None
            assert isinstance(raw_ack, str), f"{BINARY}: {raw_ack[:200]!r}"
            ack = json.loads(raw_ack)
            assert ack["type"] == "connection_ack", ack
            client._reader = asyncio.create_task(client._read())
            try:
                yield client
            finally:
                client._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await client._reader

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def subscribe(self, query: str, variables: dict | None = None) -> Subscription:
        sub = Subscription(self, str(next(self._ids)))
        self.subscriptions[sub.id] = sub
        await self.send({"id": sub.id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        return sub

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                if not isinstance(raw, str):  # browsers' graphql-ws clients cannot read it
                    for sub in self.subscriptions.values():
                        await sub.messages.put({"type": "binary", "raw": raw})
                    continue
                message = json.loads(raw)
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                elif message.get("id") in self.subscriptions:
                    self.subscriptions[message["id"]].frames.append(raw)
                    await self.subscriptions[message["id"]].messages.put(message)
        except ConnectionClosed:
            pass
        closed = {"type": "closed", "code": self.ws.close_code, "reason": self.ws.close_reason or ""}
        for sub in self.subscriptions.values():
            await sub.messages.put(closed)


async def closed_by_server(ws: ClientConnection) -> int | None:
    """Read until the server closes the socket (within 10 s): its close code."""
    try:
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return ws.close_code
    raise AssertionError("the server did not close the socket")  # pragma: no cover - recv loops until it does


async def closed_by(url: str, frames: list[str], *, init: str | None = None, subprotocols=(PROTOCOL,),
                    headers: dict | None = None) -> tuple[int | None, str]:
    """Send `frames` on a new socket (after connection_init with the token `init`, if given): the
    close code and reason the server ends it with."""
    async with connect(url, subprotocols=list(subprotocols) or None, additional_headers=headers,
                       open_timeout=10) as ws:
        if init is not None:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {init}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
        for frame in frames:
            await ws.send(frame)
        await closed_by_server(ws)
        return ws.close_code, ws.close_reason or ""
