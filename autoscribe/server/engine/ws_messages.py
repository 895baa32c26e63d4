"""The graphql-transport-ws messages a client may send, checked before Strawberry reads them.

Strawberry's handler indexes `message["type"]` and the subscribe payload without checking their
types: a frame that is a JSON array, a string or a number, or a payload that is not an object,
raised TypeError and dropped the socket with no close code. The protocol's answer to an invalid
message is to close with 4400 and a reason, which is what the socket now gets.
"""

from __future__ import annotations

_OPTIONAL = (type(None),)


def invalid_reason(message: object) -> str | None:
    """Why `message` (a decoded frame) is not a valid client message, or None."""
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a string type."
    kind = message["type"]
    if kind in ("subscribe", "complete") and not isinstance(message.get("id"), str):
        return f"A {kind} message needs a string id."
    if kind != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "A subscribe message needs a payload object with a string query."
    for name, types in (("variables", (dict,)), ("operationName", (str,)), ("extensions", (dict,))):
        if not isinstance(payload.get(name), types + _OPTIONAL):
            return f"The subscribe payload's {name} has the wrong type."
    return None
