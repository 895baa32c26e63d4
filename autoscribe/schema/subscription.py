"""The Subscription root: live worklists and report status changes over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime

import strawberry

from autoscribe.live import streams as live
from autoscribe.schema.enums import StudyReportStatus, WorklistEventType
from autoscribe.schema.inputs import given
from autoscribe.schema.report import Report
from autoscribe.schema.study import Study, StudyFilter

CURSOR_HELP = "Pass as `after` to resume from this point without losing an event."


@strawberry.type
class WorklistEvent:
    cursor: str = strawberry.field(description=CURSOR_HELP)
    occurred_at: datetime
    type: WorklistEventType = strawberry.field(
        description="Relative to the subscription's filter: the study entered it, changed within it, or left it."
    )
    study: Study


@strawberry.type
class ReportStatusChange:
    cursor: str = strawberry.field(description=CURSOR_HELP)
    occurred_at: datetime
    study: Study
    report: Report | None = strawberry.field(
        description="The report whose status changed; null when the change was to the study alone "
        "(assignment, cancellation)."
    )
    study_report_status: StudyReportStatus
    previous_study_report_status: StudyReportStatus | None


async def _current_study(info: strawberry.Info, change: live.WorklistChange | live.StatusChange) -> Study | None:
    """The study as it is now. Its fields resolve through the loaders made when the event was read
    (shared with the clinic's other subscribers that read it): never a cache older than the event."""
    info.context.loaders = change.loaders
    row = await change.loaders.study.load(change.study_id)
    return Study.of(row) if row else None


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every change to a study that matches the filter before or after the change.")
    async def worklist(
        self, info: strawberry.Info, filter: StudyFilter | None = None, after: str | None = None
    ) -> AsyncGenerator[WorklistEvent, None]:
        ctx = info.context
        principal = await ctx.live_principal()
        changes = live.worklist(ctx.svc, principal, ctx.live_principal, filter=given(filter), after=after)
        async with aclosing(changes):
            async for change in changes:
                study = await _current_study(info, change)
                if study is not None:
                    yield WorklistEvent(
                        cursor=change.cursor, occurred_at=change.occurred_at, type=change.type, study=study
                    )

    @strawberry.subscription(
        description="Every change of a study's report workflow status in the caller's clinic, or of one study."
    )
    async def report_status_changed(
        self, info: strawberry.Info, study_id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[ReportStatusChange, None]:
        ctx = info.context
        principal = await ctx.live_principal()
        changes = live.report_status_changes(ctx.svc, principal, ctx.live_principal, study_id=study_id, after=after)
        async with aclosing(changes):
            async for change in changes:
                study = await _current_study(info, change)
                if study is None:
                    continue
                report_row = await change.loaders.report.load(change.report_id) if change.report_id else None
                yield ReportStatusChange(
                    cursor=change.cursor,
                    occurred_at=change.occurred_at,
                    study=study,
                    report=Report.of(report_row) if report_row else None,
                    study_report_status=change.status,
                    previous_study_report_status=change.previous_status,
                )
