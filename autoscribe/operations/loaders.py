"""Batch loads for nested fields, always kept to what the caller may see (autoscribe.operations.scope)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import select

from autoscribe.db.engine import Database
from autoscribe.db.models import ApiKey, Invitation, Report, Study, User
from autoscribe.operations.batching import NOT_LOADED, Batcher
from autoscribe.operations.scope import Scoped, visible


def loaded(loader: Batcher, key) -> object:
    """What `loader` already holds for `key` (None for a row that is not there), or NOT_LOADED."""
    return loader.peek(key)


__all__ = ["NOT_LOADED", "Loaders", "loaded"]


class Loaders:
    """One set per request (per event on a subscription): a cache that never outlives it."""

    def __init__(self, db: Database, scope: Callable[[], Awaitable[Scoped]]):
        self._db = db
        self._scope = scope
        self._users = self._by_id(User)
        self.user = Batcher(self._users)
        self.invitation = Batcher(self._by_id(Invitation))
        self.study = Batcher(self._by_id(Study))
        self.report = Batcher(self._by_id(Report))
        self.reports_of_study = Batcher(self._reports_of_study)
        self.invitations_of_user = Batcher(self._invitations_of_user)
        # The clinic's API keys, as the creators of studies the caller sees (who made a study).
        self.api_key = Batcher(self._api_keys)

    async def preload_users(self, ids: Iterable[str | None]) -> None:
        """The users of `ids`, read now in one statement (the batch their fields would have made),
        so that each of those fields answers from `user` at once (see `loaded`)."""
        wanted = [i for i in dict.fromkeys(ids) if i is not None and not self.user.asked(i)]
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

    async def _api_keys(self, ids: list[str]) -> list[ApiKey | None]:
        scope = await self._scope()
        async with self._db.read() as session:
            rows = await session.scalars(select(ApiKey).where(ApiKey.id.in_(ids), ApiKey.clinic_id == scope.clinic_id))
            found = {r.id: r for r in rows}
        return [found.get(i) for i in ids]

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
