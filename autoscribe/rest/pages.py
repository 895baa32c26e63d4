"""Cursor pages as the SDK reads them: `{<items>: [...], cursor, hasMore}` with `limit` and `cursor`
in the query, over the same keyset pagination as the GraphQL connections
(autoscribe.operations.pagination): `limit` is `first`, `cursor` is `after`, and the next page's
cursor is the last row's (null on the last page, where the SDK stops)."""

from __future__ import annotations

from typing import Any

from autoscribe.operations.pagination import DEFAULT_PAGE, MAX_PAGE, Page
from autoscribe.rest.query import Param

PAGE_PARAMS = (
    Param("limit", "integer", f"Page size, 1 to {MAX_PAGE} (default {DEFAULT_PAGE}).", minimum=1, maximum=MAX_PAGE),
    Param("cursor", "string", "The `cursor` of the previous page."),
)


def page_args(query: dict[str, Any]) -> dict[str, Any]:
    """The operation's `first` and `after` from the request's `limit` and `cursor`."""
    return {"first": query.get("limit", DEFAULT_PAGE), "after": query.get("cursor")}


def page_end(page: Page) -> dict[str, Any]:
    """The page's `cursor` and `hasMore` (as model fields)."""
    return {"cursor": page.end_cursor if page.has_next else None, "has_more": page.has_next}
