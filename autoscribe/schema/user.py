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
from autoscribe.schema.inputs import given
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection

if TYPE_CHECKING:
    from autoscribe.schema.invitation import Invitation
    from autoscribe.schema.study import StudyConnection, StudyFilter


@from_row(models.User)
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
    ) -> list[Annotated[Invitation, strawberry.lazy("autoscribe.schema.invitation")]]:
        from autoscribe.schema.invitation import Invitation

        return [Invitation.of(r) for r in await info.context.loaders.invitations_of_user.load(self.id)]

    @strawberry.field(description="The studies assigned to this user: a radiologist's worklist.")
    async def assigned_studies(
        self,
        info: strawberry.Info,
        filter: Annotated[StudyFilter, strawberry.lazy("autoscribe.schema.study")] | None = None,
        order_by: StudyOrder | None = StudyOrder.PRIORITY,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> Annotated[StudyConnection, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import assigned_studies

        return await assigned_studies(info, filter, order_by, first, after, user_id=self.id)


@strawberry.type
class UserConnection(Connection[User]):
    pass


@strawberry.input
class UserFilter:
    can_create_reports: bool | None = UNSET
    email: str | None = strawberry.field(default=UNSET, description="Exact, case-insensitive.")
    first_name: str | None = strawberry.field(default=UNSET, description="Case-insensitive substring.")
    last_name: str | None = strawberry.field(default=UNSET, description="Case-insensitive substring.")
    invited_source: InvitedSource | None = UNSET
    level: UserLevel | None = UNSET
    status: list[UserStatus] | None = UNSET


@strawberry.input(description="Only the fields that are given change; an explicit null clears a nullable field.")
class UpdateUserInput:
    first_name: str | None = UNSET
    last_name: str | None = UNSET
    middle_name: str | None = UNSET
    suffix1: str | None = UNSET
    suffix2: str | None = UNSET
    phone_number: str | None = UNSET
    npi_number: str | None = UNSET
    clinic_role: ClinicRole | None = UNSET
    level: AssignableUserLevel | None = UNSET
    can_create_reports: bool | None = UNSET
    can_manage_studies: bool | None = UNSET
    has_dashboard_access: bool | None = UNSET


@strawberry.type
class UserQuery:
    @strawberry.field
    async def user(self, info: strawberry.Info, id: strawberry.ID) -> User | None:
        principal = await info.context.principal()
        row = await users.get_user(info.context.svc, principal, id)
        return User.of(row) if row else None

    @strawberry.field(description="The clinic's users, oldest first.")
    async def users(
        self,
        info: strawberry.Info,
        filter: UserFilter | None = None,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> UserConnection:
        principal = await info.context.principal()
        page = await users.list_users(info.context.svc, principal, filter=given(filter), first=first, after=after)
        return UserConnection.of(page, User.of)


@strawberry.type
class UserMutation:
    @strawberry.mutation
    async def update_user(self, info: strawberry.Info, id: strawberry.ID, input: UpdateUserInput) -> User:
        principal = await info.context.principal()
        return User.of(await users.update_user(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(
        description="REVOKED at once: the user's session tokens stop working (its open subscriptions end "
        "before any later event) and its studies assigned but not started return to UNASSIGNED. "
        "Revoking a revoked user changes nothing."
    )
    async def revoke_user_access(self, info: strawberry.Info, id: strawberry.ID) -> User:
        principal = await info.context.principal()
        return User.of(await users.revoke_user_access(info.context.svc, principal, id))

    @strawberry.mutation(
        description="A revoked user becomes ACTIVE again, or INVITED if it never accepted; others stay as they are."
    )
    async def reactivate_user(self, info: strawberry.Info, id: strawberry.ID) -> User:
        principal = await info.context.principal()
        return User.of(await users.reactivate_user(info.context.svc, principal, id))
