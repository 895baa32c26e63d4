"""Report: a radiologist's dictation of a study, its addenda, and the report queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from autoscribe.operations.report_pdfs import pdf_url
from autoscribe.db import models
from autoscribe.operations import reports
from autoscribe.schema.descriptions import STUDY_BY_ID, STUDY_BY_UID, default, described, id_of, lifetime
from autoscribe.schema.enums import ReportStatus
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node

if TYPE_CHECKING:
    from autoscribe.schema.study import Study, StudyReportMetadata
    from autoscribe.schema.user import User


_REPORT_ID = id_of("report", "The report's ID")
_TEXT = f"The report's text, at most {reports.MAX_TEXT:,} characters."
_IS_CRITICAL = "Whether it holds a critical result (a banner on its PDF); null until it is signed."


@strawberry.type(description="A report's ID and where it stands, without the report.")
class ReportIdWithStatus:
    report_id: strawberry.ID = strawberry.field(description=_REPORT_ID)
    status: ReportStatus = strawberry.field(description="Whether it is signed.")
    is_critical: bool | None = strawberry.field(description=_IS_CRITICAL)


@from_row(models.Report)
@strawberry.type(
    description="A radiologist's dictation of a study: the primary report, or an addendum that amends it once "
    "signed. Signed text never changes."
)
class Report(Node):
    id: strawberry.ID = strawberry.field(description=_REPORT_ID)
    study_id: strawberry.ID = strawberry.field(description=id_of("study", "Its study's ID"))
    user_id: strawberry.ID = strawberry.field(
        description=id_of("user", "The radiologist who dictates or signed the report (its author)")
    )
    status: ReportStatus = strawberry.field(description="Whether it is still being dictated or signed.")
    is_addendum: bool = strawberry.field(description="Whether it amends another report (parentReport).")
    is_critical: bool | None = strawberry.field(description=_IS_CRITICAL)
    created_at: datetime = strawberry.field(description="When it was started (UTC).")
    updated_at: datetime = strawberry.field(description="When it last changed: started, draft saved or signed (UTC).")
    signed_at: datetime | None = strawberry.field(description="When it was signed (UTC); null while in progress.")
    plain_text: str | None = strawberry.field(
        description="The dictated text: the last saved draft while in progress (null before the first), the signed "
        "text once signed."
    )
    row: strawberry.Private[models.Report]

    @strawberry.field(description="The study it reports on.")
    async def study(self, info: strawberry.Info) -> Annotated[Study, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import Study

        return Study.of(await info.context.loaders.study.load(self.study_id))

    @strawberry.field(description="The radiologist who dictates or signed it (userId).")
    async def author(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("autoscribe.schema.user")]:
        from autoscribe.schema.user import User

        return User.of(await info.context.loaders.user.load(self.user_id))

    @strawberry.field(description="For an addendum, the report that it amends; null for a primary report.")
    async def parent_report(self, info: strawberry.Info) -> Report | None:
        if self.row.parent_report_id is None:
            return None
        row = await info.context.loaders.report.load(self.row.parent_report_id)
        return Report.of(row) if row else None

    @strawberry.field(
        description="The study's reportMetadata as it was when the report was started; it never changes after."
    )
    def snapshot_metadata(self) -> Annotated[StudyReportMetadata, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import StudyReportMetadata

        return StudyReportMetadata.of(self.row.snapshot_metadata)

    @strawberry.field(
        description="Presigned download URL of the signed report's PDF (no other credential needed), valid for "
        f"{lifetime(default('pdf_url_ttl_seconds'))} by default; null while in progress."
    )
    def pdf_url(self, info: strawberry.Info) -> str | None:
        return pdf_url(info.context.svc, self.row)


_ReportId = Annotated[strawberry.ID, strawberry.argument(description=_REPORT_ID)]


@strawberry.type
class ReportQuery:
    @strawberry.field(description=described("One report of the clinic; null when there is none.", reports.get_report))
    async def report(self, info: strawberry.Info, id: _ReportId) -> Report | None:
        principal = await info.context.principal()
        row = await reports.get_report(info.context.svc, principal, id)
        return Report.of(row) if row else None

    @strawberry.field(description=described(
        "Every report of one study, the primary first, then addenda oldest first; exactly one of studyId and "
        "studyInstanceUid. Empty when there is no such study.",
        reports.list_reports,
    ))
    async def reports(
        self,
        info: strawberry.Info,
        study_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description=STUDY_BY_ID),
        ] = None,
        study_instance_uid: Annotated[
            str | None, strawberry.argument(description=STUDY_BY_UID.replace("give id", "give studyId"))
        ] = None,
    ) -> list[Report]:
        principal = await info.context.principal()
        rows = await reports.list_reports(info.context.svc, principal, study_id=study_id, uid=study_instance_uid)
        return [Report.of(r) for r in rows]


@strawberry.type
class ReportMutation:
    @strawberry.mutation(description=described(
        "Starts dictation: the study's one in-progress report, by the calling radiologist (an API key names them "
        "in userId). An UNASSIGNED study is assigned to them; the study becomes IN_PROGRESS. A study assigned to "
        "someone else, already started or cancelled is CONFLICT.",
        reports.start_report,
    ))
    async def start_report(
        self,
        info: strawberry.Info,
        study_id: Annotated[strawberry.ID, strawberry.argument(description=id_of("study", "The study's ID"))],
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The author (usr_ and 32 lowercase hex digits), an ACTIVE user with canCreateReports: "
                "required with an API key; a user may give only their own ID."
            ),
        ] = None,
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.start_report(info.context.svc, principal, study_id, user_id))

    @strawberry.mutation(description=described(
        "Replaces the draft text of an in-progress report (its author, or an API key).", reports.save_draft
    ))
    async def save_report_draft(
        self,
        info: strawberry.Info,
        id: _ReportId,
        plain_text: Annotated[str, strawberry.argument(description=_TEXT)],
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.save_draft(info.context.svc, principal, id, plain_text))

    @strawberry.mutation(description=described(
        "Signs an in-progress report (its author, or an API key): COMPLETED with signedAt, isCritical and the "
        "text, which never changes after; the study becomes COMPLETED, and the clinic's enabled webhook endpoints "
        "get report.delivered.",
        reports.sign_report,
    ))
    async def sign_report(
        self,
        info: strawberry.Info,
        id: _ReportId,
        is_critical: Annotated[
            bool, strawberry.argument(description="Whether it holds a critical result; a primary report's sets the study's.")
        ],
        plain_text: Annotated[
            str | None,
            strawberry.argument(description=_TEXT + " Absent: the saved draft is signed. The signed text must not be blank."),
        ] = None,
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.sign_report(info.context.svc, principal, id, is_critical, plain_text))

    @strawberry.mutation(description=described(
        "Opens an addendum on a signed report of a COMPLETED study, by the calling radiologist (for an API key, "
        "the amended report's author); the study becomes ADDENDUM_ACTIVE. One addendum is open at a time.",
        reports.create_addendum,
    ))
    async def create_report_addendum(
        self,
        info: strawberry.Info,
        report_id: Annotated[strawberry.ID, strawberry.argument(description=id_of("report", "The signed report's ID"))],
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.create_addendum(info.context.svc, principal, report_id))

    @strawberry.mutation(description=described(
        "Cancels the in-progress addendum (given by its own ID or its parent's); the study returns to COMPLETED. "
        "Returns the discarded addendum as it was; its ID resolves to nothing afterwards.",
        reports.cancel_addendum,
    ))
    async def cancel_report_addendum(
        self,
        info: strawberry.Info,
        report_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The addendum's ID, or its parent report's (rep_ and 32 lowercase hex digits)."),
        ],
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.cancel_addendum(info.context.svc, principal, report_id))
