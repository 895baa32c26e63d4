"""The per-request (per-connection, for WebSockets) context that every field sees."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from typing import Any

from autoscribe.core.principal import Principal
from autoscribe.operations.authentication import authenticate, bearer_from_header
from autoscribe.core.errors import AppError
from autoscribe.core.services import Services
from autoscribe.operations.loaders import Loaders

log = logging.getLogger("autoscribe.auth")


class Context:
    def __init__(self, svc: Services, request: Any, response: Any = None):
        self.svc = svc
        self.request = request
        self.response = response
        state = getattr(request, "state", None)
        self.request_id: str = getattr(state, "request_id", None) or uuid.uuid4().hex[:16]
        # Set by Strawberry from a WebSocket's connection_init payload.
        self.connection_params: dict | None = None
        self._principal: asyncio.Future | None = None
        self._authenticated_at = 0.0
        # Made on first use: an idle WebSocket (whose subscriptions resolve through the loaders of
        # the events they read) never needs its own.
        self._loaders: Loaders | None = None
        # Whether queries may take the compiled execution (server.engine.compiled): HTTP requests.
        self.compiled = False
        # What admission found of the request's document, and whether its plan answered it: then
        # the same document takes the short way next time (server.engine.known_documents).
        self.admitted = None
        self.planned = False

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = self.new_loaders()
        return self._loaders

    @loaders.setter
    def loaders(self, value: Loaders) -> None:
        self._loaders = value

    def new_loaders(self) -> Loaders:
        return Loaders(self.svc.db, self.principal)

    def bearer(self) -> str | None:
        params = self.connection_params
        if isinstance(params, dict):
            value = params.get("authorization") or params.get("Authorization")
            if isinstance(value, str):
                return bearer_from_header(value)
        return bearer_from_header(self.request.headers.get("authorization"))

    async def principal(self, *, fresh: bool = False) -> Principal:
        """Who is calling (authenticated once per request; an API key's authentication shared
        between requests while the bus reaches every process, autoscribe.live.auth_cache);
        UNAUTHENTICATED if no one valid. `fresh`: looked up now, whatever is kept."""
        if self._principal is None or fresh:
            self._principal = asyncio.ensure_future(
                authenticate(self.svc.db, self.svc.signer, self.bearer()) if fresh
                else self.svc.auth.for_request(self.bearer())
            )
            self._authenticated_at = time.monotonic()
        return await asyncio.shield(self._principal)

    async def live_principal(self) -> Principal:
        """The principal of a long-lived WebSocket: authenticated again when the last check is older
        than settings.live_auth_check_seconds, so that revoked access ends its subscriptions.
        Shared by all subscriptions of the connection: one check per interval, not per event; and
        by all connections of a token through autoscribe.live.auth_cache (one query per token per TTL).
        A revocation this process has learnt of (autoscribe.live.revocation) ends it at once, unasked.
        """
        interval = self.svc.settings.live_auth_check_seconds
        # Up to 20% early, at random: connections opened together do not all re-check together.
        if self._principal is not None and time.monotonic() - self._authenticated_at < interval * (
            1 - 0.2 * random.random()
        ):
            return self._standing(await asyncio.shield(self._principal))
        previous = self._principal
        self._principal = asyncio.ensure_future(self._recheck(previous))
        self._authenticated_at = time.monotonic()
        return self._standing(await asyncio.shield(self._principal))

    def known_principal(self) -> Principal | None:
        """The principal last confirmed, without waiting; None if none is (yet)."""
        future = self._principal
        if future is None or not future.done() or future.cancelled() or future.exception() is not None:
            return None
        return future.result()

    def _standing(self, principal: Principal) -> Principal:
        """The principal, unless it has been revoked: then this connection's every later request
        is UNAUTHENTICATED too."""
        try:
            self.svc.revocations.check(principal)
        except AppError as refused:
            failed = asyncio.get_running_loop().create_future()
            failed.set_exception(refused)
            failed.exception()  # retrieved: no "never retrieved" warning when nothing asks again
            self._principal = failed
            raise
        return principal

    async def _recheck(self, previous: asyncio.Future | None) -> Principal:
        try:
            return await self.svc.auth.authenticate(self.bearer())
        except AppError:
            raise  # the token is no longer good: the subscriptions end
        except Exception as exc:
            # The check could not be made (database down or its pool exhausted). That says nothing
            # about the token: keep the principal last confirmed and check again next interval.
            if previous is None or not previous.done() or previous.cancelled() or previous.exception() is not None:
                raise
            log.warning("re-checking a connection's principal failed (%s: %s); trying again later",
                        type(exc).__name__, exc)
            return previous.result()
