"""Live worklists: the clinic's event log read as a stream, from a cursor or from now, then live.

Gap-free and duplicate-free by construction: the wake-up listener is registered before the log
is first read, the last seq delivered is tracked, and every read asks for `seq > last` in order.
A wake-up only says "read the log"; however many arrive while the subscriber is busy, one read
catches up with all of them.

Fan-out stays cheap: the subscribers of a clinic that one wake-up sends to the same part of the
log share one query, and one set of loaders for the studies of those events (LogReads).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from autoscribe.core.principal import Principal
from autoscribe.core.errors import BadInput, CursorExpired
from autoscribe.core.services import Services
from autoscribe.db.enums import StudyReportStatus, WorklistEventType
from autoscribe.db.events import REVOKED_KIND, Revocation, clinic_heads, first_seq, read_events
from autoscribe.db.models import Event
from autoscribe.db.types import utcnow
from autoscribe.core.rights import Right
from autoscribe.operations.declared import operation
from autoscribe.operations.loaders import Loaders
from autoscribe.operations.scope import ClinicScope
from autoscribe.operations.study_filters import check_filter, matches
from autoscribe.operations.validation import check_id

# Events read from the log at a time.
BATCH = 200

# Event kinds that reportStatusChanged reports even when the study's status stays the same.
STATUS_KINDS = frozenset(
    {
        "study.cancelled",
        "study.uncancelled",
        "report.started",
        "report.signed",
        "addendum.created",
        "addendum.signed",
        "addendum.cancelled",
    }
)

Recheck = Callable[[], Awaitable[Principal]]


@dataclass(frozen=True)
class WorklistChange:
    cursor: str
    occurred_at: datetime
    type: WorklistEventType
    study_id: str
    # For the study as it is now: made for the read that found the event, shared by its readers.
    loaders: Loaders


@dataclass(frozen=True)
class StatusChange:
    cursor: str
    occurred_at: datetime
    study_id: str
    report_id: str | None
    status: StudyReportStatus
    previous_status: StudyReportStatus | None
    loaders: Loaders


@dataclass(frozen=True)
class Batch:
    events: list[Event]
    loaders: Loaders


class LogReads:
    """Reads of a clinic's log, shared by the subscribers that ask for the same one at once.

    A read is shared only within one bus generation: one begun before a wake-up may not have
    seen the woken-for event, so whoever asks after that wake-up starts a read of its own.
    """

    def __init__(self, svc: Services):
        self._svc = svc
        self._reads: dict[tuple[str, int, int], asyncio.Future[Batch]] = {}

    async def read(self, clinic_id: str, after: int) -> Batch:
        key = (clinic_id, after, self._svc.bus.generation)
        future = self._reads.get(key)
        if future is None:
            future = asyncio.ensure_future(self._read(clinic_id, after))
            self._reads[key] = future
            future.add_done_callback(lambda _: self._reads.pop(key, None))
        return await asyncio.shield(future)

    async def _read(self, clinic_id: str, after: int) -> Batch:
        async with self._svc.db.read() as session:
            events = await read_events(session, clinic_id, after=after, limit=BATCH)
        # Before any reader sees the events after it: a revocation in the log takes effect here.
        for event in events:
            if event.kind == REVOKED_KIND and (revocation := Revocation.of_event(event)) is not None:
                self._svc.revocations.note(revocation)

        scope = ClinicScope(clinic_id)

        async def clinic() -> ClinicScope:
            return scope

        return Batch(events, Loaders(self._svc.db, clinic))


def event_cursor(svc: Services, event: Event) -> str:
    """Signed: the clinic, the seq, and when the event happened (for the retention check)."""
    payload = {"c": event.clinic_id, "s": event.seq, "t": int(event.occurred_at.timestamp())}
    return svc.signer.sign("event-cursor", payload)


@operation(right=Right.ANY, errors=set())
async def head_cursor(svc: Services, principal: Principal) -> str:
    """A cursor at the caller's clinic's last committed event. A client that reads it before it
    reads a list, then subscribes with `after` it, gets every change committed after the read:
    none falls between its list and its subscription (a change the list already shows may come
    again, as the study is now)."""
    clinic_id = principal.clinic_id
    async with svc.db.read() as session:
        head = (await clinic_heads(session, [clinic_id])).get(clinic_id, 0)
    payload = {"c": clinic_id, "s": head, "t": int(utcnow().timestamp())}
    return svc.signer.sign("event-cursor", payload)


async def _start_after(svc: Services, principal: Principal, after: str | None) -> int:
    """The seq to continue after: the cursor's, or the clinic's last one (from now on)."""
    clinic_id = principal.clinic_id
    if after is None:
        async with svc.db.read() as session:
            return (await clinic_heads(session, [clinic_id])).get(clinic_id, 0)
    payload = svc.signer.verify("event-cursor", after)
    if (
        not isinstance(payload, dict)
        or payload.get("c") != clinic_id
        or not isinstance(payload.get("s"), int)
        or not isinstance(payload.get("t"), int)
    ):
        raise BadInput("The cursor is not valid.", field="after")
    seq = payload["s"]
    retention = timedelta(days=svc.settings.event_retention_days)
    expired = CursorExpired("The cursor is older than the event log's retention: start afresh.", field="after")
    if datetime.fromtimestamp(payload["t"], timezone.utc) < utcnow() - retention:
        raise expired
    async with svc.db.read() as session:
        head = (await clinic_heads(session, [clinic_id])).get(clinic_id, 0)
        oldest = await first_seq(session, clinic_id)
    if seq < head and (oldest is None or oldest > seq + 1):
        raise expired  # the events right after it are pruned
    return seq


def _scoped_loaders(svc: Services, principal: Principal) -> Loaders:
    """Loaders of a reroute session's own, kept to its study (the batch's shared ones see the clinic)."""

    async def scope() -> Principal:
        return principal

    return Loaders(svc.db, scope)


async def clinic_events(
    svc: Services, principal: Principal, recheck: Recheck, *, after: str | None
) -> AsyncIterator[tuple[Event, Loaders]]:
    """Every event of the caller's clinic after the cursor (or from now), in seq order, forever;
    for a reroute session, only its study's events.

    `recheck` is awaited whenever the stream goes quiet (and at least every
    settings.live_auth_check_seconds); it raises when the caller's access has ended. Before each
    event the caller is looked up among the revocations this process knows of, which include
    every one in the log before that event: a revoked caller gets nothing committed after.
    """
    clinic_id = principal.clinic_id
    quiet = svc.settings.live_auth_check_seconds
    reads = svc.reads
    revoked = svc.revocations
    with svc.bus.listen(clinic_id) as listener:
        last = await _start_after(svc, principal, after)
        while True:
            batch = await reads.read(clinic_id, last)
            loaders = batch.loaders if principal.study_id is None else _scoped_loaders(svc, principal)
            for event in batch.events:
                revoked.check(principal)
                if event.kind != REVOKED_KIND and (principal.study_id is None or event.study_id == principal.study_id):
                    yield event, loaders
                last = event.seq
            if len(batch.events) < BATCH:
                await listener.wait(quiet)
            await recheck()


async def worklist(
    svc: Services, principal: Principal, recheck: Recheck, *, filter: dict | None, after: str | None
) -> AsyncIterator[WorklistChange]:
    """Each event whose study matches the filter before or after it: ADDED, UPDATED or REMOVED."""
    flt = check_filter(filter)
    async for event, loaders in clinic_events(svc, principal, recheck, after=after):
        was, now = matches(flt, event.before), matches(flt, event.after)
        if not (was or now):
            continue
        kind = (
            WorklistEventType.UPDATED if was and now else WorklistEventType.ADDED if now else WorklistEventType.REMOVED
        )
        yield WorklistChange(event_cursor(svc, event), event.occurred_at, kind, event.study_id, loaders)


def _status(value: str | None) -> StudyReportStatus | None:
    return StudyReportStatus(value) if value is not None else None


async def report_status_changes(
    svc: Services, principal: Principal, recheck: Recheck, *, study_id: str | None, after: str | None
) -> AsyncIterator[StatusChange]:
    """Each change of a study's report status, and each report start, sign and addendum event,
    in the clinic or in one study (of another clinic's, as of one that does not exist: nothing)."""
    if study_id is not None:
        check_id(study_id, "study", "studyId")
    async for event, loaders in clinic_events(svc, principal, recheck, after=after):
        if study_id is not None and event.study_id != study_id:
            continue
        if event.status_before == event.status_after and event.kind not in STATUS_KINDS:
            continue
        yield StatusChange(
            event_cursor(svc, event),
            event.occurred_at,
            event.study_id,
            event.report_id,
            StudyReportStatus(event.status_after),
            _status(event.status_before),
            loaders,
        )
