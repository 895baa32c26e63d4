"""Reports: the dictation workflow of SPEC §3 (start, save, sign, addenda) with its checks and events.

Every transition locks the study row first and then the report row, checks, changes and writes its
event in one transaction, so two concurrent transitions of one study can never both succeed.
"""

from __future__ import annotations

import copy

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, Conflict, ErrorCode, Forbidden, NotFound
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import ReportStatus, StudyReportStatus, UserStatus
from autoscribe.db.events import append_event, filter_fields
from autoscribe.db.ids import new_id
from autoscribe.db.models import Report, Study, User
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations import report_pdfs
from autoscribe.operations.scope import visible
from autoscribe.operations.studies import ASSIGNABLE, assign, assignable_user, lock_study
from autoscribe.operations.validation import check_id

MAX_TEXT = 100_000


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def get_report(svc: Services, principal: Principal, id: str) -> Report | None:
    check_id(id, "report", "id")
    async with svc.db.read() as session:
        return await session.scalar(
            select(Report).where(Report.id == id, *visible(Report, principal))
        )


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def list_reports(
    svc: Services, principal: Principal, *, study_id: str | None, uid: str | None
) -> list[Report]:
    """Every report of one study (the primary first, then addenda oldest first); [] for no such study."""
    if (study_id is None) == (uid is None):
        raise BadInput("Give exactly one of studyId and studyInstanceUid.", field="studyId")
    if study_id is not None:
        check_id(study_id, "study", "studyId")
    key = Study.id == study_id if study_id is not None else Study.study_instance_uid == uid
    async with svc.db.read() as session:
        rows = await session.scalars(
            select(Report)
            .join(Study, Study.id == Report.study_id)
            .where(*visible(Study, principal), *visible(Report, principal), key)
            .order_by(Report.is_addendum, Report.created_at, Report.id)
        )
        return list(rows)


# Locks and checks -------------------------------------------------------------------------------


async def _lock_report(
    session: AsyncSession, principal: Principal, report_id: str, field: str
) -> tuple[Study, Report]:
    """The report and its study, both locked: the study first, as in every transition."""
    mine = (Report.id == report_id, *visible(Report, principal))
    study = await session.scalar(
        select(Study)
        .where(
            Study.id == select(Report.study_id).where(*mine).scalar_subquery(),
            Study.clinic_id == principal.clinic_id,
        )
        .with_for_update()
    )
    report = await session.scalar(select(Report).where(*mine).with_for_update()) if study else None
    if report is None:
        raise NotFound("No such report.", field=field)
    return study, report


def _not_cancelled(study: Study) -> None:
    if study.is_cancelled:
        raise Conflict("The study is cancelled: no report can be started, saved or signed on it.")


def _author_only(principal: Principal, report: Report) -> None:
    if not principal.is_api_key and report.user_id != principal.user_id:
        raise Forbidden("Only the report's author can change it.")


def _in_progress(report: Report) -> None:
    if report.status != ReportStatus.IN_PROGRESS:
        raise Conflict("The report is signed: its text can no longer change.")


def _text(value: str, field: str = "plainText") -> str:
    if len(value) > MAX_TEXT:
        raise BadInput(f"At most {MAX_TEXT} characters.", field=field)
    return value


def _can_dictate(user: User | None) -> bool:
    return user is not None and user.status == UserStatus.ACTIVE and user.can_create_reports


def signer_name(user: User) -> str:
    """The name printed under a signed report: First Middle Last, Suffix1, Suffix2."""
    name = " ".join(p for p in (user.first_name, user.middle_name, user.last_name) if p)
    return ", ".join([name, *(s for s in (user.suffix1, user.suffix2) if s)])


async def _open_report(
    session: AsyncSession, study: Study, author_id: str, kind: str, parent: Report | None = None
) -> Report:
    """A new in-progress report on the locked study (an addendum of `parent` when given), the study's
    new status (an unassigned study is assigned to the author), and the event of it all."""
    before, status_before = filter_fields(study), study.study_report_status.value
    now = utcnow()
    if parent is None:
        if study.assigned_to_id is None:
            assign(study, author_id)
        study.study_report_status = StudyReportStatus.IN_PROGRESS
    else:
        study.study_report_status = StudyReportStatus.ADDENDUM_ACTIVE
    study.updated_at = now
    report = Report(
        id=new_id("report"),
        clinic_id=study.clinic_id,
        study_id=study.id,
        user_id=author_id,
        status=ReportStatus.IN_PROGRESS,
        is_addendum=parent is not None,
        parent_report_id=parent.id if parent else None,
        # The snapshot never follows later changes of the study's metadata.
        snapshot_metadata=copy.deepcopy(study.report_metadata or {}),
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    await session.flush()
    await append_event(
        session, study, kind, before=before, status_before=status_before, report_id=report.id, at=now
    )
    return report


# Transitions ------------------------------------------------------------------------------------


@operation(right=Right.CREATE_REPORTS, errors={
    ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT,
})
async def start_report(svc: Services, principal: Principal, study_id: str, user_id: str | None) -> Report:
    """The study's one in-progress report, by the calling user (or `user_id` for an API key)."""
    check_id(study_id, "study", "studyId")
    if user_id is not None:
        check_id(user_id, "user", "userId")
    if principal.is_api_key:
        if user_id is None:
            raise BadInput("An API key must name the radiologist in userId.", field="userId")
    elif user_id not in (None, principal.user_id):
        raise Forbidden("A user can start reports only as themselves.")
    async with svc.db.write() as session:
        study = await lock_study(session, principal, id=study_id, not_found_field="studyId")
        author = await assignable_user(session, principal, user_id or principal.user_id, "userId")
        _not_cancelled(study)
        if study.study_report_status not in ASSIGNABLE:
            raise Conflict(
                f"The study is {study.study_report_status.value}: its report has already been started.",
                field="studyId",
            )
        if study.assigned_to_id not in (None, author.id):
            raise Conflict("The study is assigned to another radiologist.", field="studyId")
        report = await _open_report(session, study, author.id, "report.started")
    return report


@operation(right=Right.CREATE_REPORTS, errors={
    ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT,
})
async def save_draft(svc: Services, principal: Principal, id: str, plain_text: str) -> Report:
    """Replace the draft text of an in-progress report (its author, or an API key)."""
    check_id(id, "report", "id")
    _text(plain_text)
    async with svc.db.write() as session:
        study, report = await _lock_report(session, principal, id, "id")
        _author_only(principal, report)
        _not_cancelled(study)
        _in_progress(report)
        before, status_before = filter_fields(study), study.study_report_status.value
        report.plain_text = plain_text
        report.updated_at = utcnow()
        await append_event(
            session, study, "report.draft_saved", before=before, status_before=status_before,
            report_id=report.id, at=report.updated_at,
        )
    return report


@operation(right=Right.CREATE_REPORTS, errors={
    ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT,
})
async def sign_report(
    svc: Services, principal: Principal, id: str, is_critical: bool, plain_text: str | None
) -> Report:
    """Sign an in-progress report with the given text (or its draft); the study becomes COMPLETED.

    The PDF's render is queued in the same transaction: it is rendered after the commit, off the
    serving process (autoscribe.live.pdf_renderer), and a download before then waits for it.
    """
    check_id(id, "report", "id")
    if plain_text is not None:
        _text(plain_text)
    async with svc.db.write() as session:
        study, report = await _lock_report(session, principal, id, "id")
        _author_only(principal, report)
        _not_cancelled(study)
        _in_progress(report)
        text = plain_text if plain_text is not None else report.plain_text
        if text is None or not text.strip():
            raise BadInput("A report cannot be signed without text.", field="plainText")
        author = await session.get(User, report.user_id)
        if not _can_dictate(author):
            raise Conflict("The report's author can no longer sign reports.", field="id")
        before, status_before = filter_fields(study), study.study_report_status.value
        now = utcnow()
        report.status = ReportStatus.COMPLETED
        report.signed_at = now
        report.is_critical = is_critical
        report.plain_text = text
        report.signer_name = signer_name(author)
        report.signer_npi = author.npi_number
        report.updated_at = now
        study.study_report_status = StudyReportStatus.COMPLETED
        if not report.is_addendum:
            study.is_critical = is_critical
        study.updated_at = now
        await append_event(
            session, study, "addendum.signed" if report.is_addendum else "report.signed",
            before=before, status_before=status_before, report_id=report.id, at=now,
        )
        report_pdfs.request_render(session, report)
    return report


@operation(right=Right.CREATE_REPORTS, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def create_addendum(svc: Services, principal: Principal, report_id: str) -> Report:
    """Open an addendum on a signed report of a COMPLETED study; the study becomes ADDENDUM_ACTIVE.

    The author is the calling user (any user who can create reports), or the amended report's author
    when an API key calls.
    """
    check_id(report_id, "report", "reportId")
    async with svc.db.write() as session:
        study, parent = await _lock_report(session, principal, report_id, "reportId")
        _not_cancelled(study)
        if parent.status != ReportStatus.COMPLETED:
            raise Conflict("Only a signed report can be amended.", field="reportId")
        if study.study_report_status != StudyReportStatus.COMPLETED:
            raise Conflict("An addendum is already open on this study.", field="reportId")
        if principal.is_api_key:
            author = await session.get(User, parent.user_id)
            if not _can_dictate(author):
                raise Conflict("The report's author can no longer write reports.", field="reportId")
            author_id = author.id
        else:
            author_id = principal.user_id
        addendum = await _open_report(session, study, author_id, "addendum.created", parent=parent)
    return addendum


@operation(right=Right.CREATE_REPORTS, errors={
    ErrorCode.BAD_USER_INPUT, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT,
})
async def cancel_addendum(svc: Services, principal: Principal, report_id: str) -> Report:
    """Discard the open addendum (given by its own ID or its parent's); the study returns to COMPLETED.

    The addendum's row is deleted with its draft; the addendum is returned as it was, and its ID
    resolves to nothing afterwards.
    """
    check_id(report_id, "report", "reportId")
    async with svc.db.write() as session:
        study, given = await _lock_report(session, principal, report_id, "reportId")
        if given.is_addendum and given.status == ReportStatus.IN_PROGRESS:
            addendum = given
        else:
            addendum = await session.scalar(
                select(Report)
                .where(
                    Report.parent_report_id == given.id,
                    Report.clinic_id == principal.clinic_id,
                    Report.status == ReportStatus.IN_PROGRESS,
                )
                .with_for_update()
            )
        if addendum is None:
            raise Conflict("No addendum of this report is open.", field="reportId")
        _author_only(principal, addendum)
        _not_cancelled(study)
        before, status_before = filter_fields(study), study.study_report_status.value
        now = utcnow()
        await session.delete(addendum)
        study.study_report_status = StudyReportStatus.COMPLETED
        study.updated_at = now
        await append_event(
            session, study, "addendum.cancelled", before=before, status_before=status_before,
            report_id=addendum.id, at=now,
        )
    return addendum
