"""Relay-style connections over a resolver's Page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from autoscribe.operations.pagination import Page
from autoscribe.schema.descriptions import EDGE_CURSOR

T = TypeVar("T")


@strawberry.type(description="Where a page stands in its list (Relay's PageInfo).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page: ask again with after: endCursor.")
    end_cursor: str | None = strawberry.field(description="The cursor of the page's last item; null when the page is empty.")
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


@strawberry.type(description="One item of a page, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(resolver=_cursor, description=EDGE_CURSOR)
    node: T = strawberry.field(description="The item.")
    _page: strawberry.Private[Page]
    _index: strawberry.Private[int]


@strawberry.type(description="One page of a list, keyset-paginated: paging on while items are added never repeats "
                  "or skips an item that was there throughout.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items with their cursors, in the list's order.")
    nodes: list[T] = strawberry.field(description="The page's items, in the list's order (edges without the cursors).")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and the cursor to ask for them.")
    _page: strawberry.Private[Page]

    @strawberry.field(description="How many items the whole list has with this filter, over every page (counted "
                      "when asked for).")
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
