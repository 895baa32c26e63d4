"""Completing values as graphql-core does, decided once per field: scalars, enums, lists of them.

Each field's finisher takes the value its source holds and returns what the answer shows. The
common cases take a short way (a str for a String or ID, a bool for a Boolean, an enum member seen
before); every other value is coerced by graphql-core's own `complete_leaf_value`. Whatever the
standard executor would report as an error (null for a non-null field, a value that does not
coerce) raises Deviation instead: the plan does not reproduce error paths inside a page, the whole
request then goes the standard way and gets exactly its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLID,
    GraphQLInt,
    GraphQLString,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.executor import Executor

Finish = Callable[[Any], Any]
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class Deviation(Exception):  # noqa: N818 - not an error of the request: a signal to go the standard way
    """A value the plan does not answer by itself: the standard executor answers the request."""


def _coerce(leaf) -> tuple[Finish, type | None, dict | None]:
    """The coercion of a non-null value of this leaf type; the type its values mostly have when
    they are answered as they are (str for String and ID, bool for Boolean); an enum's memo."""
    complete = Executor.complete_leaf_value
    exact = str if leaf is GraphQLString or leaf is GraphQLID else bool if leaf is GraphQLBoolean else None

    if isinstance(leaf, GraphQLEnumType):
        # By the identity of a Python enum member (members live as long as their class, so no
        # other object has their id meanwhile): a member's hash is a Python call, id() is not.
        seen: dict[int, Any] = {}

        def enum(value):
            if isinstance(value, Enum) and (out := seen.get(id(value))) is not None:
                return out
            try:
                out = complete(leaf, value)
            except Exception as exc:
                raise Deviation from exc
            if isinstance(value, Enum) and len(seen) < 256:
                seen[id(value)] = out
            return out

        return enum, None, seen

    def scalar(value):
        if type(value) is exact or (exact is None and type(value) is int and leaf is GraphQLInt
                                    and _INT_MIN <= value <= _INT_MAX):
            return value
        try:
            return complete(leaf, value)
        except Exception as exc:
            raise Deviation from exc

    return scalar, exact, None


def finisher(output_type) -> Finish | None:
    """The finisher of a field of this type (a leaf, or lists of leaves), or None for any other."""
    non_null = is_non_null_type(output_type)
    inner = output_type.of_type if non_null else output_type
    if is_list_type(inner):
        item = finisher(inner.of_type)
        if item is None:
            return None

        def listed(value):
            if value is None or value is Undefined:
                if non_null:
                    raise Deviation
                return None
            if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
                raise Deviation
            return [item(v) for v in value]

        return listed
    if not is_leaf_type(inner):
        return None
    coerce, exact, memo = _coerce(inner)

    def leaf(value):
        if value is None or value is Undefined:
            if non_null:
                raise Deviation
            return None
        return coerce(value)

    # For the compiled selections (engine.compiled.plan): values of `exact` type are answered as
    # they are, enum members whose id is in `memo` as it says, values of `isoformat` type by their isoformat() (what
    # Strawberry's Date and DateTime scalars answer); the finisher is called for any other.
    leaf.exact, leaf.memo, leaf.isoformat = exact, memo, _isoformat_type(inner)
    return leaf


def _isoformat_type(leaf) -> type | None:
    """datetime for DateTime, date for Date, when the scalar serialises by isoformat()."""
    from strawberry.schema.types.base_scalars import isoformat

    if getattr(leaf, "coerce_output_value", None) is not isoformat:
        return None
    return {"DateTime": datetime, "Date": date}.get(leaf.name)
