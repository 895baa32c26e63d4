"""Batch loads for nested fields, always scoped to the caller's clinic."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from db.engine import Database
from db.models import Invitation, Report, Study, User


class Loaders:
    """One set per request (per event on a subscription): a cache that never outlives it."""

    def __init__(self, db: Database, clinic_id: Callable[[], Awaitable[str]]):
        self._db = db
        self._clinic_id = clinic_id
        self.user = DataLoader(self._by_id(User))
        self.invitation = DataLoader(self._by_id(Invitation))
        self.study = DataLoader(self._by_id(Study))
        self.report = DataLoader(self._by_id(Report))
        self.reports_of_study = DataLoader(self._reports_of_study)
        self.invitations_of_user = DataLoader(self._invitations_of_user)

    def _by_id(self, model):
        async def load(ids: list[str]) -> list:
            clinic_id = await self._clinic_id()
            async with self._db.read() as session:
                rows = await session.scalars(
                    select(model).where(model.id.in_(ids), model.clinic_id == clinic_id)
                )
                found = {r.id: r for r in rows}
            return [found.get(i) for i in ids]

        return load

    async def _reports_of_study(self, study_ids: list[str]) -> list[list[Report]]:
        """Each study's reports: the primary first, then addenda oldest first."""
        clinic_id = await self._clinic_id()
        async with self._db.read() as session:
            rows = await session.scalars(
                select(Report)
                .where(Report.study_id.in_(study_ids), Report.clinic_id == clinic_id)
                .order_by(Report.is_addendum, Report.created_at, Report.id)
            )
            grouped: dict[str, list[Report]] = defaultdict(list)
            for r in rows:
                grouped[r.study_id].append(r)
        return [grouped.get(i, []) for i in study_ids]

    async def _invitations_of_user(self, user_ids: list[str]) -> list[list[Invitation]]:
        clinic_id = await self._clinic_id()
        async with self._db.read() as session:
            rows = await session.scalars(
                select(Invitation)
                .where(Invitation.user_id.in_(user_ids), Invitation.clinic_id == clinic_id)
                .order_by(Invitation.created_at, Invitation.id)
            )
            grouped: dict[str, list[Invitation]] = defaultdict(list)
            for r in rows:
                grouped[r.user_id].append(r)
        return [grouped.get(i, []) for i in user_ids]
