"""The REST API's JSON shapes as pydantic models mirroring the avara SDK's (avara/types/**):
camelCase on the wire, enums in their wire spellings (autoscribe.rest.wire).

Response models serialise every response (autoscribe.rest.routing), so a response that would
fail the SDK's strict validation fails here first; body models check request bodies' types and
spellings before the operation checks its rules. Both write the OpenAPI document's schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from autoscribe.rest import wire


class WireModel(BaseModel):
    """camelCase on the wire; a response model refuses a field it does not declare."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


# Shared pieces -----------------------------------------------------------------------------------


class Height(WireModel):
    unit: wire.HEIGHT_UNIT.type
    value: float


class Weight(WireModel):
    unit: wire.WEIGHT_UNIT.type
    value: float


class StudyReportMetadata(WireModel):
    age: Optional[str] = None
    date_of_birth: Optional[str] = Field(None, description="YYYY-MM-DD")
    facility_name: Optional[str] = None
    height: Optional[Height] = None
    mrn: Optional[str] = None
    patient_name: Optional[str] = None
    procedure: Optional[str] = None
    referring_physician_name: Optional[str] = None
    sex: Optional[wire.SEX.type] = None
    study_date: Optional[str] = Field(None, description="YYYY-MM-DD")
    study_time: Optional[str] = Field(None, description="HH:MM, 24-hour")
    weight: Optional[Weight] = None


class PriorReport(WireModel):
    report_text: str
    external_study_id: Optional[str] = None
    modality: Optional[str] = None
    study_date: Optional[str] = None
    study_description: Optional[str] = None


class UserReference(WireModel):
    email: str
    user_id: str
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    middle_name: Optional[str] = None
    suffix1: Optional[str] = None
    suffix2: Optional[str] = None


class APIKeyReference(WireModel):
    api_key_id: str
    description: str = Field(description="The API key's name.")
    is_clinical_context_enrichment_enabled: Optional[bool] = None
    is_viewer_enabled: Optional[bool] = None


class ReportIdWithStatus(WireModel):
    report_id: str
    status: wire.REPORT_STATUS.type
    is_critical: Optional[bool] = None


class Ack(WireModel):
    """What the action endpoints answer."""

    success: bool
    message: Optional[str] = None


# Studies -----------------------------------------------------------------------------------------


class Study(WireModel):
    study_id: str
    study_instance_uid: str
    study_description: str
    severity: wire.SEVERITY.type
    study_report_status: wire.STUDY_REPORT_STATUS.type
    is_cancelled: bool
    report_metadata: StudyReportMetadata
    cancelled_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    assigned_to: Optional[UserReference] = None
    clinical_history: Optional[str] = None
    clinical_indication: Optional[str] = None
    created_by_api_key: Optional[APIKeyReference] = None
    created_by_user: Optional[UserReference] = None
    external_patient_id: Optional[str] = None
    is_critical: Optional[bool] = None
    metadata: Optional[dict[str, str]] = None
    modality: Optional[str] = None
    prior_reports: Optional[list[PriorReport]] = None
    report_ids: Optional[list[ReportIdWithStatus]] = None
    study_type: Optional[wire.STUDY_TYPE.type] = None
    technologist_notes: Optional[list[str]] = None
    technologist_technique: Optional[str] = None


class StudyPage(WireModel):
    studies: list[Study]
    cursor: Optional[str] = None
    has_more: Optional[bool] = None


class RerouteUrl(WireModel):
    url: str


class StudyFields(WireModel):
    """The body of studies.update: every field optional (nullable ones may be null)."""

    assigned_to: Optional[str] = None
    clinical_history: Optional[str] = None
    clinical_indication: Optional[str] = None
    express_customer_id: Optional[str] = Field(None, description="Not supported here: must be absent or null.")
    external_patient_id: Optional[str] = None
    metadata: Optional[dict[str, str]] = None
    modality: Optional[str] = None
    prior_reports: Optional[list[PriorReport]] = None
    report_metadata: Optional[StudyReportMetadata] = None
    severity: Optional[wire.SEVERITY.type] = None
    study_description: Optional[str] = None
    technologist_notes: Optional[list[str]] = None
    technologist_technique: Optional[str] = None


class CreateStudyBody(StudyFields):
    """The body of studies.create."""

    report_metadata: StudyReportMetadata
    severity: wire.SEVERITY.type
    study_description: str
    study_instance_uid: str


class StudyKeyBody(WireModel):
    """Exactly one of studyId and studyInstanceUid (studies.cancel / uncancel)."""

    study_id: Optional[str] = None
    study_instance_uid: Optional[str] = None


class RerouteBody(StudyKeyBody):
    assigned_to_user_id: str


class ViewerOnlyRerouteBody(StudyKeyBody):
    user_id: Optional[str] = None


# Reports -----------------------------------------------------------------------------------------


class Report(WireModel):
    report_id: str
    study_id: str
    user_id: str
    status: wire.REPORT_STATUS.type
    is_addendum: bool
    snapshot_metadata: StudyReportMetadata
    is_critical: Optional[bool] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    signed_at: Optional[datetime] = None
    report_plain_text: Optional[str] = None


class ReportList(WireModel):
    reports: list[Report]
    study_id: str
    study_instance_uid: str


class ReportTextItem(WireModel):
    report_id: str
    study_id: str
    study_instance_uid: str
    snapshot_metadata: StudyReportMetadata
    is_critical: Optional[bool] = None
    plain_text: Optional[str] = None


class ReportTextList(WireModel):
    reports: list[ReportTextItem]
    study_id: str
    study_instance_uid: str


class ReportPdfItem(WireModel):
    report_id: str
    study_id: str
    study_instance_uid: str
    snapshot_metadata: StudyReportMetadata
    presigned_url: str
    is_critical: Optional[bool] = None


class ReportPdfList(WireModel):
    reports: list[ReportPdfItem]
    study_id: str
    study_instance_uid: str


# Users and invitations ---------------------------------------------------------------------------


class Person(WireModel):
    """What users and invitations both say of the person."""

    can_create_reports: bool
    can_manage_studies: bool
    clinic_role: wire.CLINIC_ROLE.type
    email: str
    first_name: str
    has_dashboard_access: bool
    invited_source: wire.INVITED_SOURCE.type
    last_name: str
    middle_name: Optional[str] = None
    npi_number: Optional[str] = None
    phone_number: Optional[str] = None
    suffix1: Optional[str] = None
    suffix2: Optional[str] = None


class User(Person):
    user_id: str
    level: wire.USER_LEVEL.type
    created_at: Optional[datetime] = None
    last_login_at: Optional[datetime] = None


class InvitedUser(User):
    """users.invite's answer: an invited user is never the owner."""

    level: wire.ASSIGNABLE_USER_LEVEL.type


class UserPage(WireModel):
    users: list[User]
    cursor: Optional[str] = None
    has_more: Optional[bool] = None


class Invitation(Person):
    invitation_id: str
    clinic_id: str
    user_id: str
    level: wire.USER_LEVEL.type
    status: wire.INVITATION_STATUS.type
    inviter_id: str = Field(
        description="Who sent the invitation: the inviting user's ID (usr_…), or, when an API key "
        "invited, that API key's ID (key_…, also in invitedByApiKeyId)."
    )
    invited_by_api_key_id: Optional[str] = None
    expiry: Optional[datetime] = None
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None


class InvitationPage(WireModel):
    invitations: list[Invitation]
    cursor: Optional[str] = None
    has_more: Optional[bool] = None


class PersonFields(WireModel):
    """The body of users.update and invitations.update: every field optional."""

    can_create_reports: Optional[bool] = None
    can_manage_studies: Optional[bool] = None
    clinic_role: Optional[wire.CLINIC_ROLE.type] = None
    first_name: Optional[str] = None
    has_dashboard_access: Optional[bool] = None
    last_name: Optional[str] = None
    level: Optional[wire.ASSIGNABLE_USER_LEVEL.type] = None
    middle_name: Optional[str] = None
    npi_number: Optional[str] = Field(None, description="Required (10 digits) when canCreateReports.")
    phone_number: Optional[str] = None
    suffix1: Optional[str] = None
    suffix2: Optional[str] = None


class InviteBody(PersonFields):
    """The body of users.invite."""

    can_create_reports: bool
    can_manage_studies: bool
    clinic_role: wire.CLINIC_ROLE.type
    email: str
    first_name: str
    has_dashboard_access: bool
    last_name: str
    level: wire.ASSIGNABLE_USER_LEVEL.type


class UserKeyBody(WireModel):
    """users.revoke_access / reactivate."""

    user_id: str


class InvitationKeyBody(WireModel):
    """invitations.revoke: the invitation's ID, its user's ID (their latest invitation), or both."""

    invitation_id: Optional[str] = None
    user_id: Optional[str] = None
