"""Type-prefixed identifiers: a prefix and 32 lowercase hex digits."""

from __future__ import annotations

import re
import uuid

PREFIXES = {
    "clinic": "cln_",
    "api_key": "key_",
    "study": "stu_",
    "report": "rep_",
    "user": "usr_",
    "invitation": "inv_",
    "reroute_grant": "rrg_",
    "webhook_endpoint": "wep_",
    "webhook_delivery": "whd_",
    # A webhook event: derived from the clinic and the event's seq (operations.webhooks.event_id).
    "webhook_event": "whe_",
}

_ID_RE = re.compile(r"([a-z]{3})_([0-9a-f]{32})")


def new_id(kind: str) -> str:
    return PREFIXES[kind] + uuid.uuid4().hex


def kind_of(value: str) -> str | None:
    """The kind of a well-formed ID ('study', 'user', …), or None."""
    if not isinstance(value, str):
        return None
    match = _ID_RE.fullmatch(value)
    if not match:
        return None
    prefix = match.group(1) + "_"
    for kind, p in PREFIXES.items():
        if p == prefix:
            return kind
    return None


def is_id_of(value: str, kind: str) -> bool:
    return kind_of(value) == kind
