"""The event log: every committed change of a study or its reports, numbered per clinic."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.db import versions
from autoscribe.db.engine import Database
from autoscribe.db.models import Clinic, Event, Study
from autoscribe.db.types import utcnow


# The kind of the event that ends a principal's access (see append_revocation).
REVOKED_KIND = "access.revoked"


@dataclass(frozen=True)
class Revocation:
    """A principal whose access ended: an API key (`kind` "key", for good), or a user ("user"),
    whose session tokens of an epoch below `epoch` stop working."""

    clinic_id: str
    kind: str
    id: str
    epoch: int = 0

    def as_json(self) -> dict:
        return {"principal": self.kind, "id": self.id, "epoch": self.epoch}

    @classmethod
    def of_event(cls, event: Event) -> Revocation | None:
        after = event.after if event.kind == REVOKED_KIND else None
        if not isinstance(after, dict) or after.get("principal") not in ("key", "user"):
            return None
        return cls(event.clinic_id, after["principal"], str(after.get("id")), int(after.get("epoch") or 0))


@dataclass(frozen=True)
class CommittedEvent:
    """What the after-commit hooks get: enough to wake subscribers, not the row itself (and, for a
    revocation, whose access ended)."""

    clinic_id: str
    seq: int
    revocation: Revocation | None = None
    kind: str | None = None  # the event's kind (e.g. "report.signed")


def filter_fields(study: Study) -> dict:
    """The study's fields that worklist filters look at, as stored in events."""
    return {
        "assignedTo": study.assigned_to_id,
        "isCancelled": study.is_cancelled,
        "severity": study.severity.value,
        "studyReportStatus": study.study_report_status.value,
        "studyDescription": study.study_description,
        "studyInstanceUid": study.study_instance_uid,
        "createdAt": study.created_at.isoformat(),
    }


async def next_seq(session: AsyncSession, clinic_id: str) -> int:
    """The clinic's next sequence number, taken under the clinic row's lock.

    The lock is held until the transaction ends, so numbers are handed out in commit order:
    no reader can ever see seq N+1 before seq N is committed. The same statement bumps the
    clinic's data version, which the commit would otherwise do in a statement of its own.
    """
    result = await session.execute(
        update(Clinic)
        .where(Clinic.id == clinic_id)
        .values(event_seq=Clinic.event_seq + 1, data_version=Clinic.data_version + 1)
        .returning(Clinic.event_seq)
    )
    versions.bumped(session, clinic_id)
    return result.scalar_one()


# On PostgreSQL: the clinic's next number and the event in one statement (see append_event). Written
# out once: SQLAlchemy's compiled-statement cache keys a built statement anew on every execution,
# which for this one cost more than the rest of the call.
_EVENT_COLUMNS = ("clinic_id", "kind", "study_id", "report_id", "status_before", "status_after", "before", "after",
                  "occurred_at")
_NUMBERED_INSERT = text(
    "WITH bump AS (UPDATE clinics SET event_seq = event_seq + 1, data_version = data_version + 1"
    " WHERE id = :clinic_id RETURNING event_seq)"
    f" INSERT INTO events ({', '.join(_EVENT_COLUMNS)}, seq)"
    f" SELECT {', '.join(':' + c for c in _EVENT_COLUMNS)}, bump.event_seq FROM bump RETURNING seq"
).bindparams(*(bindparam(c, type_=Event.__table__.c[c].type) for c in _EVENT_COLUMNS))


# This process's writers of one clinic take turns here before they queue on the clinic's row lock.
# PostgreSQL wakes every transaction waiting on a row when its holder ends, and all but one go
# back to waiting: sixteen writers queued there cost it ~0.7 ms of CPU per write. Here, at most one
# transaction per process waits on the row. (Per event loop: asyncio locks belong to one.)
_turns: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = WeakKeyDictionary()
# A turn is never waited for longer: past this, the writer queues on the row itself, where
# PostgreSQL would see a deadlock that a wait in this process hides from it.
TURN_WAIT_SECONDS = 5.0


async def _wait_for_turn(clinic_id: str) -> asyncio.Lock | None:
    """This process's turn at the clinic's number, taken: the lock to release when the transaction
    has ended; None when the wait timed out (the writer then queues on the row itself)."""
    locks = _turns.setdefault(asyncio.get_running_loop(), {})
    lock = locks.setdefault(clinic_id, asyncio.Lock())
    try:
        async with asyncio.timeout(TURN_WAIT_SECONDS):
            await lock.acquire()
    except TimeoutError:
        return None
    return lock


async def _take_turn(session: AsyncSession, clinic_id: str) -> None:
    """Wait for this process's turn at the clinic's number; it passes on when the transaction ends
    (db.engine.Database.write runs session.info["on_end"])."""
    held = session.info.setdefault("turns", set())
    if clinic_id in held:
        return
    lock = await _wait_for_turn(clinic_id)
    if lock is None:
        return
    held.add(clinic_id)
    session.info.setdefault("on_end", []).append(lock.release)


async def append_event(
    session: AsyncSession,
    study: Study,
    kind: str,
    *,
    before: dict | None,
    status_before: str | None,
    report_id: str | None = None,
    at: datetime | None = None,
) -> int:
    """Write the event of a change to `study` in the session's transaction; its seq.

    The change itself is flushed first, so that the clinic's row lock, taken by the event, is held
    for as little as possible: on PostgreSQL one statement takes the number and writes the event,
    and only the commit follows (writers of one clinic queue on that lock, each process's in turn).
    So after this call a transaction must not wait for a row that another could hold before its
    own call (it could be waiting for the turn); the turn's time limit keeps a mistake from hanging."""
    await session.flush()
    return await _numbered(session, _event_values(study, kind, before, status_before, report_id, at))


def _event_values(study: Study, kind: str, before: dict | None, status_before: str | None,
                  report_id: str | None, at: datetime | None) -> dict:
    return {
        "clinic_id": study.clinic_id,
        "kind": kind,
        "study_id": study.id,
        "report_id": report_id,
        "status_before": status_before,
        "status_after": study.study_report_status.value,
        "before": before,
        "after": filter_fields(study),
        "occurred_at": at or utcnow(),
    }


# Study column -> its attribute (the "metadata" column is extra_metadata), in the table's order.
_STUDY_ATTRS = {prop.columns[0].name: prop.key for prop in sa_inspect(Study).column_attrs}
# On PostgreSQL: a new study, the clinic's next number and the study's first event in one statement,
# which commits by itself (see create_with_event). Written out once, like _NUMBERED_INSERT.
_CREATED_INSERT = text(
    f"WITH created AS (INSERT INTO studies ({', '.join(_STUDY_ATTRS)})"
    f" VALUES ({', '.join(':row_' + c for c in _STUDY_ATTRS)}) RETURNING id),"
    " bump AS (UPDATE clinics SET event_seq = event_seq + 1, data_version = data_version + 1"
    " WHERE id = :clinic_id RETURNING event_seq)"
    f" INSERT INTO events ({', '.join(_EVENT_COLUMNS)}, seq)"
    f" SELECT {', '.join(':' + c for c in _EVENT_COLUMNS)}, bump.event_seq FROM bump, created RETURNING seq"
).bindparams(
    *(bindparam("row_" + c, type_=Study.__table__.c[c].type) for c in _STUDY_ATTRS),
    *(bindparam(c, type_=Event.__table__.c[c].type) for c in _EVENT_COLUMNS),
)

# The seq of that statement's event, if it was committed (see Database.write_one).
_CREATED_EVENT = text(
    "SELECT seq FROM events WHERE clinic_id = :clinic_id AND study_id = :study_id AND kind = :kind"
)


async def create_with_event(db: Database, study: Study, kind: str, *, at: datetime) -> int:
    """Store a new study (not added to any session) with its first event, committed; its seq.

    What a write() transaction of session.add(study) and append_event(..., before=None,
    status_before=None) stores, in one statement and one round trip instead of six (the pool's
    ping, BEGIN, the study, the event, COMMIT): PostgreSQL only. The unique constraints raise
    IntegrityError as the flush would; the after-commit hooks get the event as from write()."""
    values = _event_values(study, kind, None, None, None, at)
    values.update({"row_" + column: getattr(study, attr) for column, attr in _STUDY_ATTRS.items()})
    lock = await _wait_for_turn(study.clinic_id)
    try:
        landed = (_CREATED_EVENT, {"clinic_id": study.clinic_id, "study_id": study.id, "kind": kind})
        seq = (await db.write_one(_CREATED_INSERT, values, landed=landed))[0]
    finally:
        if lock is not None:
            lock.release()
    await db.committed([CommittedEvent(study.clinic_id, seq)])
    return seq


async def append_revocation(session: AsyncSession, revocation: Revocation) -> int:
    """Write the event that ends a principal's access in the session's transaction; its seq.

    Numbered like every other event of the clinic, so every subscriber, in any process, reads it
    before any event committed after the revocation (resolvers.live ends its subscriptions there).
    The same rule as for append_event holds: lock what else the transaction changes first."""
    await session.flush()
    values = {
        "clinic_id": revocation.clinic_id,
        "kind": REVOKED_KIND,
        "study_id": None,
        "report_id": None,
        "status_before": None,
        "status_after": None,
        "before": None,
        "after": revocation.as_json(),
        "occurred_at": utcnow(),
    }
    return await _numbered(session, values, revocation)


async def _numbered(session: AsyncSession, values: dict, revocation: Revocation | None = None) -> int:
    clinic_id = values["clinic_id"]
    if session.bind.dialect.name == "postgresql":
        await _take_turn(session, clinic_id)
        seq = (await session.execute(_NUMBERED_INSERT, values)).scalar_one()
        versions.bumped(session, clinic_id)
    else:
        seq = await next_seq(session, clinic_id)
        await session.execute(insert(Event).values(seq=seq, **values))
    session.info.setdefault("events", []).append(CommittedEvent(clinic_id, seq, revocation, values["kind"]))
    return seq


async def prune_events(session: AsyncSession, retention: timedelta) -> int:
    result = await session.execute(delete(Event).where(Event.occurred_at < utcnow() - retention))
    return result.rowcount or 0


async def read_events(session: AsyncSession, clinic_id: str, *, after: int, limit: int) -> list[Event]:
    """The clinic's events after seq `after`, in order, at most `limit` of them."""
    rows = await session.scalars(
        select(Event).where(Event.clinic_id == clinic_id, Event.seq > after).order_by(Event.seq).limit(limit)
    )
    return list(rows)


async def clinic_heads(session: AsyncSession, clinic_ids: list[str]) -> dict[str, int]:
    """The last committed seq of each clinic."""
    rows = await session.execute(select(Clinic.id, Clinic.event_seq).where(Clinic.id.in_(clinic_ids)))
    return {clinic_id: seq for clinic_id, seq in rows}


async def first_seq(session: AsyncSession, clinic_id: str) -> int | None:
    """The oldest seq still in the clinic's log (older ones are pruned), None when it is empty."""
    return await session.scalar(select(func.min(Event.seq)).where(Event.clinic_id == clinic_id))
