"""User: a person of a clinic, their rights and worklist."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db import models
from schema.enums import ClinicRole, InvitedSource, StudyOrder, UserLevel, UserStatus
from schema.node import Node

if TYPE_CHECKING:
    from schema.invitation import Invitation
    from schema.study import StudyConnection, StudyFilter


@strawberry.type
class User(Node):
    id: strawberry.ID
    email: str
    first_name: str
    last_name: str
    middle_name: str | None
    suffix1: str | None
    suffix2: str | None
    phone_number: str | None
    npi_number: str | None
    clinic_role: ClinicRole
    level: UserLevel
    status: UserStatus
    can_create_reports: bool
    can_manage_studies: bool
    has_dashboard_access: bool
    invited_source: InvitedSource
    created_at: datetime
    last_login_at: datetime | None
    row: strawberry.Private[models.User]

    @strawberry.field
    async def invitations(
        self, info: strawberry.Info
    ) -> list[Annotated[Invitation, strawberry.lazy("schema.invitation")]]:
        from schema.invitation import Invitation

        return [Invitation.of(r) for r in await info.context.loaders.invitations_of_user.load(self.id)]

    @strawberry.field(description="The studies assigned to this user: a radiologist's worklist.")
    async def assigned_studies(
        self,
        info: strawberry.Info,
        filter: Annotated[StudyFilter, strawberry.lazy("schema.study")] | None = None,
        order_by: StudyOrder | None = StudyOrder.PRIORITY,
        first: int | None = 25,
        after: str | None = None,
    ) -> Annotated[StudyConnection, strawberry.lazy("schema.study")]:
        from schema.study import assigned_studies

        return await assigned_studies(info, filter, order_by, first, after, user_id=self.id)

    @classmethod
    def of(cls, row: models.User) -> User:
        return cls(
            id=row.id,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            middle_name=row.middle_name,
            suffix1=row.suffix1,
            suffix2=row.suffix2,
            phone_number=row.phone_number,
            npi_number=row.npi_number,
            clinic_role=row.clinic_role,
            level=row.level,
            status=row.status,
            can_create_reports=row.can_create_reports,
            can_manage_studies=row.can_manage_studies,
            has_dashboard_access=row.has_dashboard_access,
            invited_source=row.invited_source,
            created_at=row.created_at,
            last_login_at=row.last_login_at,
            row=row,
        )
