"""Redis pub/sub as a broadcaster backend, used by the event bus in place of broadcaster's own.

broadcaster 0.3.1's RedisBackend, with redis-py 8, never receives anything: its listener task is
woken before SUBSCRIBE has completed, finds no channel subscribed yet, stops listening, and waits
for a wake-up that never comes again. Here the listener reads only once the subscription is in
place. Reconnecting is left to the event bus (redis-py's own retries would hide a dropped
connection and the messages lost with it), so a broken connection fails at once.
"""

from __future__ import annotations

import asyncio

from broadcaster import BroadcastBackend, Event
from redis import asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class RedisPubSubBackend(BroadcastBackend):
    def __init__(self, url: str, *, connect_timeout: float = 5.0):
        self._conn = redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), socket_connect_timeout=connect_timeout)
        self._pubsub = self._conn.pubsub()
        self._subscribed = asyncio.Event()

    async def connect(self) -> None:
        await self._pubsub.connect()

    async def disconnect(self) -> None:
        try:
            await self._pubsub.aclose()
        finally:
            await self._conn.aclose()

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._subscribed.set()

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: str) -> None:
        await self._conn.publish(channel, message)

    async def next_published(self) -> Event:
        await self._subscribed.wait()
        while True:
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message["type"] == "message":
                return Event(channel=message["channel"].decode(), message=message["data"].decode())
