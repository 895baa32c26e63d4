"""Report: a radiologist's dictation of a study, and its addenda."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from db import models
from schema.enums import ReportStatus
from schema.node import Node

if TYPE_CHECKING:
    from schema.study import Study, StudyReportMetadata
    from schema.user import User


@strawberry.type
class ReportIdWithStatus:
    report_id: strawberry.ID
    status: ReportStatus
    is_critical: bool | None


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
    async def study(self, info: strawberry.Info) -> Annotated[Study, strawberry.lazy("schema.study")]:
        from schema.study import Study

        return Study.of(await info.context.loaders.study.load(self.study_id))

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Annotated[User, strawberry.lazy("schema.user")]:
        from schema.user import User

        return User.of(await info.context.loaders.user.load(self.user_id))

    @strawberry.field(description="For an addendum, the report that it amends.")
    async def parent_report(self, info: strawberry.Info) -> Report | None:
        if self.row.parent_report_id is None:
            return None
        row = await info.context.loaders.report.load(self.row.parent_report_id)
        return Report.of(row) if row else None

    @strawberry.field(description="The study's report metadata as it was when the report was started.")
    def snapshot_metadata(self) -> Annotated[StudyReportMetadata, strawberry.lazy("schema.study")]:
        from schema.study import StudyReportMetadata

        return StudyReportMetadata.of(self.row.snapshot_metadata)

    @classmethod
    def of(cls, row: models.Report) -> Report:
        return cls(
            id=row.id,
            study_id=row.study_id,
            user_id=row.user_id,
            status=row.status,
            is_addendum=row.is_addendum,
            is_critical=row.is_critical,
            created_at=row.created_at,
            updated_at=row.updated_at,
            signed_at=row.signed_at,
            plain_text=row.plain_text,
            row=row,
        )
