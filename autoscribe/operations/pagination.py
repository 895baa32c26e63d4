"""Keyset pagination: orders as key columns, opaque signed cursors, pages with a lazy total."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from autoscribe.core.errors import BadInput
from autoscribe.core.signing import Signer
from autoscribe.db.engine import Database
from autoscribe.db.types import UTCDateTime

T = TypeVar("T")
MAX_PAGE = 100
# A connection's page when `first` is not given (also what the query cost counts for it).
DEFAULT_PAGE = 25


@dataclass(frozen=True)
class Order:
    """A total order over rows: key columns with their direction, the last one unique."""

    name: str
    keys: tuple[tuple[InstrumentedAttribute, bool], ...]  # (column, descending)

    def order_by(self) -> list:
        return [col.desc() if desc else col.asc() for col, desc in self.keys]

    def key_of(self, row: Any) -> list:
        return [_to_json(getattr(row, col.key)) for col, _ in self.keys]

    def after(self, values: list) -> Any:
        """Rows strictly after the row whose key is `values` in this order."""
        clauses = []
        for i, (col, desc) in enumerate(self.keys):
            value = _from_json(values[i], col)
            step = col < value if desc else col > value
            equal = [c == _from_json(values[j], c) for j, (c, _) in enumerate(self.keys[:i])]
            clauses.append(and_(*equal, step))
        return or_(*clauses)


def _to_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(value: Any, col: InstrumentedAttribute) -> Any:
    if isinstance(col.type, UTCDateTime):
        if not isinstance(value, str):
            raise ValueError("not a timestamp")
        return datetime.fromisoformat(value)
    return value


async def _none_before() -> bool:
    return False


@dataclass
class Page(Generic[T]):
    rows: list[T]
    has_next: bool
    count: Callable[[], Awaitable[int]]
    # A row's signed cursor. Signing costs ~15 µs a row: made only for the rows whose cursor is
    # asked for (most worklists ask for the page's end cursor alone).
    sign: Callable[[T], str]
    # Whether the list has rows at or before the `after` cursor (False without one): a query of
    # its own, made only when asked for.
    has_previous: Callable[[], Awaitable[bool]] = _none_before

    def cursor(self, index: int) -> str:
        return self.sign(self.rows[index])

    @property
    def start_cursor(self) -> str | None:
        return self.cursor(0) if self.rows else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(-1) if self.rows else None


def check_first(first: int) -> int:
    if first is None or not 1 <= first <= MAX_PAGE:
        raise BadInput(f"first must be between 1 and {MAX_PAGE}.", field="first")
    return first


async def paginate(
    db: Database,
    signer: Signer,
    *,
    scope: str,
    query: Select,
    order: Order,
    first: int,
    after: str | None,
    columns: bool = False,
) -> Page:
    """One page of `query` (already filtered and scoped to a clinic) in `order`.

    `scope` names the list and the clinic; a cursor made for another scope or order, or one
    that was tampered with, is refused as BAD_USER_INPUT on `after`. A query of ORM objects is
    read in a session; one of `columns` (each labelled by its model attribute, the order's keys
    among them) as one statement on its own, and its rows are rows, not ORM objects.
    """
    paged, later = _page_of(signer, scope, query, order, first, after)
    if columns:
        rows = list((await db.fetch(paged)).all())
    else:
        async with db.read() as session:
            rows = list((await session.scalars(paged)).all())
    return _page(db, signer, scope, query, order, first, rows, later)


def _page_of(signer: Signer, scope: str, query: Select, order: Order, first: int, after: str | None):
    """The statement of one page: after the cursor's row, in order, one row more than the page;
    and the condition "after the cursor" (None without one)."""
    check_first(first)
    later = None
    if after is not None:
        payload = signer.verify("cursor", after)
        if (
            not isinstance(payload, list)
            or len(payload) != 3
            or payload[0] != scope
            or payload[1] != order.name
            or not isinstance(payload[2], list)
            or len(payload[2]) != len(order.keys)
        ):
            raise BadInput("Not a valid cursor for this list.", field="after")
        try:
            later = order.after(payload[2])
        except (TypeError, ValueError):
            raise BadInput("Not a valid cursor for this list.", field="after") from None
    return first_page(query if later is None else query.where(later), order, first), later


def first_page(query: Select, order: Order, first: int) -> Select:
    """The statement of the first page of `query` (`first` already checked): in order, one row more."""
    return query.order_by(*order.order_by()).limit(first + 1)


def page_of_rows(db: Database, signer: Signer, *, scope: str, query: Callable[[], Select], order: Order, first: int,
                 rows: list) -> Page:
    """The first page (no `after` cursor) of `query` in `order`, of `rows`, read by the caller
    with its statement of `paginate`'s: one row more than the page, in order. `query` makes the
    query, for the total if it is asked for."""
    return _page(db, signer, scope, query, order, first, rows, None)


def _page(db: Database, signer: Signer, scope: str, query: Select | Callable[[], Select], order: Order, first: int,
          rows: list, later) -> Page:
    has_next = len(rows) > first
    rows = rows[:first]

    def sign(row) -> str:
        return signer.sign("cursor", [scope, order.name, order.key_of(row)])

    async def count() -> int:
        counted = query() if callable(query) else query
        return (await db.fetch(select(func.count()).select_from(counted.order_by(None).subquery()))).scalar_one()

    has_previous = _none_before
    if later is not None:
        async def has_previous() -> bool:
            earlier = query.where(not_(later)).order_by(None)
            return bool((await db.fetch(select(exists(earlier)))).scalar())

    return Page(rows=rows, has_next=has_next, count=count, sign=sign, has_previous=has_previous)
