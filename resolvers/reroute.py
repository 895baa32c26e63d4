"""Reroute URLs: hand a study to a radiologist (or a viewer) by a signed, expiring link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.auth import Principal
from autoscribe.errors import BadInput, Conflict
from autoscribe.reroute import DICTATION, VIEWER, reroute_token, reroute_url
from autoscribe.services import Services
from db.events import append_event, filter_fields
from db.ids import new_id
from db.models import RerouteGrant, Study, User
from db.types import utcnow
from resolvers.studies import ASSIGNABLE, assign, assignable_user, lock_study
from resolvers.validation import check_id


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


async def create_reroute_url(
    svc: Services, principal: Principal, *, id: str | None, uid: str | None, user_id: str
) -> RerouteLink:
    """Assign the study to the user (unless it already is theirs) and link them to dictate it."""
    principal.require_manage_studies()
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


async def create_viewer_only_url(
    svc: Services, principal: Principal, *, id: str | None, uid: str | None, user_id: str | None
) -> RerouteLink:
    """A read-only link; the assignment stays as it is, and `user_id` (if any) is recorded for audit."""
    principal.require_manage_studies()
    if user_id is not None:
        check_id(user_id, "user", "userId")
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=id, uid=uid)
        if user_id is not None and not await session.scalar(
            select(User.id).where(User.id == user_id, User.clinic_id == principal.clinic_id)
        ):
            raise BadInput("No such user.", field="userId")
        return _grant(session, svc, principal, study, user_id, VIEWER)
