"""Invitation: how a person is brought into a clinic."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated

import strawberry

from db import enums, models
from schema.enums import ClinicRole, InvitationStatus, InvitedSource, UserLevel
from schema.node import Node

if TYPE_CHECKING:
    from schema.user import User


@strawberry.type
class Invitation(Node):
    id: strawberry.ID
    clinic_id: strawberry.ID
    user_id: strawberry.ID
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
    can_create_reports: bool
    can_manage_studies: bool
    has_dashboard_access: bool
    status: InvitationStatus
    invited_source: InvitedSource
    inviter_id: strawberry.ID | None = strawberry.field(description="The user who sent it; null when sent with an API key.")
    invited_by_api_key_id: strawberry.ID | None
    expiry: datetime | None
    created_at: datetime
    updated_at: datetime
    row: strawberry.Private[models.Invitation]

    @strawberry.field
    def is_expired(self) -> bool:
        return (
            self.row.status == enums.InvitationStatus.SENT
            and self.row.expiry is not None
            and self.row.expiry <= datetime.now(timezone.utc)
        )

    @strawberry.field
    async def user(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("schema.user")]:
        from schema.user import User

        return User.of(await info.context.loaders.user.load(self.user_id))

    @classmethod
    def of(cls, row: models.Invitation) -> Invitation:
        return cls(
            id=row.id,
            clinic_id=row.clinic_id,
            user_id=row.user_id,
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
            can_create_reports=row.can_create_reports,
            can_manage_studies=row.can_manage_studies,
            has_dashboard_access=row.has_dashboard_access,
            status=row.status,
            invited_source=row.invited_source,
            inviter_id=row.inviter_id,
            invited_by_api_key_id=row.invited_by_api_key_id,
            expiry=row.expiry,
            created_at=row.created_at,
            updated_at=row.updated_at,
            row=row,
        )
