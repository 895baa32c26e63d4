"""Signed, expiring tokens: one salt per purpose, so a token of one kind never passes for another."""

from __future__ import annotations

import time
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

PURPOSES = ("session", "cursor", "reroute", "pdf", "invitation", "event-cursor")


class Signer:
    def __init__(self, secret: str | list[str]):
        # A list of secrets allows rotation: the last one signs, all of them verify.
        self._secret = secret
        self._serializers = {p: URLSafeSerializer(secret, salt=f"autoscribe.{p}") for p in PURPOSES}

    def sign(self, purpose: str, payload: Any, *, ttl_seconds: int | None = None) -> str:
        """A URL-safe token for `payload`; with `ttl_seconds` it stops verifying after that."""
        body = {"p": payload}
        if ttl_seconds is not None:
            body["x"] = int(time.time()) + int(ttl_seconds)
        return self._serializers[purpose].dumps(body)

    def verify(self, purpose: str, token: str) -> Any | None:
        """The payload of a genuine, unexpired token of this purpose, else None."""
        payload, _expired = self.inspect(purpose, token)
        return None if _expired else payload

    def inspect(self, purpose: str, token: str) -> tuple[Any | None, bool]:
        """(payload, expired): payload is None for a forged token."""
        if not isinstance(token, str) or len(token) > 4096:
            return None, False
        try:
            body = self._serializers[purpose].loads(token)
        except BadSignature:
            return None, False
        if not isinstance(body, dict) or "p" not in body:
            return None, False
        expires = body.get("x")
        if expires is not None and time.time() >= expires:
            return body["p"], True
        return body["p"], False

    @staticmethod
    def expires_at(token_ttl_seconds: int) -> float:
        return time.time() + token_ttl_seconds
