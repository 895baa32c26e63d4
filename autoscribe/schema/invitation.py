"""Invitation: how a person is brought into a clinic; the invitation queries and mutations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.types.unset import UNSET

from autoscribe.db import models
from autoscribe.db.types import utcnow
from autoscribe.operations import invitation_links, invitations
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.enums import (
    AssignableUserLevel,
    ClinicRole,
    InvitationExpiredFilter,
    InvitationStatus,
    InvitedSource,
    UserLevel,
)
from autoscribe.schema.inputs import given
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection
from autoscribe.schema.user import UpdateUserInput, User


@from_row(models.Invitation)
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
        return invitations.is_expired(self.row, utcnow())

    @strawberry.field(
        description="Signed link for the invited person to accept or reject; null unless SENT and unexpired. "
        "Readable by admins and API keys only (null for others)."
    )
    async def accept_url(self, info: strawberry.Info) -> str | None:
        now = utcnow()
        if not invitations.is_open(self.row, now):
            return None
        principal = await info.context.principal()
        return invitation_links.accept_url(info.context.svc, principal, self.row, now)

    @strawberry.field
    async def user(self, info: strawberry.Info) -> User:
        return User.of(await info.context.loaders.user.load(self.user_id))


@strawberry.type
class InvitationConnection(Connection[Invitation]):
    pass


@strawberry.input
class InvitationFilter:
    status: list[InvitationStatus] | None = UNSET
    expired: InvitationExpiredFilter | None = InvitationExpiredFilter.ALL
    user_id: strawberry.ID | None = UNSET
    start_date: date | None = strawberry.field(default=UNSET, description="Created on or after this date (UTC).")
    end_date: date | None = strawberry.field(default=UNSET, description="Created on or before this date (UTC).")


@strawberry.input
class InviteUserInput:
    email: str
    first_name: str
    last_name: str
    middle_name: str | None = UNSET
    suffix1: str | None = UNSET
    suffix2: str | None = UNSET
    phone_number: str | None = UNSET
    npi_number: str | None = UNSET
    clinic_role: ClinicRole
    level: AssignableUserLevel
    can_create_reports: bool
    can_manage_studies: bool
    has_dashboard_access: bool


@strawberry.input(description="Only the fields that are given change; an explicit null clears a nullable field.")
class UpdateInvitationInput(UpdateUserInput):
    """The same changes as to a user: an invitation's person fields are its user's."""


@strawberry.type
class InvitationQuery:
    @strawberry.field
    async def invitation(self, info: strawberry.Info, id: strawberry.ID) -> Invitation | None:
        principal = await info.context.principal()
        row = await invitations.get_invitation(info.context.svc, principal, id)
        return Invitation.of(row) if row else None

    @strawberry.field(description="The clinic's invitations, newest first.")
    async def invitations(
        self,
        info: strawberry.Info,
        filter: InvitationFilter | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> InvitationConnection:
        principal = await info.context.principal()
        page = await invitations.list_invitations(
            info.context.svc, principal, filter=given(filter), first=first, after=after
        )
        return InvitationConnection.of(page, Invitation.of)


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(
        description="A new INVITED user with a SENT invitation. An INVITED user whose last invitation was "
        "rejected, revoked or expired is invited again under the same ID."
    )
    async def invite_user(self, info: strawberry.Info, input: InviteUserInput) -> User:
        principal = await info.context.principal()
        return User.of(await invitations.invite_user(info.context.svc, principal, given(input)))

    @strawberry.mutation
    async def update_invitation(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateInvitationInput
    ) -> Invitation:
        principal = await info.context.principal()
        return Invitation.of(await invitations.update_invitation(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description="By invitation ID, by the invited user's ID, or both.")
    async def revoke_invitation(
        self, info: strawberry.Info, id: strawberry.ID | None = None, user_id: strawberry.ID | None = None
    ) -> Invitation:
        principal = await info.context.principal()
        return Invitation.of(
            await invitations.revoke_invitation(info.context.svc, principal, id=id, user_id=user_id)
        )

    @strawberry.mutation(
        description="No bearer needed: the token from acceptUrl is the credential. The user becomes ACTIVE. "
        "A token that is not genuine is BAD_USER_INPUT (field token); an invitation that was already "
        "answered, was revoked or has expired is CONFLICT."
    )
    async def accept_invitation(self, info: strawberry.Info, token: str) -> User:
        return User.of(await invitation_links.accept_invitation(info.context.svc, token))

    @strawberry.mutation(
        description="No bearer needed: the token from acceptUrl is the credential. Fails as acceptInvitation does."
    )
    async def reject_invitation(self, info: strawberry.Info, token: str) -> Invitation:
        return Invitation.of(await invitation_links.reject_invitation(info.context.svc, token))
