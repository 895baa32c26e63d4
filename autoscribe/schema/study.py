"""Study, its nested types and inputs, and the study queries and mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.unset import UNSET

from autoscribe.db import models
from autoscribe.operations import studies
from autoscribe.operations.loaders import NOT_LOADED, loaded
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.descriptions import (
    AFTER,
    CREATED_AT,
    FIRST,
    STUDY_BY_ID,
    STUDY_BY_UID,
    described,
    id_of,
)
from autoscribe.schema.enums import HeightUnit, Severity, Sex, StudyOrder, StudyReportStatus, WeightUnit
from autoscribe.schema.from_row import from_json, from_row, parsed
from autoscribe.schema.inputs import given
from autoscribe.schema.node import Node
from autoscribe.schema.pagination import Connection
from autoscribe.schema.selection import selects

if TYPE_CHECKING:
    from autoscribe.schema.report import Report, ReportIdWithStatus
    from autoscribe.schema.user import User

# A study's fields, each described once for the type and its inputs (the limits: operations.study_rules).
_F = {
    "study_instance_uid": "The DICOM Study Instance UID: digits and dots, no empty or zero-led component, at most "
    "64 characters; unique within the clinic.",
    "study_description": "What was imaged: required, not blank, at most 2,000 characters.",
    "severity": "How urgently it is to be read.",
    "clinical_history": "The patient's relevant history, from the referrer (at most 10,000 characters).",
    "clinical_indication": "Why the study was ordered (at most 10,000 characters).",
    "modality": "The DICOM modality (CT, MR, US, …), at most 64 characters.",
    "external_patient_id": "The patient's ID in the sending system (at most 200 characters).",
    "technologist_notes": "The technologist's notes, in order: at most 50, each at most 1,000 characters.",
    "technologist_technique": "How the images were acquired, from the technologist (at most 10,000 characters).",
    "metadata": "The integrator's own data: a flat object of string keys (1 to 100 characters) to string values "
    "(at most 1,000 characters), at most 50 pairs.",
    "report_metadata": "The patient and study details printed on the report.",
    "prior_reports": "Reports of the patient's earlier studies, for comparison: at most 50.",
    "assigned_to": "The radiologist to read it (usr_ and 32 lowercase hex digits): an ACTIVE user of the clinic "
    "with canCreateReports, else BAD_USER_INPUT.",
}
# The report metadata's fields (operations.study_rules.ReportMetadataRules).
_M = {
    "age": "The patient's age, as the order writes it (at most 20 characters).",
    "date_of_birth": "The patient's date of birth.",
    "facility_name": "Where the study was done (at most 500 characters).",
    "height": "The patient's height.",
    "mrn": "The patient's medical record number (at most 200 characters).",
    "patient_name": "The patient's name as the order gives it (at most 500 characters).",
    "procedure": "The procedure performed (at most 1,000 characters).",
    "referring_physician_name": "Who ordered the study (at most 500 characters).",
    "sex": "The patient's sex.",
    "study_date": "The day of the study.",
    "study_time": "The time of day of the study: HH:MM, 24-hour.",
    "weight": "The patient's weight.",
}
# A prior report's fields (operations.study_rules.PriorReportRules).
_P = {
    "report_text": "The prior report's text: not blank, at most 100,000 characters.",
    "external_study_id": "The prior study's ID in the sending system (at most 200 characters).",
    "modality": "The prior study's DICOM modality (at most 64 characters).",
    "study_date": "The day of the prior study.",
    "study_description": "What the prior study imaged (at most 1,000 characters).",
}
_VALUE = "A positive number."
_STUDY_ID = id_of("study", "The study's ID")
_STUDY_KEY = "Exactly one of id and studyInstanceUid names the study."


@strawberry.type(description="A measured height.")
class Height:
    value: float = strawberry.field(description=_VALUE)
    unit: HeightUnit = strawberry.field(description="The unit of value.")


@strawberry.type(description="A measured weight.")
class Weight:
    value: float = strawberry.field(description=_VALUE)
    unit: WeightUnit = strawberry.field(description="The unit of value.")


_date = parsed(date.fromisoformat)


def _enum(cls):
    return parsed(cls, {member.value: member for member in cls})


def _measure(cls, unit):
    return parsed(lambda value: cls(value=value["value"], unit=unit(value["unit"])))


@from_json(
    date_of_birth=_date,
    height=_measure(Height, HeightUnit),
    sex=_enum(Sex),
    study_date=_date,
    weight=_measure(Weight, WeightUnit),
)
@strawberry.type(
    description="The patient and study details a report prints (patient demographics); each null when not given."
)
class StudyReportMetadata:
    age: str | None = strawberry.field(default=None, description=_M["age"])
    date_of_birth: date | None = strawberry.field(default=None, description=_M["date_of_birth"])
    facility_name: str | None = strawberry.field(default=None, description=_M["facility_name"])
    height: Height | None = strawberry.field(default=None, description=_M["height"])
    mrn: str | None = strawberry.field(default=None, description=_M["mrn"])
    patient_name: str | None = strawberry.field(default=None, description=_M["patient_name"])
    procedure: str | None = strawberry.field(default=None, description=_M["procedure"])
    referring_physician_name: str | None = strawberry.field(default=None, description=_M["referring_physician_name"])
    sex: Sex | None = strawberry.field(default=None, description=_M["sex"])
    study_date: date | None = strawberry.field(default=None, description=_M["study_date"])
    study_time: str | None = strawberry.field(default=None, description=_M["study_time"])
    weight: Weight | None = strawberry.field(default=None, description=_M["weight"])


@from_json(study_date=_date)
@strawberry.type(description="A report of one of the patient's earlier studies, given with the study for comparison.")
class PriorReport:
    report_text: str = strawberry.field(description=_P["report_text"])
    external_study_id: str | None = strawberry.field(default=None, description=_P["external_study_id"])
    modality: str | None = strawberry.field(default=None, description=_P["modality"])
    study_date: date | None = strawberry.field(default=None, description=_P["study_date"])
    study_description: str | None = strawberry.field(default=None, description=_P["study_description"])


async def _user_of(pending) -> User | None:
    from autoscribe.schema.user import User

    row = await pending
    return User.of(row) if row else None


@from_row(
    models.Study,
    technologist_notes=lambda row: list(row.technologist_notes or []),
    metadata=lambda row: dict(row.extra_metadata or {}),
)
@strawberry.type(
    description="A scan waiting to be read, or read: its DICOM identity, the patient details, who reads it and "
    "where its report workflow stands."
)
class Study(Node):
    id: strawberry.ID = strawberry.field(description=_STUDY_ID)
    study_instance_uid: str = strawberry.field(description=_F["study_instance_uid"] + " It never changes.")
    study_description: str = strawberry.field(description=_F["study_description"])
    severity: Severity = strawberry.field(description=_F["severity"])
    study_report_status: StudyReportStatus = strawberry.field(description="Where its report workflow stands.")
    is_cancelled: bool = strawberry.field(
        description="Cancelled by cancelStudy: no report can be started, saved or signed on it until uncancelStudy."
    )
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled; null unless isCancelled.")
    created_at: datetime = strawberry.field(description=CREATED_AT)
    updated_at: datetime = strawberry.field(
        description="When it last changed: its fields, assignment, cancellation or report workflow (UTC)."
    )
    clinical_history: str | None = strawberry.field(description=_F["clinical_history"])
    clinical_indication: str | None = strawberry.field(description=_F["clinical_indication"])
    modality: str | None = strawberry.field(description=_F["modality"])
    external_patient_id: str | None = strawberry.field(description=_F["external_patient_id"])
    technologist_notes: list[str] = strawberry.field(description=_F["technologist_notes"] + " Empty when none.")
    technologist_technique: str | None = strawberry.field(description=_F["technologist_technique"])
    metadata: JSON = strawberry.field(description=_F["metadata"] + " {} when none.")
    is_critical: bool | None = strawberry.field(
        description="Whether the primary report was marked critical at sign-off; null until it is signed."
    )
    created_by_api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key that created the study (key_ and 32 lowercase hex digits); null when a user did "
        "(see createdByUser)."
    )
    row: strawberry.Private[models.Study]

    @strawberry.field(description="The user whose session created the study; null when an API key did.")
    def created_by_user(
        self, info: strawberry.Info
    ) -> Annotated[User, strawberry.lazy("autoscribe.schema.user")] | None:
        return self._user(info, self.row.created_by_user_id)

    @strawberry.field(description=_F["report_metadata"])
    def report_metadata(self) -> StudyReportMetadata:
        return StudyReportMetadata.of(self.row.report_metadata)

    @strawberry.field(description=_F["prior_reports"] + " Empty when none.")
    def prior_reports(self) -> list[PriorReport]:
        return [PriorReport.of(p) for p in self.row.prior_reports or []]

    @strawberry.field(description="The radiologist who is to read it; null while UNASSIGNED.")
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

    @strawberry.field(description="Each report's ID, status and critical flag, in the order of reports.")
    async def report_ids(
        self, info: strawberry.Info
    ) -> list[Annotated[ReportIdWithStatus, strawberry.lazy("autoscribe.schema.report")]]:
        from autoscribe.schema.report import ReportIdWithStatus

        return [
            ReportIdWithStatus(report_id=r.id, status=r.status, is_critical=r.is_critical)
            for r in await info.context.loaders.reports_of_study.load(self.id)
        ]


@strawberry.type(description="A page of studies.")
class StudyConnection(Connection[Study]):
    pass


@strawberry.input(
    description="Which studies to keep: every field given must match (absent fields and nulls, but for assignedTo, "
    "keep all). A worklist subscription weighs each study before and after each change by the same rules."
)
class StudyFilter:
    assigned_to: strawberry.ID | None = strawberry.field(
        default=UNSET,
        description="Studies assigned to this user (usr_ and 32 lowercase hex digits); an explicit null keeps the "
        "unassigned ones.",
    )
    is_cancelled: bool | None = strawberry.field(default=UNSET, description="Cancelled studies only, or uncancelled ones only.")
    severity: list[Severity] | None = strawberry.field(default=UNSET, description="Studies of any of these severities.")
    study_report_status: list[StudyReportStatus] | None = strawberry.field(
        default=UNSET, description="Studies in any of these workflow states."
    )
    study_description: str | None = strawberry.field(
        default=UNSET,
        description="Studies whose description contains this text, ignoring case (at most 1,000 characters).",
    )
    study_instance_uid: str | None = strawberry.field(
        default=UNSET, description="The study with exactly this Study Instance UID (at most 1,000 characters)."
    )
    created_after: datetime | None = strawberry.field(
        default=UNSET, description="Created strictly after this time, which must carry its UTC offset."
    )
    created_before: datetime | None = strawberry.field(
        default=UNSET, description="Created strictly before this time, which must carry its UTC offset."
    )


def _given(description: str) -> Any:
    """An input field that may be left out (UNSET), with its description."""
    return strawberry.field(default=UNSET, description=description)


@strawberry.input(description="A measured height.")
class HeightInput:
    value: float = strawberry.field(description=_VALUE)
    unit: HeightUnit = strawberry.field(description="The unit of value.")


@strawberry.input(description="A measured weight.")
class WeightInput:
    value: float = strawberry.field(description=_VALUE)
    unit: WeightUnit = strawberry.field(description="The unit of value.")


@strawberry.input(
    description="The patient and study details a report prints. In updateStudy only the fields given change: "
    "an explicit null removes one."
)
class StudyReportMetadataInput:
    age: str | None = _given(_M["age"])
    date_of_birth: date | None = _given(_M["date_of_birth"])
    facility_name: str | None = _given(_M["facility_name"])
    height: HeightInput | None = _given(_M["height"])
    mrn: str | None = _given(_M["mrn"])
    patient_name: str | None = _given(_M["patient_name"])
    procedure: str | None = _given(_M["procedure"])
    referring_physician_name: str | None = _given(_M["referring_physician_name"])
    sex: Sex | None = _given(_M["sex"])
    study_date: date | None = _given(_M["study_date"])
    study_time: str | None = _given(_M["study_time"])
    weight: WeightInput | None = _given(_M["weight"])


@strawberry.input(description="A report of one of the patient's earlier studies, for comparison.")
class PriorReportInput:
    report_text: str = strawberry.field(description=_P["report_text"])
    external_study_id: str | None = _given(_P["external_study_id"])
    modality: str | None = _given(_P["modality"])
    study_date: date | None = _given(_P["study_date"])
    study_description: str | None = _given(_P["study_description"])


@strawberry.input(description="The fields a study's create and update inputs share, each optional.")
class StudyDetails:
    clinical_history: str | None = _given(_F["clinical_history"])
    clinical_indication: str | None = _given(_F["clinical_indication"])
    modality: str | None = _given(_F["modality"])
    external_patient_id: str | None = _given(_F["external_patient_id"])
    technologist_notes: list[str] | None = _given(_F["technologist_notes"])
    technologist_technique: str | None = _given(_F["technologist_technique"])
    metadata: JSON | None = _given(_F["metadata"])
    prior_reports: list[PriorReportInput] | None = _given(_F["prior_reports"])


@strawberry.input(description="A new study.")
class CreateStudyInput(StudyDetails):
    study_instance_uid: str = strawberry.field(
        description=_F["study_instance_uid"] + " A second study with the same UID is CONFLICT."
    )
    study_description: str = strawberry.field(description=_F["study_description"])
    severity: Severity = strawberry.field(description=_F["severity"])
    report_metadata: StudyReportMetadataInput = strawberry.field(
        description=_F["report_metadata"] + " {} when none is known yet."
    )
    assigned_to: strawberry.ID | None = _given(_F["assigned_to"] + " Given, the study starts ASSIGNED; else UNASSIGNED.")


@strawberry.input(
    description="Only the fields that are given change; an explicit null clears a nullable field; lists are "
    "replaced whole."
)
class UpdateStudyInput(StudyDetails):
    study_description: str | None = _given(_F["study_description"] + " Cannot be null.")
    severity: Severity | None = _given(_F["severity"] + " Cannot be null.")
    report_metadata: StudyReportMetadataInput | None = _given(
        "Merged field by field into the study's: the fields given change, an explicit null removes one."
    )
    assigned_to: strawberry.ID | None = _given(
        _F["assigned_to"] + " Null unassigns. Only while the study is UNASSIGNED or ASSIGNED (else CONFLICT)."
    )


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


_ById = Annotated[strawberry.ID | None, strawberry.argument(description=STUDY_BY_ID)]
_ByUid = Annotated[str | None, strawberry.argument(description=STUDY_BY_UID)]
_CANCEL = (
    "Cancels the study: isCancelled and cancelledAt are set, everything else is kept, and no report can be started, "
    "saved or signed on it until uncancelStudy. Cancelling a cancelled study changes nothing."
)
_UNCANCEL = (
    "Restores a cancelled study, with its workflow status as it was. Restoring one that is not cancelled changes "
    "nothing."
)


@strawberry.type
class StudyQuery:
    @strawberry.field(description=described(
        "One study of the clinic, by exactly one of id and studyInstanceUid; null when there is none.",
        studies.get_study,
    ))
    async def study(self, info: strawberry.Info, id: _ById = None, study_instance_uid: _ByUid = None) -> Study | None:
        principal = await info.context.principal()
        row = await studies.get_study(info.context.svc, principal, id=id, uid=study_instance_uid)
        return Study.of(row) if row else None

    @strawberry.field(description=described("The clinic's studies: a worklist, one page at a time.", studies.list_studies))
    async def studies(
        self,
        info: strawberry.Info,
        filter: Annotated[StudyFilter | None, strawberry.argument(description="Which studies; all when absent.")] = None,
        order_by: Annotated[StudyOrder | None, strawberry.argument(description="The list's order.")] = (
            StudyOrder.CREATED_AT_DESC
        ),
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = DEFAULT_PAGE,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
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
    @strawberry.mutation(description=described(
        "Creates a study, ASSIGNED when assignedTo is given, else UNASSIGNED; worklist subscribers whose filter "
        "it matches get it as ADDED.",
        studies.create_study,
    ))
    async def create_study(
        self, info: strawberry.Info, input: Annotated[CreateStudyInput, strawberry.argument(description="The study.")]
    ) -> Study:
        principal = await info.context.principal()
        return Study.of(await studies.create_study(info.context.svc, principal, given(input)))

    @strawberry.mutation(description=described(
        "Changes the given fields of a study (its studyInstanceUid never changes); assigning or unassigning "
        "works only while it is UNASSIGNED or ASSIGNED.",
        studies.update_study,
    ))
    async def update_study(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=_STUDY_ID)],
        input: Annotated[UpdateStudyInput, strawberry.argument(description="The changes.")],
    ) -> Study:
        principal = await info.context.principal()
        return Study.of(await studies.update_study(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description=described(_CANCEL, studies.set_cancelled))
    async def cancel_study(self, info: strawberry.Info, id: _ById = None, study_instance_uid: _ByUid = None) -> Study:
        principal = await info.context.principal()
        return Study.of(
            await studies.set_cancelled(info.context.svc, principal, id=id, uid=study_instance_uid, cancelled=True)
        )

    @strawberry.mutation(description=described(_UNCANCEL, studies.set_cancelled))
    async def uncancel_study(self, info: strawberry.Info, id: _ById = None, study_instance_uid: _ByUid = None) -> Study:
        principal = await info.context.principal()
        return Study.of(
            await studies.set_cancelled(info.context.svc, principal, id=id, uid=study_instance_uid, cancelled=False)
        )
