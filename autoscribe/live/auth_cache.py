"""Re-checks of long-lived connections' principals, shared per token for a few seconds.

Every WebSocket re-authenticates every settings.live_auth_check_seconds so that revoked access
ends its subscriptions. Done one query per connection, 10,000 connections of one API key made
2,000 queries a second and exhausted the database pool (pool timeouts ended subscriptions with
INTERNAL_SERVER_ERROR). Here the connections of one token share one authentication per TTL, and
concurrent misses share the one query in flight, so the cost is one query per token per TTL.

Only successes are kept: a refused token is asked about again next time. A revocation this process
learns of (autoscribe.revocation) is forgotten at once, and a principal it names is never handed
out; one it never learns of takes effect within live_auth_check_seconds + the TTL.

HTTP requests with an API key use it too (`for_request`), but only while the event bus reaches
every process (a Redis or PostgreSQL bus, connected): then every revocation reaches this process at
once, from the process that made it, another server or the command line, and the key's lookup, a
round trip on every request otherwise, is made once per TTL. With memory:// (nothing reaches this
process from outside it) or the bus down, each request looks its key up afresh; when the bus
connects again, everything kept is forgotten (a revocation may have been missed meanwhile). User
session tokens and new connections always authenticate afresh.
"""

from __future__ import annotations

import asyncio
import hashlib
import time

from autoscribe.core.principal import Principal
from autoscribe.operations.authentication import API_KEY_PREFIX, authenticate
from autoscribe.core.errors import Unauthenticated
from autoscribe.live.revocation import Revocations
from autoscribe.core.services import Services
from autoscribe.db.events import Revocation

TTL_SECONDS = 2.0
MAX_ENTRIES = 4096


class AuthCache:
    def __init__(self, svc: Services, ttl: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES):
        self._svc = svc
        self._revocations: Revocations = svc.revocations
        svc.revocations.on_revoked(self.forget)
        self._bus = svc.bus
        svc.bus.on_connected.append(self.forget_all)
        self.ttl = ttl
        self._max = max_entries
        # sha256(token) -> (good until, the authentication: in flight or done)
        self._entries: dict[bytes, tuple[float, asyncio.Future[Principal]]] = {}
        self.misses = 0

    async def for_request(self, token: str | None) -> Principal:
        """An HTTP request's principal: an API key's kept authentication while the bus reaches
        every process; anything else authenticated afresh."""
        if token and token.startswith(API_KEY_PREFIX) and self._bus.reaches_other_processes:
            return await self.authenticate(token)
        return await authenticate(self._svc.db, self._svc.signer, token)

    def forget_all(self) -> None:
        self._entries.clear()

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated()
        key = hashlib.sha256(token.encode()).digest()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and (now < entry[0] or not entry[1].done()):
            return self._standing(await asyncio.shield(entry[1]))
        self.misses += 1
        future = asyncio.ensure_future(authenticate(self._svc.db, self._svc.signer, token))
        self._entries.pop(key, None)
        self._entries[key] = (now + self.ttl, future)
        while len(self._entries) > self._max:  # the oldest first (dicts keep insertion order)
            del self._entries[next(iter(self._entries))]

        def forget_failure(f: asyncio.Future) -> None:
            if (f.cancelled() or f.exception() is not None) and self._entries.get(key, (0, None))[1] is f:
                del self._entries[key]

        future.add_done_callback(forget_failure)
        return self._standing(await asyncio.shield(future))

    def _standing(self, principal: Principal) -> Principal:
        self._revocations.check(principal)
        return principal

    def forget(self, revocation: Revocation) -> None:
        """Drop what is kept of the revoked principal, and authentications still in flight (begun,
        perhaps, before the revocation was committed)."""
        for key, (_until, future) in list(self._entries.items()):
            if not future.done():
                stale = True
            elif future.cancelled() or future.exception() is not None:
                stale = False  # never kept
            else:
                principal = future.result()
                stale = (principal.api_key_id if revocation.kind == "key" else principal.user_id) == revocation.id
            if stale:
                del self._entries[key]
