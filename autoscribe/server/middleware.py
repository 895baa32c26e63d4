"""ASGI middleware: a request ID, one access-log line and the request metrics per request, and a
body size limit."""

from __future__ import annotations

import json
import logging
import time
import uuid

from autoscribe.server.logs import REQUEST_ID
from autoscribe.server.metrics import Metrics, outcome_label

log = logging.getLogger("autoscribe.access")


class RequestLog:
    """Gives each HTTP request and WebSocket an ID (X-Request-ID, and the request_id of every log
    record written while serving it) and logs one line when it ends: method, path, GraphQL
    operation, status, outcome and duration. A GraphQL or REST request is counted in `metrics`
    (a WebSocket's operations are counted one by one, by engine.ws_limits)."""

    def __init__(self, app, metrics: Metrics | None = None):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = {"code": None}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "websocket.close" and status["code"] is None:
                status["code"] = message.get("code", 1000)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status["code"] = 500
            raise
        finally:
            seconds = time.perf_counter() - started
            kind = state.get("kind")
            if kind is not None and self.metrics is not None:
                self.metrics.observe(kind, state.get("operation"), outcome_label(state.get("outcome"), status["code"]),
                                     seconds)
            fields = {
                "method": scope.get("method", "WS"),
                "path": scope.get("path"),
                "operation": state.get("operation", "-"),
                "status": status["code"],
                "outcome": state.get("outcome", "-"),
                "duration_ms": round(seconds * 1000, 1),
            }
            log.info("request_id=%s %s %s op=%s status=%s outcome=%s duration_ms=%.1f", request_id,
                     *fields.values(), extra=fields)
            REQUEST_ID.reset(token)


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413 and a GraphQL-shaped error."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(scope, send)
        seen = 0

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted_receive, send)
        except _TooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope, send):
        scope.setdefault("state", {})["outcome"] = "error:BAD_USER_INPUT"
        body = json.dumps(
            {"errors": [{"message": f"Request body over {self.max_bytes} bytes.", "extensions": {"code": "BAD_USER_INPUT"}}]}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass
