"""Inputs to plain dicts of the fields the client gave, keyed by their GraphQL names."""

from __future__ import annotations

from typing import Any

from strawberry.types.base import has_object_definition
from strawberry.types.unset import UNSET


def given(value: Any) -> Any:
    """An input object as {graphqlName: value} for the given fields only (explicit nulls kept)."""
    if isinstance(value, list):
        return [given(v) for v in value]
    if value is not None and has_object_definition(value):
        out = {}
        for f in value.__strawberry_definition__.fields:
            item = getattr(value, f.python_name)
            if item is UNSET:
                continue
            out[f.graphql_name or _camel(f.python_name)] = given(item)
        return out
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


