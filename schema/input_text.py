"""Text in a request may not contain NUL (U+0000): PostgreSQL can store it neither in text nor in
jsonb, so it would fail deep in a query (an internal error) where SQLite stores it. Refused up
front, the same on every database: BAD_USER_INPUT naming the argument or variable at fault."""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValidationRule,
    ValueNode,
)

NUL = "\x00"
MESSAGE = "Text must not contain the NUL character (U+0000)."


def _in_literal(value: ValueNode, path: str) -> str | None:
    """The path of the first string in `value` that holds a NUL."""
    if isinstance(value, StringValueNode):
        return path if NUL in value.value else None
    if isinstance(value, ListValueNode):
        for i, item in enumerate(value.values):
            if found := _in_literal(item, f"{path}.{i}"):
                return found
    if isinstance(value, ObjectValueNode):
        for field in value.fields:
            if found := _in_literal(field.value, f"{path}.{field.name.value}"):
                return found
    return None


def _in_value(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                return path
            if found := _in_value(item, f"{path}.{key}"):
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            if found := _in_value(item, f"{path}.{i}"):
                return found
    return None


class NoNulInLiterals(ValidationRule):
    """Arguments written into the document."""

    def enter_argument(self, node: ArgumentNode, *_args) -> None:
        if path := _in_literal(node.value, node.name.value):
            self.report_error(GraphQLError(MESSAGE, node, extensions={"code": "BAD_USER_INPUT", "field": path}))


def nul_in_variables(variables: Any) -> GraphQLError | None:
    """Variables sent beside the document: the error for the first one holding a NUL, if any."""
    if not isinstance(variables, dict):
        return None
    for name, value in variables.items():
        if path := _in_value(value, name):
            return GraphQLError(MESSAGE, extensions={"code": "BAD_USER_INPUT", "field": path})
    return None
