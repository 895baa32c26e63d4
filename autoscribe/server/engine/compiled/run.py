"""Running a plan: the root field's operation, one statement per level, the answer as plain data.

The `studies` field reads its page with operations.projected.study_rows (the plan's columns only,
the caller's rights, scope and filters) and the users the page names in the same statement (for a
reroute session, in one statement of their own, operations.projected.user_rows), its total when
asked, and writes each object's answer from its row. A created study (engine.compiled.writes) is
answered the same way from its row (`answer_of`). An
error of the root field's operation (a bad cursor, a filter out of bounds, no valid token) is the
standard executor's: the same located error, and `data` null as the field is non-null. Anything
else out of the ordinary raises Deviation, and the request is answered the standard way.

A subscription's event (`worklist`, `reportStatusChanged`) is answered from the event object
itself (the execution's root value) and the rows its study and report were made of; the users it
names are read through the loaders the event was read with (those the standard resolvers use:
the same scope, and shared by every group that answers that event), all of a level at once.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

from graphql import located_error
from graphql.execution.values import get_argument_values

from autoscribe.db.enums import StudyOrder
from autoscribe.operations import projected
from autoscribe.operations.loaders import NOT_LOADED, Loaders, loaded
from autoscribe.operations.pagination import Page
from autoscribe.server.engine.compiled.leaves import Deviation
from autoscribe.server.engine.compiled.plan import ObjectPlan, Pending
from autoscribe.server.engine.compiled.planner import EventPlan, RootPlan


class _Edge:
    __slots__ = ("_index", "_page", "row")

    def __init__(self, page: Page, index: int, row: Any):
        self._page, self._index, self.row = page, index, row

    @property
    def cursor(self) -> str:
        return self._page.cursor(self._index)


class _PageInfo:
    __slots__ = ("_page",)

    def __init__(self, page: Page):
        self._page = page

    @property
    def has_next_page(self) -> bool:
        return self._page.has_next

    @property
    def end_cursor(self) -> str | None:
        return self._page.end_cursor


class _Connection:
    __slots__ = ("page", "rows", "total")

    def __init__(self, page: Page, total: int | None):
        self.page, self.rows, self.total = page, page.rows, total

    @property
    def edges(self) -> list[_Edge]:
        page = self.page
        return [_Edge(page, i, row) for i, row in enumerate(self.rows)]

    @property
    def page_info(self) -> _PageInfo:
        return _PageInfo(self.page)


async def run(executor, plan: RootPlan) -> dict:
    """The operation's `data`; raises the root field's located error, or Deviation."""
    context = executor.context_value
    details = plan.field_details
    node = details[0].node
    try:
        args = get_argument_values(plan.field_def, node, executor.variable_values, None, executor.hide_suggestions)
        principal = await context.principal()
        page, users = await projected.study_rows(
            context.svc, principal, names=plan.columns, filter=args.get("filter"),
            order=args.get("orderBy") or StudyOrder.CREATED_AT_DESC, first=args.get("first"), after=args.get("after"),
            users=plan.user_joins, user_names=plan.user_columns,
        )
    except Exception as exc:  # noqa: BLE001 - as graphql-core locates a resolver's error
        raise located_error(exc, [d.node for d in details], [plan.key]) from None
    try:
        total = await page.count() if plan.counts else None
    except Exception as exc:
        raise Deviation from exc
    read = partial(_projected, context.svc, principal)
    # The studies' users came with the page (unless the caller's scope has them read apart).
    known = {"user": users} if users is not None else None
    return {plan.key: await _answer(plan.connection, _Connection(page, total), read, known)}


async def answer_of(plan: ObjectPlan, source: Any, svc, principal) -> dict:
    """`source`'s answer by `plan` (a created study's row, say), the objects it joins read as a
    page's are; Deviation for anything out of the ordinary."""
    return await _answer(plan, source, partial(_projected, svc, principal))


async def run_event(executor, plan: EventPlan) -> dict:
    """One subscription event's `data`; raises Deviation for anything the plan does not answer."""
    read = partial(_loaded, executor.context_value.loaders)
    return {plan.key: await _answer(plan.event, executor.root_value, read)}


async def _answer(plan: ObjectPlan, source: Any, read, known: dict[str, dict] | None = None) -> dict:
    """`source`'s answer by `plan`, with the objects it joins read level by level (the first
    level's from `known` when it has them, by kind and ID); Deviation for anything out of the ordinary."""
    try:
        pending: Pending = {}
        answer = plan.answer(source, pending)
        while pending:
            pending = await _fill(read, pending, known)
            known = None
    except Deviation:
        raise
    except Exception as exc:
        raise Deviation from exc
    return answer


_READERS = {"user": projected.user_rows}


async def _projected(svc, principal, loader: str, ids: list, columns: set[str]) -> dict:
    return await _READERS[loader](svc, principal, ids, columns)


async def _loaded(loaders: Loaders, loader: str, ids: list, columns: set[str]) -> dict:
    """The objects of `ids` from the loaders (whole rows: `columns` are among theirs), by ID."""
    batcher = getattr(loaders, loader)
    found: dict = {}
    waiting = []
    for ident in dict.fromkeys(ids):
        row = loaded(batcher, ident)
        if row is NOT_LOADED:
            waiting.append(ident)
        elif row is not None:
            found[ident] = row
    if waiting:
        for ident, row in zip(waiting, await asyncio.gather(*(batcher.load(i) for i in waiting)), strict=True):
            if row is not None:
                found[ident] = row
    return found


async def _fill(read, pending: Pending, known: dict[str, dict] | None) -> Pending:
    """Read every placeholder's object, one statement per kind of object (all the level's users at
    once, whichever fields name them), unless `known` has them already; what those objects leave pending."""
    later: Pending = {}
    by_loader: dict[str, list] = {}
    for join, places in pending.items():
        by_loader.setdefault(join.loader, []).append((join, places))
    for loader, joins in by_loader.items():
        ids = [place[2] for _join, places in joins for place in places]
        columns = set().union(*(join.plan.columns for join, _places in joins))
        rows = known[loader] if known and loader in known else await read(loader, ids, columns)
        for join, places in joins:
            answer = join.plan.compiled()
            for out, key, ident, non_null in places:
                row = rows.get(ident)
                if row is None:
                    if non_null:
                        raise Deviation
                    continue
                out[key] = answer(row, later)
    return later
