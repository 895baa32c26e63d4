"""The per-request (per-connection, for WebSockets) context that every field sees."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from autoscribe.auth import Principal, authenticate, bearer_from_header
from autoscribe.services import Services
from resolvers.loaders import Loaders


class Context:
    def __init__(self, svc: Services, request: Any, response: Any = None):
        self.svc = svc
        self.request = request
        self.response = response
        state = getattr(request, "state", None)
        self.request_id: str = getattr(state, "request_id", None) or uuid.uuid4().hex[:16]
        # Set by Strawberry from a WebSocket's connection_init payload.
        self.connection_params: dict | None = None
        self._principal: asyncio.Task | None = None
        self._authenticated_at = 0.0
        self.loaders = self.new_loaders()

    def new_loaders(self) -> Loaders:
        return Loaders(self.svc.db, self._clinic_id)

    async def _clinic_id(self) -> str:
        return (await self.principal()).clinic_id

    def bearer(self) -> str | None:
        params = self.connection_params
        if isinstance(params, dict):
            value = params.get("authorization") or params.get("Authorization")
            if isinstance(value, str):
                return bearer_from_header(value)
        return bearer_from_header(self.request.headers.get("authorization"))

    async def principal(self, *, fresh: bool = False) -> Principal:
        """Who is calling (authenticated once per request); UNAUTHENTICATED if no one valid."""
        if self._principal is None or fresh:
            self._principal = asyncio.ensure_future(
                authenticate(self.svc.db, self.svc.signer, self.bearer())
            )
            self._authenticated_at = time.monotonic()
        return await asyncio.shield(self._principal)

    async def live_principal(self) -> Principal:
        """The principal of a long-lived WebSocket: authenticated again when the last check is older
        than settings.live_auth_check_seconds, so that revoked access ends its subscriptions.
        Shared by all subscriptions of the connection: one check per interval, not per event."""
        age = time.monotonic() - self._authenticated_at
        return await self.principal(fresh=age >= self.svc.settings.live_auth_check_seconds)
