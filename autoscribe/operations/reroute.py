"""Reroute URLs (SPEC §5): hand a study to a radiologist (or a viewer) by a signed, expiring link,
and open such a link once, re-checking the study and the user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, Conflict, ErrorCode
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.events import append_event, filter_fields
from autoscribe.db.ids import new_id
from autoscribe.core.settings import Settings
from autoscribe.core.signing import Signer
from autoscribe.db.enums import UserStatus
from autoscribe.db.models import RerouteGrant, Study, User
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations.studies import ASSIGNABLE, assign, assignable_user, lock_study
from autoscribe.operations.validation import check_id


DICTATION = "dictation"
VIEWER = "viewer"

def reroute_token(
    signer: Signer, *, clinic_id: str, study_id: str, user_id: str | None, mode: str, grant_id: str,
    ttl_seconds: int,
) -> str:
    """Names the clinic, study, user, mode and audit grant: IDs only, never patient data."""
    payload = {"c": clinic_id, "s": study_id, "u": user_id, "m": mode, "g": grant_id}
    return signer.sign("reroute", payload, ttl_seconds=ttl_seconds)


def reroute_url(settings: Settings, token: str) -> str:
    return f"{settings.public_url}/reroute/{token}"


@dataclass(frozen=True)
class RerouteLink:
    url: str
    expires_at: datetime
    study: Study


def _grant(
    session: AsyncSession, svc: Services, principal: Principal, study: Study, user_id: str | None, mode: str
) -> RerouteLink:
    """Record the audit row of the link and sign it."""
    now = utcnow()
    ttl = svc.settings.reroute_ttl_seconds
    grant = RerouteGrant(
        id=new_id("reroute_grant"),
        clinic_id=principal.clinic_id,
        study_id=study.id,
        user_id=user_id,
        viewer_only=mode == VIEWER,
        created_by_api_key_id=principal.api_key_id,
        created_by_user_id=principal.user_id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl),
    )
    session.add(grant)
    token = reroute_token(
        svc.signer, clinic_id=principal.clinic_id, study_id=study.id, user_id=user_id, mode=mode,
        grant_id=grant.id, ttl_seconds=ttl,
    )
    return RerouteLink(url=reroute_url(svc.settings, token), expires_at=grant.expires_at, study=study)


@operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def create_reroute_url(
    svc: Services, principal: Principal, *, id: str | None, uid: str | None, user_id: str
) -> RerouteLink:
    """Assign the study to the user (unless it already is theirs) and link them to dictate it."""
    check_id(user_id, "user", "assignedToUserId")
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=id, uid=uid)
        user = await assignable_user(session, principal, user_id, "assignedToUserId")
        if study.assigned_to_id != user.id:
            if study.study_report_status not in ASSIGNABLE:
                raise Conflict(
                    f"The study is {study.study_report_status.value}: its assignment cannot change now.",
                    field="assignedToUserId",
                )
            before, status_before = filter_fields(study), study.study_report_status.value
            assign(study, user.id)
            study.updated_at = utcnow()
            await append_event(
                session, study, "study.assigned", before=before, status_before=status_before,
                at=study.updated_at,
            )
        return _grant(session, svc, principal, study, user.id, DICTATION)


@operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def create_viewer_only_url(
    svc: Services, principal: Principal, *, id: str | None, uid: str | None, user_id: str | None
) -> RerouteLink:
    """A read-only link; the assignment stays as it is, and `user_id` (if any) is recorded for audit."""
    if user_id is not None:
        check_id(user_id, "user", "userId")
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=id, uid=uid)
        if user_id is not None and not await session.scalar(
            select(User.id).where(User.id == user_id, User.clinic_id == principal.clinic_id)
        ):
            raise BadInput("No such user.", field="userId")
        return _grant(session, svc, principal, study, user_id, VIEWER)


class LinkRefused(Exception):
    """An opening that may not go ahead, with the HTTP status, title and text of the page that says
    why; the transaction rolls back and the link stays unused."""

    def __init__(self, status: int, title: str, text: str):
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


def _recheck(grant: RerouteGrant | None, payload: dict, study: Study | None, user: User | None, now: datetime) -> None:
    """What must still hold when the link is opened (SPEC §5); raises LinkRefused with the reason."""
    user_id, mode = payload.get("u"), payload["m"]
    if grant is None or (grant.study_id, grant.user_id, grant.viewer_only) != (payload.get("s"), user_id, mode == VIEWER):
        raise LinkRefused(403, "Link not valid", "This link is not valid.")
    if grant.opened_at is not None:
        raise LinkRefused(409, "Link already used", "This link has already been opened. Ask for a new one.")
    if grant.expires_at <= now + timedelta(seconds=1):
        raise LinkRefused(403, "Link expired", "This link has expired. Ask for a new one.")
    if study is None:
        raise LinkRefused(404, "Study not available", "This study is no longer available.")
    if user_id and (user is None or user.status != UserStatus.ACTIVE):
        raise LinkRefused(403, "Access revoked", "Your access to this clinic has been revoked.")
    if study.is_cancelled:
        raise LinkRefused(409, "Study cancelled", "This study has been cancelled.")
    if mode == DICTATION and study.assigned_to_id != user_id:
        raise LinkRefused(409, "Study reassigned", "This study is no longer assigned to you.")


@operation(right=Right.NONE, errors=())
async def open_once(svc: Services, payload: dict) -> tuple[Study, User | None, RerouteGrant, datetime]:
    """Re-check the link's grant, study and user and mark the grant opened, in one transaction:
    (study, user, grant, when). The study row is locked so that no reassignment or cancellation
    slips in between the check and the commit; of two openings at once only one marks the grant."""
    clinic_id, user_id = payload.get("c"), payload.get("u")
    async with svc.db.write() as session:
        now = utcnow()
        grant = await session.scalar(
            select(RerouteGrant).where(RerouteGrant.id == payload.get("g"), RerouteGrant.clinic_id == clinic_id)
        )
        study = await session.scalar(
            select(Study).where(Study.id == payload.get("s"), Study.clinic_id == clinic_id).with_for_update()
        )
        user = (
            await session.scalar(select(User).where(User.id == user_id, User.clinic_id == clinic_id))
            if user_id
            else None
        )
        _recheck(grant, payload, study, user, now)
        marked = await session.execute(
            update(RerouteGrant)
            .where(RerouteGrant.id == grant.id, RerouteGrant.opened_at.is_(None))
            .values(opened_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:
            raise LinkRefused(409, "Link already used", "This link has already been opened. Ask for a new one.")
    return study, user, grant, now
