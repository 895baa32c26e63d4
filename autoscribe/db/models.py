"""SQLAlchemy models: one table per kind of object, every row owned by a clinic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from autoscribe.db import enums
from autoscribe.db.types import JSONType, UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls):
    return Enum(cls, native_enum=False, length=48, validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _id() -> Mapped[str]:
    return mapped_column(String(36), primary_key=True)


def _clinic_fk() -> Mapped[str]:
    return mapped_column(String(36), ForeignKey("clinics.id", ondelete="CASCADE"), nullable=False)


class Clinic(Base):
    __tablename__ = "clinics"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(200))
    # Last event sequence number handed out; bumped under the row lock of the writing transaction.
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped by every commit that changes any of the clinic's rows (db.versions).
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    name: Mapped[str] = mapped_column(String(200), default="default")
    # SHA-256 of the key; the key itself is shown once and never stored.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the key last authenticated a request, noted at most once a minute (autoscribe.auth).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PersonFields:
    """What an invitation says of the person, and what the user then is."""

    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    middle_name: Mapped[str | None] = mapped_column(String(200))
    suffix1: Mapped[str | None] = mapped_column(String(50))
    suffix2: Mapped[str | None] = mapped_column(String(50))
    phone_number: Mapped[str | None] = mapped_column(String(15))
    npi_number: Mapped[str | None] = mapped_column(String(10))
    clinic_role: Mapped[enums.ClinicRole] = mapped_column(_enum(enums.ClinicRole))
    level: Mapped[enums.UserLevel] = mapped_column(_enum(enums.UserLevel))
    can_create_reports: Mapped[bool] = mapped_column(Boolean, default=False)
    can_manage_studies: Mapped[bool] = mapped_column(Boolean, default=False)
    has_dashboard_access: Mapped[bool] = mapped_column(Boolean, default=False)


class User(PersonFields, Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("clinic_id", "email_lower"),
        Index(None, "clinic_id", "created_at", "id"),
    )
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    email_lower: Mapped[str] = mapped_column(String(320))
    status: Mapped[enums.UserStatus] = mapped_column(_enum(enums.UserStatus))
    invited_source: Mapped[enums.InvitedSource] = mapped_column(_enum(enums.InvitedSource))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on revocation: session tokens minted before it stop working.
    token_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invitation(PersonFields, Base):
    __tablename__ = "invitations"
    __table_args__ = (Index(None, "clinic_id", "created_at", "id"),)
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id"), index=True)
    status: Mapped[enums.InvitationStatus] = mapped_column(_enum(enums.InvitationStatus))
    invited_source: Mapped[enums.InvitedSource] = mapped_column(_enum(enums.InvitedSource))
    inviter_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("users.id"))
    invited_by_api_key_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("api_keys.id"))
    expiry: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Study(Base):
    __tablename__ = "studies"
    __table_args__ = (
        UniqueConstraint("clinic_id", "study_instance_uid"),
        Index(None, "clinic_id", "created_at", "id"),
        Index(None, "clinic_id", "updated_at", "id"),
        Index(None, "clinic_id", "severity_rank", "created_at", "id"),
        Index(None, "clinic_id", "assigned_to_id", "severity_rank", "created_at", "id"),
        Index(None, "clinic_id", "study_report_status"),
    )
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    study_instance_uid: Mapped[str] = mapped_column(String(64))
    study_description: Mapped[str] = mapped_column(Text)
    severity: Mapped[enums.Severity] = mapped_column(_enum(enums.Severity))
    # 0 STAT, 1 HIGH, 2 NORMAL: the PRIORITY order's first key.
    severity_rank: Mapped[int] = mapped_column(Integer)
    study_report_status: Mapped[enums.StudyReportStatus] = mapped_column(
        _enum(enums.StudyReportStatus)
    )
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # camelCase keys as in StudyReportMetadata; absent keys are unset.
    report_metadata: Mapped[dict] = mapped_column(JSONType, default=dict)
    assigned_to_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("users.id"))
    clinical_history: Mapped[str | None] = mapped_column(Text)
    clinical_indication: Mapped[str | None] = mapped_column(Text)
    modality: Mapped[str | None] = mapped_column(String(64))
    external_patient_id: Mapped[str | None] = mapped_column(String(200))
    technologist_notes: Mapped[list] = mapped_column(JSONType, default=list)
    technologist_technique: Mapped[str | None] = mapped_column(Text)
    extra_metadata: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    prior_reports: Mapped[list] = mapped_column(JSONType, default=list)
    is_critical: Mapped[bool | None] = mapped_column(Boolean)
    # Who created the study: the API key, or the user whose session it was (the other is null;
    # both null for studies created before this was recorded).
    created_by_api_key_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("api_keys.id"))
    created_by_user_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("users.id"))


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (Index(None, "study_id", "created_at"),)
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    study_id: Mapped[str] = mapped_column(String(36), ForeignKey("studies.id"))
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id"))
    status: Mapped[enums.ReportStatus] = mapped_column(_enum(enums.ReportStatus))
    is_addendum: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_report_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("reports.id"))
    is_critical: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    snapshot_metadata: Mapped[dict] = mapped_column(JSONType, default=dict)
    plain_text: Mapped[str | None] = mapped_column(Text)
    # The signer as they were at signing: a later change of name or NPI does not alter a signed report.
    signer_name: Mapped[str | None] = mapped_column(String(500))
    signer_npi: Mapped[str | None] = mapped_column(String(10))


class ReportPdf(Base):
    """The rendered PDF of a signed report, kept so that a download costs no rendering."""

    __tablename__ = "report_pdfs"
    report_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    clinic_id: Mapped[str] = _clinic_fk()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PdfRender(Base):
    """A signed report whose PDF is still to be rendered: written in the transaction that signs it,
    deleted in the one that keeps its PDF (ReportPdf), so a signed report is never without one or
    the other, across crashes and restarts too.

    A renderer (live.pdf_renderer) claims the row (claimed_by, claimed_until: a conditional UPDATE
    checked by its rowcount) before it renders, so of several processes one renders it; a claim
    left by a process that died expires. A failed render is tried again at next_attempt_at."""

    __tablename__ = "pdf_renders"
    __table_args__ = (Index(None, "next_attempt_at"),)
    report_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    clinic_id: Mapped[str] = _clinic_fk()
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))


class RerouteGrant(Base):
    """Audit record of each reroute URL handed out, and whether it has been opened (a link opens once)."""

    __tablename__ = "reroute_grants"
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    study_id: Mapped[str] = mapped_column(String(36), ForeignKey("studies.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("users.id"))
    viewer_only: Mapped[bool] = mapped_column(Boolean)
    created_by_api_key_id: Mapped[str | None] = mapped_column(String(36))
    created_by_user_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the one opening that wins (a conditional UPDATE); a refused opening leaves it unset.
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Event(Base):
    """The transactional outbox: one row per committed change of a study or its reports, and one
    per principal whose access ended (kind REVOKED_KIND in db.events: no study, no status), so that
    a subscriber meets a revocation in the log before any event committed after it."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("clinic_id", "seq"),
        Index(None, "occurred_at"),
    )
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    clinic_id: Mapped[str] = _clinic_fk()
    # Per clinic, strictly increasing in commit order.
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(48))
    study_id: Mapped[str | None] = mapped_column(String(36))
    report_id: Mapped[str | None] = mapped_column(String(36))
    status_before: Mapped[str | None] = mapped_column(String(48))
    status_after: Mapped[str | None] = mapped_column(String(48))
    # The study's filterable fields before (null for a new study) and after the change.
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEndpoint(Base):
    """Where a clinic's webhooks go, and how far into the clinic's event log they have been made."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index(None, "clinic_id", "created_at", "id"),)
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list] = mapped_column(JSONType, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The Standard Webhooks secret (whsec_…), kept as it is: an HMAC key must be known to sign.
    # Encrypting it under AUTOSCRIBE_SECRET_KEY would stop every delivery when that key is rotated,
    # and protects only against a leak of the database alone, which holds the patient data anyway.
    # It is shown once, in the answer that creates the endpoint.
    secret: Mapped[str] = mapped_column(String(100))
    # The last seq of the clinic's log whose deliveries to this endpoint exist (live.webhooks).
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: sent until it is answered 2xx or its retries run out.

    A process claims a delivery (claimed_by, claimed_until) before it sends it, so that with
    several processes each attempt is made by one of them; a claim that outlives its process
    expires and the delivery is taken up again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_seq"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "endpoint_id", "created_at", "id"),
    )
    id: Mapped[str] = _id()
    clinic_id: Mapped[str] = _clinic_fk()
    endpoint_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    event_id: Mapped[str] = mapped_column(String(36))
    event_seq: Mapped[int] = mapped_column(BigInteger)
    event_type: Mapped[str] = mapped_column(String(48))
    report_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[enums.WebhookDeliveryStatus] = mapped_column(_enum(enums.WebhookDeliveryStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
