"""The invitation link: a signed token that accepts or rejects one invitation, with no other credential.

The token names the invitation and expires with it. Answering checks it against the stored
invitation, so a link works once and only while the invitation is SENT and unexpired:

- a token that is not one of ours (forged, altered, or of another purpose): BAD_USER_INPUT on `token`;
- an invitation already accepted, rejected or revoked, or expired: CONFLICT on `token`.
"""

from __future__ import annotations

import time
from datetime import datetime

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, Conflict, ErrorCode
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import InvitationStatus, UserStatus
from sqlalchemy import select

from autoscribe.db.models import Clinic, Invitation, User
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations.invitations import is_open, lock_with_user, require_open

PURPOSE = "invitation"


def accept_url(svc: Services, principal: Principal, invitation: Invitation, now: datetime | None = None) -> str | None:
    """The link for the invited person: for admins and API keys, while the invitation is open."""
    if not principal.is_admin or not is_open(invitation, now or utcnow()):
        return None
    ttl = None
    if invitation.expiry is not None:
        ttl = max(1, int(invitation.expiry.timestamp() - time.time()))
    token = svc.signer.sign(PURPOSE, {"i": invitation.id, "c": invitation.clinic_id}, ttl_seconds=ttl)
    return f"{svc.settings.public_url}/invitations/{token}"


def _forged() -> BadInput:
    return BadInput("The invitation link is not valid.", field="token")


async def _answer(svc: Services, token: str, status: InvitationStatus) -> tuple[Invitation, User]:
    payload, token_expired = svc.signer.inspect(PURPOSE, token)
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), str) or not isinstance(payload.get("c"), str):
        raise _forged()
    async with svc.db.write() as session:
        found = await lock_with_user(session, payload["c"], payload["i"])
        if found is None:
            raise _forged()
        invitation, user = found
        now = utcnow()
        require_open(invitation, now, field="token")
        if token_expired:
            raise Conflict("The invitation has expired.", field="token")
        if user.status != UserStatus.INVITED:
            raise Conflict(f"The user is {user.status.value}.", field="token")
        invitation.status = status
        invitation.responded_at = now
        invitation.updated_at = now
        if status == InvitationStatus.ACCEPTED:
            user.status = UserStatus.ACTIVE
            user.accepted_at = now
            user.updated_at = now
    return invitation, user


@operation(right=Right.NONE, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.CONFLICT})
async def accept_invitation(svc: Services, token: str) -> User:
    """The invitation ACCEPTED, its user ACTIVE."""
    return (await _answer(svc, token, InvitationStatus.ACCEPTED))[1]


@operation(right=Right.NONE, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.CONFLICT})
async def reject_invitation(svc: Services, token: str) -> Invitation:
    """The invitation REJECTED; the user stays INVITED and may be invited again."""
    return (await _answer(svc, token, InvitationStatus.REJECTED))[0]


@operation(right=Right.NONE, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.CONFLICT})
async def peek_invitation(svc: Services, token: str) -> tuple[Invitation, str]:
    """The invitation a link names and its clinic's name, without answering it.

    BAD_USER_INPUT for a link that is not ours; CONFLICT for one that can no longer be answered.
    """
    payload, token_expired = svc.signer.inspect(PURPOSE, token)
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), str) or not isinstance(payload.get("c"), str):
        raise _forged()
    async with svc.db.read() as session:
        row = (
            await session.execute(
                select(Invitation, Clinic.name)
                .join(Clinic, Clinic.id == Invitation.clinic_id)
                .where(Invitation.id == payload["i"], Invitation.clinic_id == payload["c"])
            )
        ).first()
    if row is None:
        raise _forged()
    invitation, clinic_name = row
    require_open(invitation, utcnow(), field="token")
    if token_expired:
        raise Conflict("The invitation has expired.", field="token")
    return invitation, clinic_name
