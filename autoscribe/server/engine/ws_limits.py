"""Open WebSocket connections per principal (an API key, or a user) in this process, and sockets
still waiting for their connection_init per client address.

A connection takes a slot when its connection_init is accepted and gives it back when the socket
ends, however it ends (the client closes, an error, the server shutting down): GraphQLApp releases
it in a `finally` around the whole WebSocket. Before connection_init a socket has no principal to
count against: it counts against its client address, until its connection_init arrives (or the
init timeout closes it, 4408).
"""

from __future__ import annotations

import time

from graphql import GraphQLError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from autoscribe.core.principal import Principal
from autoscribe.server.engine.ws_messages import invalid_reason
from autoscribe.server.engine import multicast
from autoscribe.server.engine.ws_refusals import BAD_INIT_PAYLOAD, BAD_REQUEST, TOO_MANY, Refused
from autoscribe.server.engine.errors import OPERATION_OUTCOME, OperationOutcome

CLOSE_CODE = TOO_MANY
REASON = "Too many connections for this key"
PENDING_REASON = "Too many connections waiting for connection_init from this address"
# Where a WebSocket's ASGI scope keeps the key of the slot it holds.
SCOPE_KEY = "autoscribe.ws_slot"
PENDING_SCOPE_KEY = "autoscribe.ws_pending"


class TooManyConnections(Refused):
    """Raised by on_ws_connect: the connection is closed with CLOSE_CODE and REASON."""

    def __init__(self, reason: str = REASON):
        super().__init__(CLOSE_CODE, reason)


def principal_key(principal: Principal) -> str:
    if principal.api_key_id is not None:
        return f"key:{principal.api_key_id}"
    return f"user:{principal.user_id}"


class _Counts:
    """Sockets per key, each counted at most once: its ASGI scope keeps the key it counts under."""

    def __init__(self, limit: int, scope_key: str):
        self.limit = limit
        self.scope_key = scope_key
        self.open: dict[str, int] = {}

    def take(self, scope: dict, key: str) -> bool:
        """Count the socket of `scope` under `key`; False when `key` is at the limit."""
        if self.scope_key in scope:
            return True
        if self.open.get(key, 0) >= self.limit:
            return False
        self.open[key] = self.open.get(key, 0) + 1
        scope[self.scope_key] = key
        return True

    def give_back(self, scope: dict) -> None:
        key = scope.pop(self.scope_key, None)
        if key is None:
            return
        left = self.open.get(key, 0) - 1
        if left > 0:
            self.open[key] = left
        else:
            self.open.pop(key, None)


class ConnectionSlots(_Counts):
    def __init__(self, limit: int):
        super().__init__(limit, SCOPE_KEY)

    def acquire(self, scope: dict, principal: Principal) -> None:
        """Take a slot for the connection of `scope` (once per connection), or TooManyConnections."""
        if not self.take(scope, principal_key(principal)):
            raise TooManyConnections(REASON)

    def release(self, scope: dict) -> None:
        self.give_back(scope)

    def count(self, principal: Principal) -> int:
        return self.open.get(principal_key(principal), 0)


class PendingSockets(_Counts):
    """Sockets accepted whose connection_init has not arrived, per client address."""

    def __init__(self, limit: int):
        super().__init__(limit, PENDING_SCOPE_KEY)

    def enter(self, scope: dict) -> bool:
        """Count the socket of `scope` against its address; False when the address is at its limit."""
        return self.take(scope, (scope.get("client") or ("unknown",))[0])

    def leave(self, scope: dict) -> None:
        self.give_back(scope)


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws, refusing a connection over its principal's limit with 4429, one more
    socket waiting for connection_init from its address with 4429, an invalid message with 4400
    (engine.ws_messages), a connection_init refused by on_ws_connect with the code and reason it
    gives (engine.ws_refusals), and a subscription over the connection's limit with an error that
    has a code (Strawberry's has none)."""

    async def handle(self) -> None:
        scope = self.context.request.scope
        if not self.view.pending.enter(scope):
            await self.websocket.close(code=CLOSE_CODE, reason=PENDING_REASON)
            return
        try:
            await super().handle()
        finally:
            self.view.pending.leave(scope)

    async def handle_message(self, message) -> None:
        if (reason := invalid_reason(message)) is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)

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
            payload = message.get("payload") or {}
            self._count(*multicast.operation_of(payload.get("query"), payload.get("operationName")),
                        "RATE_LIMITED", None)
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation) -> None:
        # Shared subscriptions write their results to this operation directly (engine.multicast).
        multicast.OPERATION.set(operation)
        # The codes of the errors this operation is shown (engine.errors.present), for /metrics.
        outcome = OperationOutcome(self.context)
        OPERATION_OUTCOME.set(outcome)
        kind, name = multicast.operation_of(operation.query, operation.operation_name)
        subscription = kind == "subscription"
        started = time.perf_counter()
        self.view.subscriptions_active += subscription
        try:
            await super().run_operation(operation)
        finally:
            self.view.subscriptions_active -= subscription
            self._count(kind, name, ",".join(outcome.codes) or "OK",
                        None if subscription else time.perf_counter() - started)

    def _count(self, kind: str, name: str | None, outcome: str, seconds: float | None) -> None:
        metrics = self.view.metrics
        if metrics is not None:
            metrics.observe(kind, name, outcome, seconds)

    async def send_message(self, message) -> None:
        if message.get("type") == "next":
            self.view.sent_next += 1
        await super().send_message(message)

    async def handle_connection_init(self, message) -> None:
        self.view.pending.leave(self.context.request.scope)
        payload = message.get("payload")
        if payload is None:  # the protocol's payload is optional (or null): no token, then
            message = {**message, "payload": {}}
        elif not isinstance(payload, dict):
            await self.websocket.close(code=BAD_REQUEST, reason=BAD_INIT_PAYLOAD)
            return
        try:
            await super().handle_connection_init(message)
        except Refused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)
