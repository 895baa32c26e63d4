"""Why a WebSocket is closed, said in its close reason, under graphql-transport-ws's close codes.

- 4400: a message that is not the protocol's (engine.ws_messages says which rule it broke), or a
  connection_init payload that is not an object.
- 4401: a subscribe before the connection_ack.
- 4403: connection_init refused, saying why: no token ("connection_init payload needs
  authorization: Bearer <token>"), an authorization that is not `Bearer <token>`, or a token that
  does not stand (unknown, expired, revoked, its user's clinic, ...: autoscribe.operations.authentication).
- 4406: a subprotocol other than graphql-transport-ws asked for.
- 4408: no connection_init within the init timeout.
- 4429: too many connections for the key or from the address (engine.ws_limits), or a second
  connection_init.

Strawberry closes with 4401, 4406 and 4408 itself, with reasons that say less ("Unauthorized",
"Subprotocol not acceptable"): RefusingSocket, the socket it closes through, says more. A close
reason is at most 123 bytes (RFC 6455): reasons are cut to fit.
"""

from __future__ import annotations

from typing import Any

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected

from autoscribe.core.errors import Unauthenticated

BAD_REQUEST = 4400
UNAUTHORIZED = 4401
FORBIDDEN = 4403
SUBPROTOCOL_NOT_ACCEPTABLE = 4406
INIT_TIMEOUT = 4408
TOO_MANY = 4429

NO_TOKEN = "connection_init payload needs authorization: Bearer <token>"
NOT_BEARER = "authorization must be Bearer <token>"
BAD_INIT_PAYLOAD = 'connection_init payload must be an object: {"authorization": "Bearer <token>"}'
NOT_ACKNOWLEDGED = "subscribe before connection_ack: send connection_init and wait for the ack"
SUBPROTOCOL = "expected subprotocol graphql-transport-ws"
MAX_REASON_BYTES = 123


class Refused(Exception):
    """Raised while a connection is set up: it is closed with `code` and `reason`."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def fit(reason: str) -> str:
    """`reason` cut to what a close frame carries."""
    encoded = reason.encode()
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


def _authorization_given(context: Any) -> bool:
    params = context.connection_params
    if isinstance(params, dict) and ("authorization" in params or "Authorization" in params):
        return True
    return context.request.headers.get("authorization") is not None


def refused_token(context: Any, error: Unauthenticated) -> Refused:
    """connection_init refused for its token (or the lack of one): 4403 and what was wrong."""
    if context.bearer() is None:
        return Refused(FORBIDDEN, NOT_BEARER if _authorization_given(context) else NO_TOKEN)
    return Refused(FORBIDDEN, fit(error.message))


def init_timeout(seconds: float) -> str:
    return f"no connection_init within {seconds:g} s of connecting"


class RefusingSocket(ASGIWebSocketAdapter):
    """The socket Strawberry's handlers close: its own terse close reasons replaced by ours; and
    every message a text frame, as graphql-transport-ws has them (Strawberry sends bytes from
    `encode_json` as a binary frame, which browsers' graphql-ws clients cannot read)."""

    async def send_json(self, message) -> None:
        try:
            await self.ws.send_text(self.view.encode_json_string(message))
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if code == UNAUTHORIZED:
            reason = NOT_ACKNOWLEDGED
        elif code == SUBPROTOCOL_NOT_ACCEPTABLE:
            reason = SUBPROTOCOL
        elif code == INIT_TIMEOUT:
            reason = init_timeout(self.view.connection_init_wait_timeout.total_seconds())
        await super().close(code, fit(reason))
