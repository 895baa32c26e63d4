"""JSON from clients (request bodies, the `variables` of a GET, WebSocket frames), decoded within
bounds, so that malformed input is the client's error and never a server fault.

The standard decoder recurses once per nesting level: thousands of levels raise RecursionError,
and hundreds would still reach the recursive walks that follow (input checks, coercion). Bodies
must be UTF-8 (RFC 8259); `json.loads` would otherwise guess UTF-16 or UTF-32 from the first bytes.
"""

from __future__ import annotations

import json

# Deeper than any GraphQL request of this API (its inputs nest a few levels).
MAX_DEPTH = 64


class BadJson(json.JSONDecodeError):
    """The text is not JSON this server takes; `reason` says why, fit for the client."""

    def __init__(self, reason: str, doc: str = "", pos: int = 0):
        super().__init__(reason, doc, pos)
        self.reason = reason


def _depth_exceeds(value: object, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(data: str | bytes) -> object:
    """The decoded value, or BadJson (a JSONDecodeError, as callers of json.loads expect)."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadJson(f"The body is not valid UTF-8 (byte {exc.start}).") from None
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    if _depth_exceeds(value, MAX_DEPTH):
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels.")
    return value
