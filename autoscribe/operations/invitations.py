"""Invitations: inviting a person (the user is made with it), lookups, the list, update and revoke."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, Conflict, ErrorCode, NotFound
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import InvitationExpiredFilter, InvitationStatus, InvitedSource, UserStatus
from autoscribe.db.ids import new_id
from autoscribe.db.models import Invitation, User
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Order, Page, paginate
from autoscribe.operations.person_fields import apply_person, person_of
from autoscribe.operations.scope import visible
from autoscribe.operations.user_rules import InviteRules, PersonChangeRules, check_person
from autoscribe.operations.users import lock_user
from autoscribe.operations.validation import check_id, given, validate

# Newest first.
ORDER = Order("cd", ((Invitation.created_at, True), (Invitation.id, True)))


def is_open(invitation: Invitation, now: datetime) -> bool:
    """SENT and unexpired: the only state in which it can be answered, updated or revoked."""
    return invitation.status == InvitationStatus.SENT and (
        invitation.expiry is None or invitation.expiry > now
    )


def is_expired(invitation: Invitation, now: datetime) -> bool:
    """Still SENT, but past its expiry."""
    return invitation.status == InvitationStatus.SENT and not is_open(invitation, now)


def require_open(invitation: Invitation, now: datetime, field: str = "id") -> None:
    """CONFLICT unless the invitation is SENT and unexpired."""
    if invitation.status != InvitationStatus.SENT:
        raise Conflict(f"The invitation is {invitation.status.value}, no longer SENT.", field=field)
    if is_expired(invitation, now):
        raise Conflict("The invitation has expired.", field=field)


def _expired(now: datetime):
    return and_(
        Invitation.status == InvitationStatus.SENT,
        Invitation.expiry.is_not(None),
        Invitation.expiry <= now,
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def invitation_conditions(flt: dict, now: datetime, field: str = "filter") -> list:
    """SQL conditions on Invitation for an InvitationFilter (a dict of the given fields).

    startDate and endDate are UTC calendar days, both included.
    """
    conds = []
    if flt.get("status") is not None:
        conds.append(Invitation.status.in_(list(flt["status"])))
    expired = flt.get("expired") or InvitationExpiredFilter.ALL
    if expired == InvitationExpiredFilter.EXPIRED:
        conds.append(_expired(now))
    elif expired == InvitationExpiredFilter.NOT_EXPIRED:
        conds.append(not_(_expired(now)))
    if flt.get("userId") is not None:
        conds.append(Invitation.user_id == check_id(flt["userId"], "user", f"{field}.userId"))
    start, end = flt.get("startDate"), flt.get("endDate")
    if start is not None and end is not None and start > end:
        raise BadInput("endDate is before startDate.", field=f"{field}.endDate")
    # The first and last days a date can name (0001-01-01, 9999-12-31) bound nothing: no day
    # starts before the first, and the day after the last cannot be written.
    if start is not None and start > date.min:
        conds.append(Invitation.created_at >= _day_start(start))
    if end is not None and end < date.max:
        conds.append(Invitation.created_at < _day_start(end + timedelta(days=1)))
    return conds


def _of_clinic(principal: Principal):
    return select(Invitation).where(*visible(Invitation, principal))


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def get_invitation(svc: Services, principal: Principal, id: str) -> Invitation | None:
    check_id(id, "invitation", "id")
    async with svc.db.read() as session:
        return await session.scalar(_of_clinic(principal).where(Invitation.id == id))


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def list_invitations(
    svc: Services, principal: Principal, *, filter: dict | None, first: int, after: str | None
) -> Page[Invitation]:
    conds = invitation_conditions(filter or {}, utcnow())
    return await paginate(
        svc.db, svc.signer, scope=f"invitations:{principal.clinic_id}", query=_of_clinic(principal).where(*conds),
        order=ORDER, first=first, after=after,
    )


async def lock_with_user(
    session: AsyncSession, clinic_id: str, invitation_id: str
) -> tuple[Invitation, User] | None:
    """The invitation and its user, both locked (the user first, as everywhere), or None."""
    query = select(Invitation).where(Invitation.id == invitation_id, Invitation.clinic_id == clinic_id)
    invitation = await session.scalar(query)
    if invitation is None:
        return None
    user = await session.scalar(select(User).where(User.id == invitation.user_id).with_for_update())
    invitation = await session.scalar(
        query.with_for_update().execution_options(populate_existing=True)
    )
    return invitation, user


async def _open_invitation_of(session: AsyncSession, user_id: str, now: datetime) -> Invitation | None:
    sent = await session.scalars(
        select(Invitation).where(Invitation.user_id == user_id, Invitation.status == InvitationStatus.SENT)
    )
    return next((i for i in sent if is_open(i, now)), None)


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.CONFLICT})
async def invite_user(svc: Services, principal: Principal, data: dict) -> User:
    """A new INVITED user with a SENT invitation.

    An e-mail of the clinic is taken (CONFLICT on input.email), unless its user is still INVITED
    with no open invitation (its last one was rejected, revoked or expired): then the same user is
    invited again, with the fields given now.
    """
    values = given(validate(InviteRules, data))
    check_person(values)
    source = InvitedSource.API if principal.is_api_key else InvitedSource.DASHBOARD
    email_lower = values["email"].lower()
    taken = Conflict("A user with this e-mail address exists in the clinic.", field="input.email")
    try:
        async with svc.db.write() as session:
            now = utcnow()
            user = await session.scalar(
                select(User)
                .where(User.clinic_id == principal.clinic_id, User.email_lower == email_lower)
                .with_for_update()
            )
            if user is None:
                user = User(
                    id=new_id("user"),
                    clinic_id=principal.clinic_id,
                    email=values["email"],
                    email_lower=email_lower,
                    status=UserStatus.INVITED,
                    token_epoch=0,
                    created_at=now,
                )
                session.add(user)
            elif user.status != UserStatus.INVITED or await _open_invitation_of(session, user.id, now):
                raise taken
            apply_person(user, values)
            user.invited_source = source
            user.updated_at = now
            await session.flush()
            invitation = Invitation(
                id=new_id("invitation"),
                clinic_id=principal.clinic_id,
                user_id=user.id,
                email=user.email,
                status=InvitationStatus.SENT,
                invited_source=source,
                inviter_id=principal.user_id,
                invited_by_api_key_id=principal.api_key_id,
                expiry=now + timedelta(days=svc.settings.invitation_ttl_days),
                created_at=now,
                updated_at=now,
            )
            apply_person(invitation, values)
            session.add(invitation)
    except IntegrityError:
        # Another invitation of the same address committed first.
        raise taken from None
    return user


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def update_invitation(svc: Services, principal: Principal, id: str, data: dict) -> Invitation:
    """Change an open invitation's fields, and its user's with it."""
    check_id(id, "invitation", "id")
    values = given(validate(PersonChangeRules, data))
    async with svc.db.write() as session:
        found = await lock_with_user(session, principal.clinic_id, id)
        if found is None:
            raise NotFound("No such invitation.", field="id")
        invitation, user = found
        now = utcnow()
        require_open(invitation, now)
        check_person({**person_of(invitation), **values})
        for row in (invitation, user):
            apply_person(row, values)
            row.updated_at = now
    return invitation


@operation(right=Right.ADMIN, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def revoke_invitation(
    svc: Services, principal: Principal, *, id: str | None, user_id: str | None
) -> Invitation:
    """Revoke an open invitation named by its ID, by its user's ID (the user's latest), or both.

    The user stays INVITED and can be invited again.
    """
    if id is None and user_id is None:
        raise BadInput("Give id, userId or both.", field="id")
    if id is not None:
        check_id(id, "invitation", "id")
    if user_id is not None:
        check_id(user_id, "user", "userId")
    async with svc.db.write() as session:
        if id is None:
            await lock_user(session, principal, user_id, field="userId")
            invitation = await session.scalar(
                _of_clinic(principal)
                .where(Invitation.user_id == user_id)
                .order_by(Invitation.created_at.desc(), Invitation.id.desc())
                .limit(1)
            )
            if invitation is None:
                raise NotFound("The user has no invitation.", field="userId")
        else:
            found = await lock_with_user(session, principal.clinic_id, id)
            if found is None:
                raise NotFound("No such invitation.", field="id")
            invitation = found[0]
            if user_id is not None and invitation.user_id != user_id:
                raise BadInput("The invitation is not the given user's.", field="userId")
        now = utcnow()
        require_open(invitation, now)
        invitation.status = InvitationStatus.REVOKED
        invitation.updated_at = now
    return invitation
