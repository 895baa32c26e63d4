"""Batch loads for nested fields, always kept to what the caller may see (resolvers.scope)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from db.engine import Database
from db.models import Invitation, Report, Study, User
from resolvers.scope import Scoped, visible


NOT_LOADED = object()


def loaded(loader: DataLoader, key) -> object:
    """What `loader` already holds for `key` (None for a row that is not there), or NOT_LOADED:
    a field that finds its row here answers at once, without waiting for a batch."""
    future = loader.cache_map.get(key)
    if future is None or not future.done() or future.cancelled() or future.exception() is not None:
        return NOT_LOADED
    return future.result()


class Loaders:
    """One set per request (per event on a subscription): a cache that never outlives it."""

    def __init__(self, db: Database, scope: Callable[[], Awaitable[Scoped]]):
        self._db = db
        self._scope = scope
        self._users = self._by_id(User)
        self.user = DataLoader(self._users)
        self.invitation = DataLoader(self._by_id(Invitation))
        self.study = DataLoader(self._by_id(Study))
        self.report = DataLoader(self._by_id(Report))
        self.reports_of_study = DataLoader(self._reports_of_study)
        self.invitations_of_user = DataLoader(self._invitations_of_user)

    async def preload_users(self, ids: Iterable[str | None]) -> None:
        """The users of `ids`, read now in one statement (the batch their fields would have made),
        so that each of those fields answers from `user` at once (see `loaded`)."""
        wanted = [i for i in dict.fromkeys(ids) if i is not None and self.user.cache_map.get(i) is None]
        if wanted:
            self.user.prime_many(dict(zip(wanted, await self._users(wanted))))

    def _by_id(self, model):
        async def load(ids: list[str]) -> list:
            scope = await self._scope()
            async with self._db.read() as session:
                rows = await session.scalars(select(model).where(model.id.in_(ids), *visible(model, scope)))
                found = {r.id: r for r in rows}
            return [found.get(i) for i in ids]

        return load

    async def _reports_of_study(self, study_ids: list[str]) -> list[list[Report]]:
        """Each study's reports: the primary first, then addenda oldest first."""
        scope = await self._scope()
        async with self._db.read() as session:
            rows = await session.scalars(
                select(Report)
                .where(Report.study_id.in_(study_ids), *visible(Report, scope))
                .order_by(Report.is_addendum, Report.created_at, Report.id)
            )
            grouped: dict[str, list[Report]] = defaultdict(list)
            for r in rows:
                grouped[r.study_id].append(r)
        return [grouped.get(i, []) for i in study_ids]

    async def _invitations_of_user(self, user_ids: list[str]) -> list[list[Invitation]]:
        scope = await self._scope()
        async with self._db.read() as session:
            rows = await session.scalars(
                select(Invitation)
                .where(Invitation.user_id.in_(user_ids), *visible(Invitation, scope))
                .order_by(Invitation.created_at, Invitation.id)
            )
            grouped: dict[str, list[Invitation]] = defaultdict(list)
            for r in rows:
                grouped[r.user_id].append(r)
        return [grouped.get(i, []) for i in user_ids]
