"""Invitation: how a person is brought into a clinic; the invitation queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

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
from autoscribe.schema.descriptions import AFTER, FIRST, default, described, id_of
from autoscribe.schema.inputs import given
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection
from autoscribe.schema.user import PERSON, Person, UpdateUserInput, User

_INVITATION_ID = id_of("invitation", "The invitation's ID")
_USER_ID = id_of("user", "The invited user's ID")
_TOKEN = "The token of the invitation's link: the last part of acceptUrl, after /invitations/."


@from_row(models.Invitation)
@strawberry.type(
    description="How a person is brought into the clinic: made with its user by inviteUser, answered once through "
    "its link. Its person fields are its user's, as they were when it was sent (and updated while it is open)."
)
class Invitation(Node, Person):
    id: strawberry.ID = strawberry.field(description=_INVITATION_ID)
    clinic_id: strawberry.ID = strawberry.field(description=id_of("clinic", "The clinic's ID"))
    user_id: strawberry.ID = strawberry.field(description=_USER_ID)
    status: InvitationStatus = strawberry.field(description="Whether it is waiting, answered or revoked.")
    invited_source: InvitedSource = strawberry.field(description="Who sent it: a user, or an API key.")
    inviter_id: strawberry.ID | None = strawberry.field(
        description="The user who sent it (usr_ and 32 lowercase hex digits); null when sent with an API key."
    )
    invited_by_api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key that sent it (key_ and 32 lowercase hex digits); null when a user did."
    )
    expiry: datetime | None = strawberry.field(
        description=f"When it can no longer be answered (UTC): {default('invitation_ttl_days')} days after it was "
        "sent by default."
    )
    created_at: datetime = strawberry.field(description="When it was sent (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed: updated, answered or revoked (UTC).")
    row: strawberry.Private[models.Invitation]

    @strawberry.field(description="Still SENT but past its expiry: it can no longer be answered, updated or revoked.")
    def is_expired(self) -> bool:
        return invitations.is_expired(self.row, utcnow())

    @strawberry.field(
        description="The signed link the clinic sends the invited person, {public URL}/invitations/<token>: it opens "
        "a page to accept or decline, and its token is acceptInvitation's. Null unless SENT and unexpired; "
        "readable by API keys and ADMIN or OWNER users only (null for others)."
    )
    async def accept_url(self, info: strawberry.Info) -> str | None:
        now = utcnow()
        if not invitations.is_open(self.row, now):
            return None
        principal = await info.context.principal()
        return invitation_links.accept_url(info.context.svc, principal, self.row, now)

    @strawberry.field(description="The invited user.")
    async def user(self, info: strawberry.Info) -> User:
        return User.of(await info.context.loaders.user.load(self.user_id))


@strawberry.type(description="A page of invitations.")
class InvitationConnection(Connection[Invitation]):
    pass


@strawberry.input(description="Which invitations to keep: every field given must match; absent or null fields keep all.")
class InvitationFilter:
    status: list[InvitationStatus] | None = strawberry.field(
        default=UNSET, description="Invitations in any of these states."
    )
    expired: InvitationExpiredFilter | None = strawberry.field(
        default=InvitationExpiredFilter.ALL, description="Expired ones, unexpired ones, or both."
    )
    user_id: strawberry.ID | None = strawberry.field(default=UNSET, description=id_of("user", "Invitations of this user"))
    start_date: date | None = strawberry.field(
        default=UNSET, description="Sent on or after this day (UTC)."
    )
    end_date: date | None = strawberry.field(
        default=UNSET, description="Sent on or before this day (UTC); not before startDate (else BAD_USER_INPUT)."
    )


def _given(name: str) -> object:
    return strawberry.field(default=UNSET, description=PERSON[name])


@strawberry.input(
    description="The person to invite. The fields must hold together: an NPI number for canCreateReports, "
    "dashboard access for ADMIN (else BAD_USER_INPUT)."
)
class InviteUserInput:
    email: str = strawberry.field(
        description="A valid e-mail address (at most 320 characters); one taken in the clinic is CONFLICT, unless "
        "its user is INVITED with no open invitation (then it is invited again). It never changes."
    )
    first_name: str = strawberry.field(description=PERSON["first_name"])
    last_name: str = strawberry.field(description=PERSON["last_name"])
    middle_name: str | None = _given("middle_name")
    suffix1: str | None = _given("suffix1")
    suffix2: str | None = _given("suffix2")
    phone_number: str | None = _given("phone_number")
    npi_number: str | None = _given("npi_number")
    clinic_role: ClinicRole = strawberry.field(description=PERSON["clinic_role"])
    level: AssignableUserLevel = strawberry.field(description=PERSON["level"])
    can_create_reports: bool = strawberry.field(description=PERSON["can_create_reports"])
    can_manage_studies: bool = strawberry.field(description=PERSON["can_manage_studies"])
    has_dashboard_access: bool = strawberry.field(description=PERSON["has_dashboard_access"])


@strawberry.input(
    description="Only the fields that are given change, on the invitation and its user alike; an explicit null "
    "clears a nullable field. The result must still hold together, as in UpdateUserInput."
)
class UpdateInvitationInput(UpdateUserInput):
    """The same changes as to a user: an invitation's person fields are its user's."""


_InvitationId = Annotated[strawberry.ID, strawberry.argument(description=_INVITATION_ID)]
_Token = Annotated[str, strawberry.argument(description=_TOKEN)]
_BY_LINK = (
    " A token that is not genuine is BAD_USER_INPUT (field token); an invitation already answered, revoked or "
    "expired is CONFLICT."
)


@strawberry.type
class InvitationQuery:
    @strawberry.field(description=described(
        "One invitation of the clinic; null when there is none.", invitations.get_invitation
    ))
    async def invitation(self, info: strawberry.Info, id: _InvitationId) -> Invitation | None:
        principal = await info.context.principal()
        row = await invitations.get_invitation(info.context.svc, principal, id)
        return Invitation.of(row) if row else None

    @strawberry.field(description=described("The clinic's invitations, newest first.", invitations.list_invitations))
    async def invitations(
        self,
        info: strawberry.Info,
        filter: Annotated[
            InvitationFilter | None, strawberry.argument(description="Which invitations; all when absent.")
        ] = None,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = DEFAULT_PAGE,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> InvitationConnection:
        principal = await info.context.principal()
        page = await invitations.list_invitations(
            info.context.svc, principal, filter=given(filter), first=first, after=after
        )
        return InvitationConnection.of(page, Invitation.of)


@strawberry.type
class InvitationMutation:
    @strawberry.mutation(description=described(
        f"A new INVITED user with a SENT invitation (expiring {default('invitation_ttl_days')} days later by default); "
        "send its acceptUrl to the person. An INVITED user whose last invitation was rejected, revoked or expired is invited again under "
        "the same ID.",
        invitations.invite_user,
    ))
    async def invite_user(
        self, info: strawberry.Info, input: Annotated[InviteUserInput, strawberry.argument(description="The person.")]
    ) -> User:
        principal = await info.context.principal()
        return User.of(await invitations.invite_user(info.context.svc, principal, given(input)))

    @strawberry.mutation(description=described(
        "Changes the given fields of a SENT, unexpired invitation and of its user (else CONFLICT).",
        invitations.update_invitation,
    ))
    async def update_invitation(
        self,
        info: strawberry.Info,
        id: _InvitationId,
        input: Annotated[UpdateInvitationInput, strawberry.argument(description="The changes.")],
    ) -> Invitation:
        principal = await info.context.principal()
        return Invitation.of(await invitations.update_invitation(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description=described(
        "Revokes a SENT, unexpired invitation (else CONFLICT), named by its ID, by its user's ID (the user's "
        "latest), or both. The user stays INVITED and can be invited again.",
        invitations.revoke_invitation,
    ))
    async def revoke_invitation(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID | None, strawberry.argument(description=_INVITATION_ID)] = None,
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description=_USER_ID[:-1] + "; with id, it must be that invitation's user."),
        ] = None,
    ) -> Invitation:
        principal = await info.context.principal()
        return Invitation.of(
            await invitations.revoke_invitation(info.context.svc, principal, id=id, user_id=user_id)
        )

    @strawberry.mutation(description=described(
        "Accepts the invitation: ACCEPTED, and its user ACTIVE." + _BY_LINK, invitation_links.accept_invitation
    ))
    async def accept_invitation(self, info: strawberry.Info, token: _Token) -> User:
        return User.of(await invitation_links.accept_invitation(info.context.svc, token))

    @strawberry.mutation(description=described(
        "Declines the invitation: REJECTED; its user stays INVITED and can be invited again." + _BY_LINK,
        invitation_links.reject_invitation,
    ))
    async def reject_invitation(self, info: strawberry.Info, token: _Token) -> Invitation:
        return Invitation.of(await invitation_links.reject_invitation(info.context.svc, token))
