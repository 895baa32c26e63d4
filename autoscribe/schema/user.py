"""User: a person of a clinic, their rights and worklist; the user queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types.unset import UNSET

from autoscribe.db import models
from autoscribe.operations import users
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.enums import (
    AssignableUserLevel,
    ClinicRole,
    InvitedSource,
    StudyOrder,
    UserLevel,
    UserStatus,
)
from autoscribe.schema.descriptions import AFTER, FIRST, described, id_of
from autoscribe.schema.inputs import given
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection

if TYPE_CHECKING:
    from autoscribe.schema.invitation import Invitation
    from autoscribe.schema.study import StudyConnection, StudyFilter

# A person's fields, as users and invitations share them (the rules: operations.user_rules), each described
# once for the types and their inputs.
PERSON = {
    "email": "The e-mail address (at most 320 characters), unique within the clinic ignoring case; it never changes.",
    "first_name": "The first name: not blank, at most 200 characters.",
    "last_name": "The last name: not blank, at most 200 characters.",
    "middle_name": "The middle name, at most 200 characters.",
    "suffix1": "A name suffix (\"Jr.\", \"MD\"), at most 50 characters.",
    "suffix2": "A second name suffix, at most 50 characters.",
    "phone_number": "The phone number: 10 to 15 digits, nothing else.",
    "npi_number": "The US National Provider Identifier: 10 digits with a valid check digit (Luhn, prefix 80840). "
    "Required when canCreateReports is true.",
    "clinic_role": "The person's role in the clinic, shown to people; it grants no rights.",
    "level": "The administrative level: ADMIN requires hasDashboardAccess.",
    "can_create_reports": "May start, save, sign and amend reports (requires npiNumber) and be assigned studies.",
    "can_manage_studies": "May create, change, assign and cancel studies and make reroute URLs.",
    "has_dashboard_access": "May use the clinic's dashboard (kept for it: the API itself does not check it); "
    "required for level ADMIN.",
}
_USER_ID = id_of("user", "The user's ID")


@strawberry.type(description="A person's fields, as a user and its invitations show them.")
class Person:
    email: str = strawberry.field(description=PERSON["email"])
    first_name: str = strawberry.field(description=PERSON["first_name"])
    last_name: str = strawberry.field(description=PERSON["last_name"])
    middle_name: str | None = strawberry.field(description=PERSON["middle_name"])
    suffix1: str | None = strawberry.field(description=PERSON["suffix1"])
    suffix2: str | None = strawberry.field(description=PERSON["suffix2"])
    phone_number: str | None = strawberry.field(description=PERSON["phone_number"])
    npi_number: str | None = strawberry.field(description=PERSON["npi_number"])
    clinic_role: ClinicRole = strawberry.field(description=PERSON["clinic_role"])
    level: UserLevel = strawberry.field(description=PERSON["level"])
    can_create_reports: bool = strawberry.field(description=PERSON["can_create_reports"])
    can_manage_studies: bool = strawberry.field(description=PERSON["can_manage_studies"])
    has_dashboard_access: bool = strawberry.field(description=PERSON["has_dashboard_access"])


@from_row(models.User)
@strawberry.type(description="A person of the clinic: who they are, what they may do, and their worklist.")
class User(Node, Person):
    id: strawberry.ID = strawberry.field(description=_USER_ID + " Made at invitation time, it stays the user's.")
    status: UserStatus = strawberry.field(description="Whether the user can act: INVITED, ACTIVE or REVOKED.")
    invited_source: InvitedSource = strawberry.field(description="Who invited the user: a user, or an API key.")
    created_at: datetime = strawberry.field(description="When the user was first invited (UTC).")
    last_login_at: datetime | None = strawberry.field(
        description="When a session of the user was last used, to the minute (UTC); null if never."
    )
    row: strawberry.Private[models.User]

    @strawberry.field(description="Every invitation the user was sent.")
    async def invitations(
        self, info: strawberry.Info
    ) -> list[Annotated[Invitation, strawberry.lazy("autoscribe.schema.invitation")]]:
        from autoscribe.schema.invitation import Invitation

        return [Invitation.of(r) for r in await info.context.loaders.invitations_of_user.load(self.id)]

    @strawberry.field(description="The studies assigned to this user: a radiologist's worklist.")
    async def assigned_studies(
        self,
        info: strawberry.Info,
        filter: Annotated[
            Annotated[StudyFilter, strawberry.lazy("autoscribe.schema.study")] | None,
            strawberry.argument(description="Which of them; its assignedTo is ignored (always this user)."),
        ] = None,
        order_by: Annotated[
            StudyOrder | None, strawberry.argument(description="The list's order: reading order by default.")
        ] = StudyOrder.PRIORITY,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = DEFAULT_PAGE,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> Annotated[StudyConnection, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import assigned_studies

        return await assigned_studies(info, filter, order_by, first, after, user_id=self.id)


@strawberry.type(description="A page of users.")
class UserConnection(Connection[User]):
    pass


_TEXT_FILTER = "at most 1,000 characters"


@strawberry.input(description="Which users to keep: every field given must match; absent or null fields keep all.")
class UserFilter:
    can_create_reports: bool | None = strawberry.field(default=UNSET, description="Users with, or without, canCreateReports.")
    email: str | None = strawberry.field(
        default=UNSET, description=f"The user with this e-mail address, ignoring case ({_TEXT_FILTER})."
    )
    first_name: str | None = strawberry.field(
        default=UNSET, description=f"Users whose first name contains this text, ignoring case ({_TEXT_FILTER})."
    )
    last_name: str | None = strawberry.field(
        default=UNSET, description=f"Users whose last name contains this text, ignoring case ({_TEXT_FILTER})."
    )
    invited_source: InvitedSource | None = strawberry.field(default=UNSET, description="Users invited this way.")
    level: UserLevel | None = strawberry.field(default=UNSET, description="Users of this level.")
    status: list[UserStatus] | None = strawberry.field(default=UNSET, description="Users in any of these states.")


def _change(name: str) -> object:
    return strawberry.field(default=UNSET, description=PERSON[name])


_REQUIRED = " Cannot be null."


@strawberry.input(
    description="Only the fields that are given change; an explicit null clears a nullable field. The result must "
    "still hold together (an NPI number for canCreateReports, dashboard access for ADMIN), else BAD_USER_INPUT."
)
class UpdateUserInput:
    first_name: str | None = strawberry.field(default=UNSET, description=PERSON["first_name"] + _REQUIRED)
    last_name: str | None = strawberry.field(default=UNSET, description=PERSON["last_name"] + _REQUIRED)
    middle_name: str | None = _change("middle_name")
    suffix1: str | None = _change("suffix1")
    suffix2: str | None = _change("suffix2")
    phone_number: str | None = _change("phone_number")
    npi_number: str | None = _change("npi_number")
    clinic_role: ClinicRole | None = strawberry.field(default=UNSET, description=PERSON["clinic_role"] + _REQUIRED)
    level: AssignableUserLevel | None = strawberry.field(default=UNSET, description=PERSON["level"] + _REQUIRED)
    can_create_reports: bool | None = strawberry.field(
        default=UNSET, description=PERSON["can_create_reports"] + _REQUIRED
    )
    can_manage_studies: bool | None = strawberry.field(
        default=UNSET, description=PERSON["can_manage_studies"] + _REQUIRED
    )
    has_dashboard_access: bool | None = strawberry.field(
        default=UNSET, description=PERSON["has_dashboard_access"] + _REQUIRED
    )


_UserId = Annotated[strawberry.ID, strawberry.argument(description=_USER_ID)]


@strawberry.type
class UserQuery:
    @strawberry.field(description=described("One user of the clinic; null when there is none.", users.get_user))
    async def user(self, info: strawberry.Info, id: _UserId) -> User | None:
        principal = await info.context.principal()
        row = await users.get_user(info.context.svc, principal, id)
        return User.of(row) if row else None

    @strawberry.field(description=described("The clinic's users, oldest first.", users.list_users))
    async def users(
        self,
        info: strawberry.Info,
        filter: Annotated[UserFilter | None, strawberry.argument(description="Which users; all when absent.")] = None,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = DEFAULT_PAGE,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> UserConnection:
        principal = await info.context.principal()
        page = await users.list_users(info.context.svc, principal, filter=given(filter), first=first, after=after)
        return UserConnection.of(page, User.of)


@strawberry.type
class UserMutation:
    @strawberry.mutation(description=described(
        "Changes the given fields of a user (never the clinic's OWNER); while the user is INVITED, its open "
        "invitation changes with it.",
        users.update_user,
    ))
    async def update_user(
        self,
        info: strawberry.Info,
        id: _UserId,
        input: Annotated[UpdateUserInput, strawberry.argument(description="The changes.")],
    ) -> User:
        principal = await info.context.principal()
        return User.of(await users.update_user(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description=described(
        "REVOKED at once (never the clinic's OWNER): the user's session tokens stop working (its open "
        "subscriptions end before any later event), its unanswered invitations are revoked, and its studies "
        "assigned but not started return to UNASSIGNED. Revoking a revoked user changes nothing.",
        users.revoke_user_access,
    ))
    async def revoke_user_access(self, info: strawberry.Info, id: _UserId) -> User:
        principal = await info.context.principal()
        return User.of(await users.revoke_user_access(info.context.svc, principal, id))

    @strawberry.mutation(description=described(
        "A revoked user becomes ACTIVE again, or INVITED if it never accepted; others stay as they are. Session "
        "tokens made before the revocation stay invalid.",
        users.reactivate_user,
    ))
    async def reactivate_user(self, info: strawberry.Info, id: _UserId) -> User:
        principal = await info.context.principal()
        return User.of(await users.reactivate_user(info.context.svc, principal, id))
