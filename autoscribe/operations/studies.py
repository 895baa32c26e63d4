"""Studies: lookups, the worklist query, and the study mutations with their events."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, Conflict, ErrorCode, NotFound
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import SEVERITY_RANK, Severity, StudyOrder, StudyReportStatus, UserStatus
from autoscribe.db.events import append_event, create_with_event, filter_fields
from autoscribe.db.ids import new_id
from autoscribe.db.models import Study, User
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Order, Page, paginate
from autoscribe.operations.scope import visible
from autoscribe.operations.study_filters import check_filter, study_conditions
from autoscribe.operations.study_rules import CreateStudyRules, StudyRules, UpdateStudyRules
from autoscribe.operations.validation import check_id, given, validate

ORDERS = {
    StudyOrder.CREATED_AT_DESC: Order("cd", ((Study.created_at, True), (Study.id, True))),
    StudyOrder.CREATED_AT_ASC: Order("ca", ((Study.created_at, False), (Study.id, False))),
    StudyOrder.UPDATED_AT_DESC: Order("ud", ((Study.updated_at, True), (Study.id, True))),
    StudyOrder.PRIORITY: Order(
        "pr", ((Study.severity_rank, False), (Study.created_at, False), (Study.id, False))
    ),
}

# While a report is being dictated, the assignment is fixed.
ASSIGNABLE = (StudyReportStatus.UNASSIGNED, StudyReportStatus.ASSIGNED)


def _study_key(id: str | None, uid: str | None) -> tuple[str | None, str | None]:
    """Exactly one of id and studyInstanceUid, the ID well-formed."""
    if (id is None) == (uid is None):
        raise BadInput("Give exactly one of id and studyInstanceUid.", field="id" if id else "studyInstanceUid")
    if id is not None:
        check_id(id, "study", "id")
    return id, uid


def _by_key(principal: Principal, id: str | None, uid: str | None):
    query = select(Study).where(*visible(Study, principal))
    return query.where(Study.id == id) if id is not None else query.where(Study.study_instance_uid == uid)


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def get_study(
    svc: Services, principal: Principal, *, id: str | None = None, uid: str | None = None
) -> Study | None:
    id, uid = _study_key(id, uid)
    async with svc.db.read() as session:
        return await session.scalar(_by_key(principal, id, uid))


async def lock_study(
    session: AsyncSession,
    principal: Principal,
    *,
    id: str | None = None,
    uid: str | None = None,
    not_found_field: str | None = None,
) -> Study:
    """The study, locked for this transaction's changes; NOT_FOUND when the clinic has none such."""
    id, uid = _study_key(id, uid)
    study = await session.scalar(_by_key(principal, id, uid).with_for_update())
    if study is None:
        raise NotFound("No such study.", field=not_found_field or ("id" if id else "studyInstanceUid"))
    return study


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def list_studies(
    svc: Services,
    principal: Principal,
    *,
    filter: dict | None,
    order: StudyOrder,
    first: int,
    after: str | None,
    scope_suffix: str = "",
) -> Page[Study]:
    return await paginate(
        svc.db, svc.signer, scope=list_scope(principal, scope_suffix), query=list_query(select(Study), principal, filter),
        order=ORDERS[order], first=first, after=after,
    )


def list_query(query: Select, principal: Principal, filter: dict | None) -> Select:
    """`query` (of Study, or of its columns) kept to the studies the caller sees that match the filter."""
    return query.where(*visible(Study, principal), *study_conditions(check_filter(filter)))


def list_scope(principal: Principal, scope_suffix: str = "") -> str:
    """What a list's cursors are bound to: the clinic's studies (`scope_suffix`: of one user)."""
    return f"studies:{principal.clinic_id}{scope_suffix}"


async def assignable_user(session: AsyncSession, principal: Principal, user_id: str, field: str) -> User:
    """An ACTIVE user of the clinic who can create reports, else BAD_USER_INPUT on `field`."""
    check_id(user_id, "user", field)
    user = await session.scalar(
        select(User).where(User.id == user_id, User.clinic_id == principal.clinic_id)
    )
    if user is None:
        raise BadInput("No such user.", field=field)
    if user.status != UserStatus.ACTIVE or not user.can_create_reports:
        raise BadInput("The user must be active and able to create reports.", field=field)
    return user


def assign(study: Study, user_id: str | None) -> None:
    """Set or clear the assignee; only while no report is being dictated."""
    if study.study_report_status not in ASSIGNABLE:
        raise Conflict(
            f"The study is {study.study_report_status.value}: its assignment cannot change now.",
            field="assignedTo",
        )
    study.assigned_to_id = user_id
    study.study_report_status = StudyReportStatus.ASSIGNED if user_id else StudyReportStatus.UNASSIGNED


async def lock_assigned_to(session: AsyncSession, user: User) -> list[Study]:
    """The user's studies that are assigned but not started (ASSIGNED), locked for this transaction."""
    rows = await session.scalars(
        select(Study)
        .where(Study.clinic_id == user.clinic_id, Study.assigned_to_id == user.id,
               Study.study_report_status == StudyReportStatus.ASSIGNED)
        .order_by(Study.id)
        .with_for_update()
    )
    return list(rows)


async def unassign(session: AsyncSession, studies: list[Study]) -> None:
    """The studies (locked) return to UNASSIGNED, each with its study.unassigned event."""
    for study in studies:
        before, status_before = filter_fields(study), study.study_report_status.value
        assign(study, None)
        study.updated_at = utcnow()
        await append_event(session, study, "study.unassigned", before=before, status_before=status_before,
                           at=study.updated_at)


# The fields of a study's input that _apply stores in their own way, or that its callers set.
_NOT_PLAIN = {"severity", "technologist_notes", "prior_reports", "metadata", "report_metadata", "assigned_to"}
# camelCase input name -> column, for the rest: stored as given, in the column of the rules field's name.
_PLAIN = {field.alias: name for name, field in StudyRules.model_fields.items() if name not in _NOT_PLAIN}


def _apply(study: Study, data: dict) -> None:
    """Set the plain fields given in `data` (validated, camelCase)."""
    for key, attr in _PLAIN.items():
        if key in data:
            setattr(study, attr, data[key])
    if "severity" in data:
        study.severity = Severity(data["severity"])
        study.severity_rank = SEVERITY_RANK[study.severity]
    lists = {"technologistNotes": "technologist_notes", "priorReports": "prior_reports"}
    for key, attr in lists.items():
        if key in data:
            setattr(study, attr, data[key] or [])
    if "metadata" in data:
        study.extra_metadata = data["metadata"] or {}
    if "reportMetadata" in data:
        merged = dict(study.report_metadata or {})
        for key, value in data["reportMetadata"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        study.report_metadata = merged


@operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.CONFLICT})
async def create_study(svc: Services, principal: Principal, data: dict) -> Study:
    rules = validate(CreateStudyRules, data)
    values = given(rules)
    now = utcnow()
    study = Study(
        id=new_id("study"),
        clinic_id=principal.clinic_id,
        study_instance_uid=rules.study_instance_uid,
        study_report_status=StudyReportStatus.UNASSIGNED,
        is_cancelled=False,
        report_metadata={},
        technologist_notes=[],
        prior_reports=[],
        extra_metadata={},
        created_by_api_key_id=principal.api_key_id,
        created_by_user_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(study, values)
    try:
        if values.get("assignedTo") or svc.db.is_sqlite:
            async with svc.db.write() as session:
                if values.get("assignedTo"):
                    await assignable_user(session, principal, values["assignedTo"], "input.assignedTo")
                    assign(study, values["assignedTo"])
                session.add(study)
                await session.flush()
                await append_event(session, study, "study.created", before=None, status_before=None, at=now)
        else:
            # Nothing to check in the database first: the study and its event in one statement.
            await create_with_event(svc.db, study, "study.created", at=now)
    except IntegrityError:
        # The (clinic, studyInstanceUid) unique constraint: checked by the database, not by a read first.
        raise Conflict("A study with this studyInstanceUid exists.", field="input.studyInstanceUid") from None
    return study


@operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def update_study(svc: Services, principal: Principal, id: str, data: dict) -> Study:
    check_id(id, "study", "id")
    values = given(validate(UpdateStudyRules, data))
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=id)
        before, status_before = filter_fields(study), study.study_report_status.value
        _apply(study, values)
        kind = "study.updated"
        if "assignedTo" in values and values["assignedTo"] != study.assigned_to_id:
            if values["assignedTo"] is not None:
                await assignable_user(session, principal, values["assignedTo"], "input.assignedTo")
            assign(study, values["assignedTo"])
            kind = "study.assigned" if values["assignedTo"] else "study.unassigned"
        study.updated_at = utcnow()
        await append_event(session, study, kind, before=before, status_before=status_before, at=study.updated_at)
    return study


@operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def set_cancelled(
    svc: Services, principal: Principal, *, id: str | None, uid: str | None, cancelled: bool
) -> Study:
    """Cancel or restore a study; the workflow status is kept as it was. Idempotent."""
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=id, uid=uid)
        if study.is_cancelled == cancelled:
            return study
        before, status_before = filter_fields(study), study.study_report_status.value
        now = utcnow()
        study.is_cancelled = cancelled
        study.cancelled_at = now if cancelled else None
        study.updated_at = now
        kind = "study.cancelled" if cancelled else "study.uncancelled"
        await append_event(session, study, kind, before=before, status_before=status_before, at=now)
    return study
