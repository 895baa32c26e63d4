"""ASGI middleware: a request ID and one access-log line per request, and a body size limit."""

from __future__ import annotations

import json
import logging
import time
import uuid

log = logging.getLogger("autoscribe.access")


class RequestLog:
    """Gives each HTTP request and WebSocket an ID (X-Request-ID) and logs one line when it ends:
    method, path, GraphQL operation, status, outcome and duration."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        request_id = uuid.uuid4().hex[:16]
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
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
            log.info(
                "request_id=%s %s %s op=%s status=%s outcome=%s duration_ms=%.1f",
                request_id,
                scope.get("method", "WS"),
                scope.get("path"),
                state.get("operation", "-"),
                status["code"],
                state.get("outcome", "-"),
                (time.perf_counter() - started) * 1000,
            )


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
            return await self._refuse(send)
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
            await self._refuse(send)

    async def _refuse(self, send):
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
