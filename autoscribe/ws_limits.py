"""Open WebSocket connections per principal (an API key, or a user) in this process.

A connection takes a slot when its connection_init is accepted and gives it back when the socket
ends, however it ends (the client closes, an error, the server shutting down): GraphQLApp releases
it in a `finally` around the whole WebSocket.
"""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from autoscribe.auth import Principal
from schema import multicast

CLOSE_CODE = 4429
REASON = "Too many connections for this key"
# Where a WebSocket's ASGI scope keeps the key of the slot it holds.
SCOPE_KEY = "autoscribe.ws_slot"


class TooManyConnections(Exception):
    """Raised by on_ws_connect: the connection is closed with CLOSE_CODE and REASON."""


def principal_key(principal: Principal) -> str:
    if principal.api_key_id is not None:
        return f"key:{principal.api_key_id}"
    return f"user:{principal.user_id}"


class ConnectionSlots:
    def __init__(self, limit: int):
        self.limit = limit
        self.open: dict[str, int] = {}

    def acquire(self, scope: dict, principal: Principal) -> None:
        """Take a slot for the connection of `scope` (once per connection), or TooManyConnections."""
        if SCOPE_KEY in scope:
            return
        key = principal_key(principal)
        if self.open.get(key, 0) >= self.limit:
            raise TooManyConnections(REASON)
        self.open[key] = self.open.get(key, 0) + 1
        scope[SCOPE_KEY] = key

    def release(self, scope: dict) -> None:
        key = scope.pop(SCOPE_KEY, None)
        if key is None:
            return
        left = self.open.get(key, 0) - 1
        if left > 0:
            self.open[key] = left
        else:
            self.open.pop(key, None)

    def count(self, principal: Principal) -> int:
        return self.open.get(principal_key(principal), 0)


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, refusing a connection over its principal's limit with 4429, and a
    subscription over the connection's limit with an error that has a code (Strawberry's has none)."""

    async def handle_subscribe(self, message) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and message["id"] not in self.operations
            and len(self.operations) >= limit
        ):
            error = GraphQLError(
                f"Subscription limit reached: at most {limit} operations at a time on one connection.",
                extensions={"code": "RATE_LIMITED"},
            )
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation) -> None:
        # Shared subscriptions write their results to this operation directly (schema.multicast).
        multicast.OPERATION.set(operation)
        await super().run_operation(operation)

    async def handle_connection_init(self, message) -> None:
        try:
            await super().handle_connection_init(message)
        except TooManyConnections as refused:
            await self.websocket.close(code=CLOSE_CODE, reason=str(refused))
