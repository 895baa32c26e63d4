"""The Subscription root: live worklists and report status changes over graphql-transport-ws."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Annotated

import strawberry

from autoscribe.live import streams
from autoscribe.schema.descriptions import EVENT_CURSOR, OCCURRED_AT, SUBSCRIPTION_AFTER, described
from autoscribe.schema.enums import StudyReportStatus, WorklistEventType
from autoscribe.schema.inputs import given
from autoscribe.schema.report import Report
from autoscribe.schema.study import Study, StudyFilter

_STUDY_NOW = (
    "The study as it is when the event is sent: a replayed event shows it as it is now, not as it was."
)
_ERRORS = (
    "Requires: any valid bearer (a reroute session: its study's events only); the subscription ends when the "
    "bearer's access does. Errors: UNAUTHENTICATED, BAD_USER_INPUT, CURSOR_EXPIRED, RATE_LIMITED (a subscriber "
    "too slow for its events: resume with after its last cursor)."
)
_After = Annotated[str | None, strawberry.argument(description=SUBSCRIPTION_AFTER)]


@strawberry.type(description="A change that moved a study into, within or out of a worklist subscription's filter.")
class WorklistEvent:
    cursor: str = strawberry.field(description=EVENT_CURSOR)
    occurred_at: datetime = strawberry.field(description=OCCURRED_AT)
    type: WorklistEventType = strawberry.field(
        description="Relative to the subscription's filter: the study entered it, changed within it, or left it."
    )
    study: Study = strawberry.field(description=_STUDY_NOW)


@strawberry.type(description="A change of a study's report workflow: a status change, a report started or signed, "
                 "an addendum opened, signed or cancelled, the study cancelled or restored.")
class ReportStatusChange:
    cursor: str = strawberry.field(description=EVENT_CURSOR)
    occurred_at: datetime = strawberry.field(description=OCCURRED_AT)
    study: Study = strawberry.field(description=_STUDY_NOW)
    report: Report | None = strawberry.field(
        description="The report the change was about; null when the change was to the study alone "
        "(assignment, cancellation) or the report is gone (a cancelled addendum)."
    )
    study_report_status: StudyReportStatus = strawberry.field(description="The study's status after the change.")
    previous_study_report_status: StudyReportStatus | None = strawberry.field(
        description="The study's status before the change; null when the change created the study."
    )


async def _current_study(info: strawberry.Info, change: live.WorklistChange | live.StatusChange) -> Study | None:
    """The study as it is now. Its fields resolve through the loaders made when the event was read
    (shared with the clinic's other subscribers that read it): never a cache older than the event."""
    info.context.loaders = change.loaders
    row = await change.loaders.study.load(change.study_id)
    return Study.of(row) if row else None


@strawberry.type
class LiveQuery:
    @strawberry.field(description=described(
        "A cursor at the clinic's latest committed change, to pass as `after` to worklist or reportStatusChanged: "
        "read it before reading a list, subscribe after it, and no change committed in between is missed (one the "
        "list already shows may come again).", streams.head_cursor,
    ))
    async def live_cursor(self, info: strawberry.Info) -> str:
        return await streams.head_cursor(info.context.svc, await info.context.principal())


@strawberry.type(
    description="Live changes, over WebSocket at /graphql (graphql-transport-ws), with the bearer in connection_init's "
    "payload as {\"authorization\": \"Bearer <token>\"}. Each event carries a cursor to resume from."
)
class Subscription:
    @strawberry.subscription(description=(
        "Every committed change to a study of the clinic that matches the filter before or after it: ADDED, UPDATED "
        "or REMOVED, in commit order. " + _ERRORS
    ))
    async def worklist(
        self,
        info: strawberry.Info,
        filter: Annotated[
            StudyFilter | None, strawberry.argument(description="The worklist's studies; every study when absent.")
        ] = None,
        after: _After = None,
    ) -> AsyncGenerator[WorklistEvent, None]:
        ctx = info.context
        principal = await ctx.live_principal()
        changes = streams.worklist(ctx.svc, principal, ctx.live_principal, filter=given(filter), after=after)
        async with aclosing(changes):
            async for change in changes:
                study = await _current_study(info, change)
                if study is not None:
                    yield WorklistEvent(
                        cursor=change.cursor, occurred_at=change.occurred_at, type=change.type, study=study
                    )

    @strawberry.subscription(description=(
        "Every change of a study's report workflow (each status change, report start and sign, addendum and "
        "cancellation) in the caller's clinic, or of one study, in commit order. " + _ERRORS
    ))
    async def report_status_changed(
        self,
        info: strawberry.Info,
        study_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only this study's changes (stu_ and 32 lowercase hex digits); absent: the whole clinic's."
            ),
        ] = None,
        after: _After = None,
    ) -> AsyncGenerator[ReportStatusChange, None]:
        ctx = info.context
        principal = await ctx.live_principal()
        changes = streams.report_status_changes(ctx.svc, principal, ctx.live_principal, study_id=study_id, after=after)
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
