"""Rows as the REST API shows them (autoscribe.rest.models): wire spellings, `studyId`-style keys,
and the related rows (assignee, creator, reports) read in one batch per kind for a whole page
through the request's loaders (autoscribe.operations.loaders, as GraphQL reads them)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from autoscribe.db import enums
from autoscribe.db import models as rows
from autoscribe.operations.batching import Batcher
from autoscribe.rest import models, wire
from autoscribe.rest.routing import RestRequest


async def load_many(batcher: Batcher, keys: Iterable) -> dict:
    """{key: row} for the keys (None left out), loaded in one batch."""
    wanted = list(dict.fromkeys(k for k in keys if k is not None))
    values = await asyncio.gather(*(batcher.load(k) for k in wanted))
    return dict(zip(wanted, values))


def report_metadata(data: dict | None) -> models.StudyReportMetadata:
    """Stored report metadata (camelCase keys, domain enum values such as "FEMALE") in wire spellings."""
    d = dict(data or {})
    if d.get("sex"):
        d["sex"] = wire.SEX.wire(enums.Sex(d["sex"]))
    if d.get("height"):
        d["height"] = {**d["height"], "unit": wire.HEIGHT_UNIT.wire(enums.HeightUnit(d["height"]["unit"]))}
    if d.get("weight"):
        d["weight"] = {**d["weight"], "unit": wire.WEIGHT_UNIT.wire(enums.WeightUnit(d["weight"]["unit"]))}
    return models.StudyReportMetadata.model_validate(d)


def user_reference(user: rows.User | None) -> models.UserReference | None:
    if user is None:
        return None
    return models.UserReference(
        email=user.email, user_id=user.id, first_name=user.first_name, last_name=user.last_name,
        middle_name=user.middle_name, suffix1=user.suffix1, suffix2=user.suffix2,
    )


def api_key_reference(key: rows.ApiKey | None) -> models.APIKeyReference | None:
    if key is None:
        return None
    return models.APIKeyReference(api_key_id=key.id, description=key.name)


async def studies(req: RestRequest, studies: list[rows.Study]) -> list[models.Study]:
    """The studies as the REST API shows them, their related rows read in one batch per kind."""
    loaders = req.loaders
    users, keys, reports = await asyncio.gather(
        load_many(loaders.user, (i for s in studies for i in (s.assigned_to_id, s.created_by_user_id))),
        load_many(loaders.api_key, (s.created_by_api_key_id for s in studies)),
        load_many(loaders.reports_of_study, (s.id for s in studies)),
    )
    return [
        models.Study(
            study_id=s.id,
            study_instance_uid=s.study_instance_uid,
            study_description=s.study_description,
            severity=wire.SEVERITY.wire(s.severity),
            study_report_status=wire.STUDY_REPORT_STATUS.wire(s.study_report_status),
            is_cancelled=s.is_cancelled,
            report_metadata=report_metadata(s.report_metadata),
            cancelled_at=s.cancelled_at,
            created_at=s.created_at,
            updated_at=s.updated_at,
            assigned_to=user_reference(users.get(s.assigned_to_id)),
            clinical_history=s.clinical_history,
            clinical_indication=s.clinical_indication,
            created_by_api_key=api_key_reference(keys.get(s.created_by_api_key_id)),
            created_by_user=user_reference(users.get(s.created_by_user_id)),
            external_patient_id=s.external_patient_id,
            is_critical=s.is_critical,
            metadata=dict(s.extra_metadata or {}),
            modality=s.modality,
            prior_reports=[models.PriorReport.model_validate(p) for p in s.prior_reports or []],
            report_ids=[
                models.ReportIdWithStatus(report_id=r.id, status=wire.REPORT_STATUS.wire(r.status), is_critical=r.is_critical)
                for r in reports.get(s.id, [])
            ],
            study_type=wire.STUDY_TYPE.wire(wire.StudyType.STANDARD),
            technologist_notes=list(s.technologist_notes or []),
            technologist_technique=s.technologist_technique,
        )
        for s in studies
    ]


async def study(req: RestRequest, row: rows.Study) -> models.Study:
    return (await studies(req, [row]))[0]


def report(row: rows.Report) -> models.Report:
    return models.Report(
        report_id=row.id,
        study_id=row.study_id,
        user_id=row.user_id,
        status=wire.REPORT_STATUS.wire(row.status),
        is_addendum=row.is_addendum,
        snapshot_metadata=report_metadata(row.snapshot_metadata),
        is_critical=row.is_critical,
        created_at=row.created_at,
        updated_at=row.updated_at,
        signed_at=row.signed_at,
        report_plain_text=row.plain_text,
    )


def _person(row: rows.PersonFields) -> dict:
    return dict(
        can_create_reports=row.can_create_reports, can_manage_studies=row.can_manage_studies,
        clinic_role=wire.CLINIC_ROLE.wire(row.clinic_role), email=row.email, first_name=row.first_name,
        has_dashboard_access=row.has_dashboard_access, last_name=row.last_name, middle_name=row.middle_name,
        npi_number=row.npi_number, phone_number=row.phone_number, suffix1=row.suffix1, suffix2=row.suffix2,
        level=wire.USER_LEVEL.wire(row.level), invited_source=wire.INVITED_SOURCE.wire(row.invited_source),
    )


def user(row: rows.User) -> models.User:
    return models.User(user_id=row.id, created_at=row.created_at, last_login_at=row.last_login_at, **_person(row))


def invitation(row: rows.Invitation) -> models.Invitation:
    return models.Invitation(
        invitation_id=row.id, clinic_id=row.clinic_id, user_id=row.user_id,
        status=wire.INVITATION_STATUS.wire(row.status),
        # Never null: an invitation sent with an API key names the key (see models.Invitation).
        inviter_id=row.inviter_id or row.invited_by_api_key_id,
        invited_by_api_key_id=row.invited_by_api_key_id, expiry=row.expiry,
        created_at=row.created_at, updated_at=row.updated_at, **_person(row),
    )
