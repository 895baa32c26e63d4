"""Relay-style connections over a resolver's Page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from autoscribe.operations.pagination import Page

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    _page: strawberry.Private[Page]

    @strawberry.field(
        description="The cursor of the page's first edge (null when the page is empty), as the Relay "
        "connection spec's startCursor. Paging is forward only: pass endCursor as `after` for the next page."
    )
    def start_cursor(self) -> str | None:
        return self._page.start_cursor  # signed only when asked for

    @strawberry.field(
        description="Whether the list has items before this page: with `after`, true when items at or "
        "before that cursor remain in the list (the earlier pages' items, as the filter sees them now); "
        "without `after`, the page starts the list and this is false. Asking for it costs one more "
        "database query."
    )
    async def has_previous_page(self) -> bool:
        return await self._page.has_previous()


def _cursor(root: Any) -> str:
    """Signed when asked for (resolvers.pagination.Page)."""
    return root._page.cursor(root._index)


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(resolver=_cursor)
    node: T
    _page: strawberry.Private[Page]
    _index: strawberry.Private[int]


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo
    _page: strawberry.Private[Page]

    @strawberry.field
    async def total_count(self) -> int:
        return await self._page.count()

    @classmethod
    def of(cls, page: Page, convert: Callable[[Any], T]) -> Connection[T]:
        nodes = [convert(row) for row in page.rows]
        return cls(
            edges=[Edge(_page=page, _index=i, node=n) for i, n in enumerate(nodes)],
            nodes=nodes,
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor, _page=page),
            _page=page,
        )
