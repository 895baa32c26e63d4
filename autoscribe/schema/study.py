"""Study, its nested types and inputs, and the study queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from autoscribe.db import models
from autoscribe.operations import studies
from autoscribe.operations.loaders import NOT_LOADED, loaded
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.enums import HeightUnit, Severity, Sex, StudyOrder, StudyReportStatus, WeightUnit
from autoscribe.schema.from_row import from_json, from_row
from autoscribe.schema.inputs import given
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection
from autoscribe.schema.selection import selects

if TYPE_CHECKING:
    from autoscribe.schema.report import Report, ReportIdWithStatus
    from autoscribe.schema.user import User


@strawberry.type
class Height:
    value: float
    unit: HeightUnit


@strawberry.type
class Weight:
    value: float
    unit: WeightUnit


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _enum(cls):
    return lambda value: cls(value) if value else None


def _measure(cls, unit):
    return lambda value: cls(value=value["value"], unit=unit(value["unit"])) if value else None


@from_json(
    date_of_birth=_date,
    height=_measure(Height, HeightUnit),
    sex=_enum(Sex),
    study_date=_date,
    weight=_measure(Weight, WeightUnit),
)
@strawberry.type
class StudyReportMetadata:
    age: str | None = None
    date_of_birth: date | None = None
    facility_name: str | None = None
    height: Height | None = None
    mrn: str | None = None
    patient_name: str | None = None
    procedure: str | None = None
    referring_physician_name: str | None = None
    sex: Sex | None = None
    study_date: date | None = None
    study_time: str | None = strawberry.field(default=None, description="HH:MM, 24-hour.")
    weight: Weight | None = None


@from_json(study_date=_date)
@strawberry.type
class PriorReport:
    report_text: str
    external_study_id: str | None = None
    modality: str | None = None
    study_date: date | None = None
    study_description: str | None = None


async def _user_of(pending) -> User | None:
    from autoscribe.schema.user import User

    row = await pending
    return User.of(row) if row else None


@from_row(
    models.Study,
    technologist_notes=lambda row: list(row.technologist_notes or []),
    metadata=lambda row: dict(row.extra_metadata or {}),
)
@strawberry.type
class Study(Node):
    id: strawberry.ID
    study_instance_uid: str
    study_description: str
    severity: Severity
    study_report_status: StudyReportStatus
    is_cancelled: bool
    cancelled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    clinical_history: str | None
    clinical_indication: str | None
    modality: str | None
    external_patient_id: str | None
    technologist_notes: list[str]
    technologist_technique: str | None
    metadata: JSON = strawberry.field(description="Flat map of string keys to string values.")
    is_critical: bool | None = strawberry.field(
        description="Whether the primary report was marked critical at sign-off; null until it is signed."
    )
    created_by_api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key that created the study; null when a user did (see createdByUser)."
    )
    row: strawberry.Private[models.Study]

    @strawberry.field(description="The user whose session created the study; null when an API key did.")
    def created_by_user(
        self, info: strawberry.Info
    ) -> Annotated[User, strawberry.lazy("autoscribe.schema.user")] | None:
        return self._user(info, self.row.created_by_user_id)

    @strawberry.field
    def report_metadata(self) -> StudyReportMetadata:
        return StudyReportMetadata.of(self.row.report_metadata)

    @strawberry.field
    def prior_reports(self) -> list[PriorReport]:
        return [PriorReport.of(p) for p in self.row.prior_reports or []]

    @strawberry.field
    def assigned_to(
        self, info: strawberry.Info
    ) -> Annotated[User, strawberry.lazy("autoscribe.schema.user")] | None:
        return self._user(info, self.row.assigned_to_id)

    @staticmethod
    def _user(info: strawberry.Info, user_id: str | None):
        # Answered at once when there is no user or the user is loaded already (a page of
        # studies preloads its assignees): no coroutine, no task, no batch round per study.
        from autoscribe.schema.user import User

        if user_id is None:
            return None
        loader = info.context.loaders.user
        row = loaded(loader, user_id)
        if row is NOT_LOADED:
            return _user_of(loader.load(user_id))
        return User.of(row) if row else None

    @strawberry.field(description="Every report of the study, the primary first, then addenda oldest first.")
    async def reports(self, info: strawberry.Info) -> list[Annotated[Report, strawberry.lazy("autoscribe.schema.report")]]:
        from autoscribe.schema.report import Report

        return [Report.of(r) for r in await info.context.loaders.reports_of_study.load(self.id)]

    @strawberry.field
    async def report_ids(
        self, info: strawberry.Info
    ) -> list[Annotated[ReportIdWithStatus, strawberry.lazy("autoscribe.schema.report")]]:
        from autoscribe.schema.report import ReportIdWithStatus

        return [
            ReportIdWithStatus(report_id=r.id, status=r.status, is_critical=r.is_critical)
            for r in await info.context.loaders.reports_of_study.load(self.id)
        ]


@strawberry.type
class StudyConnection(Connection[Study]):
    pass


@strawberry.input
class StudyFilter:
    assigned_to: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A user ID; an explicit null selects the unassigned studies."
    )
    is_cancelled: bool | None = UNSET
    severity: list[Severity] | None = UNSET
    study_report_status: list[StudyReportStatus] | None = UNSET
    study_description: str | None = strawberry.field(
        default=UNSET, description="Case-insensitive substring of the study description."
    )
    study_instance_uid: str | None = UNSET
    created_after: datetime | None = UNSET
    created_before: datetime | None = UNSET


@strawberry.input
class HeightInput:
    value: float
    unit: HeightUnit


@strawberry.input
class WeightInput:
    value: float
    unit: WeightUnit


@strawberry.input
class StudyReportMetadataInput:
    age: str | None = UNSET
    date_of_birth: date | None = UNSET
    facility_name: str | None = UNSET
    height: HeightInput | None = UNSET
    mrn: str | None = UNSET
    patient_name: str | None = UNSET
    procedure: str | None = UNSET
    referring_physician_name: str | None = UNSET
    sex: Sex | None = UNSET
    study_date: date | None = UNSET
    study_time: str | None = UNSET
    weight: WeightInput | None = UNSET


@strawberry.input
class PriorReportInput:
    report_text: str
    external_study_id: str | None = UNSET
    modality: str | None = UNSET
    study_date: date | None = UNSET
    study_description: str | None = UNSET


@strawberry.input
class CreateStudyInput:
    study_instance_uid: str
    study_description: str
    severity: Severity
    report_metadata: StudyReportMetadataInput
    assigned_to: strawberry.ID | None = UNSET
    clinical_history: str | None = UNSET
    clinical_indication: str | None = UNSET
    modality: str | None = UNSET
    external_patient_id: str | None = UNSET
    technologist_notes: list[str] | None = UNSET
    technologist_technique: str | None = UNSET
    metadata: JSON | None = UNSET
    prior_reports: list[PriorReportInput] | None = UNSET


@strawberry.input(description="Only the fields that are given change; an explicit null clears a nullable field.")
class UpdateStudyInput:
    study_description: str | None = UNSET
    severity: Severity | None = UNSET
    report_metadata: StudyReportMetadataInput | None = strawberry.field(
        default=UNSET,
        description="Metadata fields given here are merged into the study's; an explicit null clears one.",
    )
    assigned_to: strawberry.ID | None = strawberry.field(
        default=UNSET, description="A user ID, or null to unassign."
    )
    clinical_history: str | None = UNSET
    clinical_indication: str | None = UNSET
    modality: str | None = UNSET
    external_patient_id: str | None = UNSET
    technologist_notes: list[str] | None = UNSET
    technologist_technique: str | None = UNSET
    metadata: JSON | None = UNSET
    prior_reports: list[PriorReportInput] | None = UNSET


async def assigned_studies(
    info: strawberry.Info, filter: StudyFilter | None, order_by: StudyOrder, first: int, after: str | None, user_id: str
) -> StudyConnection:
    """A user's worklist: the studies assigned to them (used by User.assignedStudies)."""
    flt = given(filter) or {}
    flt["assignedTo"] = user_id
    principal = await info.context.principal()
    page = await studies.list_studies(
        info.context.svc, principal, filter=flt, order=order_by or StudyOrder.PRIORITY, first=first, after=after,
        scope_suffix=f":user:{user_id}",
    )
    return StudyConnection.of(page, Study.of)


@strawberry.type
class StudyQuery:
    @strawberry.field(description="Exactly one of id and studyInstanceUid.")
    async def study(
        self, info: strawberry.Info, id: strawberry.ID | None = None, study_instance_uid: str | None = None
    ) -> Study | None:
        principal = await info.context.principal()
        row = await studies.get_study(info.context.svc, principal, id=id, uid=study_instance_uid)
        return Study.of(row) if row else None

    @strawberry.field
    async def studies(
        self,
        info: strawberry.Info,
        filter: StudyFilter | None = None,
        order_by: StudyOrder | None = StudyOrder.CREATED_AT_DESC,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> StudyConnection:
        principal = await info.context.principal()
        page = await studies.list_studies(
            info.context.svc, principal, filter=given(filter),
            order=order_by or StudyOrder.CREATED_AT_DESC, first=first, after=after,
        )
        if selects(info.selected_fields, "assignedTo"):
            await info.context.loaders.preload_users(row.assigned_to_id for row in page.rows)
        return StudyConnection.of(page, Study.of)


@strawberry.type
class StudyMutation:
    @strawberry.mutation
    async def create_study(self, info: strawberry.Info, input: CreateStudyInput) -> Study:
        principal = await info.context.principal()
        return Study.of(await studies.create_study(info.context.svc, principal, given(input)))

    @strawberry.mutation
    async def update_study(self, info: strawberry.Info, id: strawberry.ID, input: UpdateStudyInput) -> Study:
        principal = await info.context.principal()
        return Study.of(await studies.update_study(info.context.svc, principal, id, given(input)))

    @strawberry.mutation
    async def cancel_study(
        self, info: strawberry.Info, id: strawberry.ID | None = None, study_instance_uid: str | None = None
    ) -> Study:
        principal = await info.context.principal()
        return Study.of(
            await studies.set_cancelled(info.context.svc, principal, id=id, uid=study_instance_uid, cancelled=True)
        )

    @strawberry.mutation
    async def uncancel_study(
        self, info: strawberry.Info, id: strawberry.ID | None = None, study_instance_uid: str | None = None
    ) -> Study:
        principal = await info.context.principal()
        return Study.of(
            await studies.set_cancelled(info.context.svc, principal, id=id, uid=study_instance_uid, cancelled=False)
        )
