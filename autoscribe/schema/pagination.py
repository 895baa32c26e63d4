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
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
            _page=page,
        )
