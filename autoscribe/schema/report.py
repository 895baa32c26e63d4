"""Report: a radiologist's dictation of a study, its addenda, and the report queries and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from autoscribe.operations.report_pdfs import pdf_url
from autoscribe.db import models
from autoscribe.operations import reports
from autoscribe.schema.enums import ReportStatus
from autoscribe.schema.from_row import from_row
from autoscribe.schema.node import Node

if TYPE_CHECKING:
    from autoscribe.schema.study import Study, StudyReportMetadata
    from autoscribe.schema.user import User


@strawberry.type
class ReportIdWithStatus:
    report_id: strawberry.ID
    status: ReportStatus
    is_critical: bool | None


@from_row(models.Report)
@strawberry.type
class Report(Node):
    id: strawberry.ID
    study_id: strawberry.ID
    user_id: strawberry.ID = strawberry.field(description="The radiologist who dictates or signed the report.")
    status: ReportStatus
    is_addendum: bool
    is_critical: bool | None
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None
    plain_text: str | None
    row: strawberry.Private[models.Report]

    @strawberry.field
    async def study(self, info: strawberry.Info) -> Annotated[Study, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import Study

        return Study.of(await info.context.loaders.study.load(self.study_id))

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("autoscribe.schema.user")]:
        from autoscribe.schema.user import User

        return User.of(await info.context.loaders.user.load(self.user_id))

    @strawberry.field(description="For an addendum, the report that it amends.")
    async def parent_report(self, info: strawberry.Info) -> Report | None:
        if self.row.parent_report_id is None:
            return None
        row = await info.context.loaders.report.load(self.row.parent_report_id)
        return Report.of(row) if row else None

    @strawberry.field(description="The study's report metadata as it was when the report was started.")
    def snapshot_metadata(self) -> Annotated[StudyReportMetadata, strawberry.lazy("autoscribe.schema.study")]:
        from autoscribe.schema.study import StudyReportMetadata

        return StudyReportMetadata.of(self.row.snapshot_metadata)

    @strawberry.field(
        description="Presigned download URL of the signed report's PDF, valid for one hour; null while in progress."
    )
    def pdf_url(self, info: strawberry.Info) -> str | None:
        return pdf_url(info.context.svc, self.row)


@strawberry.type
class ReportQuery:
    @strawberry.field
    async def report(self, info: strawberry.Info, id: strawberry.ID) -> Report | None:
        principal = await info.context.principal()
        row = await reports.get_report(info.context.svc, principal, id)
        return Report.of(row) if row else None

    @strawberry.field(description="Every report of one study: exactly one of studyId and studyInstanceUid.")
    async def reports(
        self, info: strawberry.Info, study_id: strawberry.ID | None = None, study_instance_uid: str | None = None
    ) -> list[Report]:
        principal = await info.context.principal()
        rows = await reports.list_reports(info.context.svc, principal, study_id=study_id, uid=study_instance_uid)
        return [Report.of(r) for r in rows]


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Starts dictation on a study: a new in-progress report by the calling (or given) radiologist."
    )
    async def start_report(
        self, info: strawberry.Info, study_id: strawberry.ID, user_id: strawberry.ID | None = None
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.start_report(info.context.svc, principal, study_id, user_id))

    @strawberry.mutation
    async def save_report_draft(self, info: strawberry.Info, id: strawberry.ID, plain_text: str) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.save_draft(info.context.svc, principal, id, plain_text))

    @strawberry.mutation
    async def sign_report(
        self, info: strawberry.Info, id: strawberry.ID, is_critical: bool, plain_text: str | None = None
    ) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.sign_report(info.context.svc, principal, id, is_critical, plain_text))

    @strawberry.mutation(description="Opens an addendum on a completed report; the study becomes ADDENDUM_ACTIVE.")
    async def create_report_addendum(self, info: strawberry.Info, report_id: strawberry.ID) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.create_addendum(info.context.svc, principal, report_id))

    @strawberry.mutation(
        description=(
            "Cancels the in-progress addendum (given by its own ID or its parent's); the study returns to "
            "COMPLETED. Returns the discarded addendum as it was; its ID resolves to nothing afterwards."
        )
    )
    async def cancel_report_addendum(self, info: strawberry.Info, report_id: strawberry.ID) -> Report:
        principal = await info.context.principal()
        return Report.of(await reports.cancel_addendum(info.context.svc, principal, report_id))
