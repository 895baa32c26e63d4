"""Text in a request may not contain NUL (U+0000): PostgreSQL can store it neither in text nor in
jsonb, so it would fail deep in a query (an internal error) where SQLite stores it. Nor a lone
surrogate (U+D800 to U+DFFF, which JSON can write as "\ud800"): it has no UTF-8 encoding, so no
database, log or cache key can take it. Refused up front, the same on every database:
BAD_USER_INPUT naming the argument or variable at fault. (GraphQL's own lexer already refuses
surrogates written into the document.)"""

from __future__ import annotations

import re
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
SURROGATE_MESSAGE = "Text must not contain a lone surrogate (U+D800 to U+DFFF): it is not valid Unicode."
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text_fault(text: str) -> str | None:
    """Why `text` cannot be taken, or None."""
    if NUL in text:
        return MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


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


def _in_value(value: Any, path: str) -> tuple[str, str] | None:
    """The path of the first bad text in `value` (keys included) and why it is bad."""
    if isinstance(value, str):
        return (path, fault) if (fault := _text_fault(value)) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if fault := _text_fault(str(key)):
                return path, fault
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


def bad_text_in_variables(variables: Any) -> GraphQLError | None:
    """Variables sent beside the document: the error for the first one holding NUL or a lone
    surrogate (in a value or a name), if any."""
    if not isinstance(variables, dict):
        return None
    found = _in_value(variables, "")
    if found is None:
        return None
    path, message = found
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": path.removeprefix(".") or "variables"})
