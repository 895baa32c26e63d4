"""Users: lookups, the users list, and what an admin changes of a user (fields, access)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.principal import Principal
from autoscribe.core.errors import ErrorCode, Forbidden, NotFound
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import InvitationStatus, UserLevel, UserStatus
from autoscribe.db.events import Revocation, append_revocation
from autoscribe.db.models import Invitation, User
from autoscribe.db.types import utcnow
from autoscribe.db.versions import touch
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Order, Page, paginate
from autoscribe.operations.person_fields import apply_person, person_of
from autoscribe.operations.scope import visible
from autoscribe.operations.studies import lock_assigned_to, unassign
from autoscribe.operations.user_rules import PersonChangeRules, check_person
from autoscribe.operations.validation import check_filter_text, check_id, given, validate

# Oldest first: people keep their place in the list as others join.
ORDER = Order("ca", ((User.created_at, False), (User.id, False)))


def user_conditions(flt: dict) -> list:
    """SQL conditions on User for a UserFilter (a dict of the given fields)."""
    check_filter_text(flt, ("email", "firstName", "lastName"))
    conds = []
    if flt.get("canCreateReports") is not None:
        conds.append(User.can_create_reports.is_(flt["canCreateReports"]))
    if flt.get("email") is not None:
        conds.append(User.email_lower == flt["email"].lower())
    for key, col in (("firstName", User.first_name), ("lastName", User.last_name)):
        if flt.get(key) is not None:
            conds.append(func.lower(col).contains(flt[key].lower(), autoescape=True))
    if flt.get("invitedSource") is not None:
        conds.append(User.invited_source == flt["invitedSource"])
    if flt.get("level") is not None:
        conds.append(User.level == flt["level"])
    if flt.get("status") is not None:
        conds.append(User.status.in_(list(flt["status"])))
    return conds


def _of_clinic(principal: Principal, id: str):
    return select(User).where(User.id == id, *visible(User, principal))


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def get_user(svc: Services, principal: Principal, id: str) -> User | None:
    check_id(id, "user", "id")
    async with svc.db.read() as session:
        return await session.scalar(_of_clinic(principal, id))


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def list_users(
    svc: Services, principal: Principal, *, filter: dict | None, first: int, after: str | None
) -> Page[User]:
    query = select(User).where(*visible(User, principal), *user_conditions(filter or {}))
    return await paginate(
        svc.db, svc.signer, scope=f"users:{principal.clinic_id}", query=query,
        order=ORDER, first=first, after=after,
    )


async def lock_user(session: AsyncSession, principal: Principal, id: str, field: str = "id") -> User:
    """The user, locked for this transaction's changes; NOT_FOUND when the clinic has none such.

    Whatever changes a user or its invitations locks the user first, so that they never wait on
    each other in opposite orders.
    """
    user = await session.scalar(_of_clinic(principal, id).with_for_update())
    if user is None:
        raise NotFound("No such user.", field=field)
    return user


def _not_owner(user: User) -> None:
    if user.level == UserLevel.OWNER:
        raise Forbidden("The clinic's owner cannot be changed or revoked through the API.")


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND})
async def update_user(svc: Services, principal: Principal, id: str, data: dict) -> User:
    """Change the given fields; while the user is invited, its open invitation says the same."""
    check_id(id, "user", "id")
    values = given(validate(PersonChangeRules, data))
    async with svc.db.write() as session:
        user = await lock_user(session, principal, id)
        _not_owner(user)
        check_person({**person_of(user), **values})
        now = utcnow()
        apply_person(user, values)
        user.updated_at = now
        if user.status == UserStatus.INVITED:
            sent = await session.scalars(
                select(Invitation).where(
                    Invitation.user_id == user.id, Invitation.status == InvitationStatus.SENT
                )
            )
            for invitation in sent:
                apply_person(invitation, values)
                invitation.updated_at = now
    return user


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND})
async def revoke_user_access(svc: Services, principal: Principal, id: str) -> User:
    """REVOKED at once: its session tokens stop working (its open subscriptions end, in every
    process, before any later event: autoscribe.revocation), its unanswered invitations are
    revoked, and its studies assigned but not started return to UNASSIGNED, with their events.

    Revoking a revoked user changes nothing.
    """
    check_id(id, "user", "id")
    async with svc.db.write() as session:
        user = await lock_user(session, principal, id)
        _not_owner(user)
        if user.status == UserStatus.REVOKED:
            return user
        # Locked before the first event of the transaction (see db.events.append_event).
        studies = await lock_assigned_to(session, user)
        now = utcnow()
        user.status = UserStatus.REVOKED
        user.token_epoch += 1
        user.updated_at = now
        await session.execute(
            update(Invitation)
            .where(Invitation.user_id == user.id, Invitation.status == InvitationStatus.SENT)
            .values(status=InvitationStatus.REVOKED, updated_at=now)
        )
        touch(session, user.clinic_id)
        # First in the log: the user's subscriptions end before the unassignments reach them.
        await append_revocation(session, Revocation(user.clinic_id, "user", user.id, user.token_epoch))
        await unassign(session, studies)
    return user


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def reactivate_user(svc: Services, principal: Principal, id: str) -> User:
    """A revoked user becomes ACTIVE again, or INVITED if it never accepted; others are left as they are.

    Session tokens minted before the revocation stay invalid.
    """
    check_id(id, "user", "id")
    async with svc.db.write() as session:
        user = await lock_user(session, principal, id)
        if user.status != UserStatus.REVOKED:
            return user
        user.status = UserStatus.ACTIVE if user.accepted_at is not None else UserStatus.INVITED
        user.updated_at = utcnow()
    return user
