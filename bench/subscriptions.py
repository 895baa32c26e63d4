"""Whether the server has the worklist subscription that figures 2 and 3 need."""

from __future__ import annotations

import importlib.util


def subscriptions_missing() -> str | None:
    """None when autoscribe/schema/subscription.py exists and the schema has Subscription.worklist, else why not."""
    if importlib.util.find_spec("autoscribe.schema.subscription") is None:
        return "subscriptions not built yet (no autoscribe/schema/subscription.py)"
    try:
        from autoscribe.server.engine.schema import build_schema

        schema = build_schema()
        subscription = schema._schema.subscription_type
    except Exception as exc:  # noqa: BLE001 - reported as the reason
        return f"the schema does not build: {type(exc).__name__}: {exc}"
    if subscription is None or "worklist" not in subscription.fields:
        return "the schema has no Subscription.worklist yet"
    return None
