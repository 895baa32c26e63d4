"""The outbox: each committed study change writes one event, numbered per clinic with no gaps."""

import asyncio

from sqlalchemy import select

from autoscribe.db.models import Event
from tests.support.clinics import add_user
from tests.support.studies_helpers import create_study


async def events_of(services, clinic_id):
    async with services.db.read() as session:
        return (await session.scalars(select(Event).where(Event.clinic_id == clinic_id).order_by(Event.seq))).all()


async def test_each_change_writes_one_numbered_event_with_before_and_after(api, services, clinic):
    rad = await add_user(services, clinic.id)
    s = await create_study(api, clinic.key, uid="8.1")
    await api.ok('mutation($id: ID!, $u: ID) { updateStudy(id: $id, input: {assignedTo: $u}) { id } }',
                 {"id": s["id"], "u": rad.id}, token=clinic.key)
    await api.ok("mutation($id: ID) { cancelStudy(id: $id) { id } }", {"id": s["id"]}, token=clinic.key)
    events = await events_of(services, clinic.id)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.kind for e in events] == ["study.created", "study.assigned", "study.cancelled"]
    created, assigned, cancelled = events
    assert created.before is None and created.after["studyInstanceUid"] == "8.1"
    assert created.status_before is None and created.status_after == "UNASSIGNED"
    assert assigned.before["assignedTo"] is None and assigned.after["assignedTo"] == rad.id
    assert (assigned.status_before, assigned.status_after) == ("UNASSIGNED", "ASSIGNED")
    assert cancelled.before["isCancelled"] is False and cancelled.after["isCancelled"] is True


async def test_refused_mutations_write_no_event(api, services, clinic):
    s = await create_study(api, clinic.key, uid="8.2")
    await api.error('mutation($id: ID!) { updateStudy(id: $id, input: {studyDescription: " "}) { id } }',
                    {"id": s["id"]}, token=clinic.key)
    await api.error('mutation { createStudy(input: {studyInstanceUid: "8.2", studyDescription: "x", severity: STAT, '
                    'reportMetadata: {}}) { id } }', token=clinic.key)
    assert [e.kind for e in await events_of(services, clinic.id)] == ["study.created"]


async def test_sequence_is_gap_free_per_clinic_under_concurrency(api, services, clinic, other_clinic):
    await asyncio.gather(*(create_study(api, key, uid=f"8.3.{i}")
                           for i in range(8) for key in (clinic.key, other_clinic.key)))
    for c in (clinic, other_clinic):
        assert [e.seq for e in await events_of(services, c.id)] == list(range(1, 9))


async def test_a_clinics_writers_take_turns_and_a_failed_one_passes_its_turn_on(api, services, clinic, monkeypatch):
    """On PostgreSQL a process's writers of one clinic wait for their turn before its row lock; a
    transaction that fails after taking it must not keep it, and a turn held too long (a bug) is
    given up on rather than hang the writers behind it."""
    from autoscribe.db import events

    s = await create_study(api, clinic.key, uid="8.4")
    if services.db.is_sqlite:
        return  # one writer at a time anyway: no turns
    update = 'mutation($id: ID!, $h: String) { updateStudy(id: $id, input: {clinicalHistory: $h}) { id } }'

    class Failed(Exception):
        pass

    try:
        async with services.db.write() as session:
            study = await session.get(events.Study, s["id"])
            await events.append_event(session, study, "study.updated", before=None, status_before=None)
            raise Failed()
    except Failed:
        pass
    async with asyncio.timeout(2):  # well within TURN_WAIT_SECONDS: the turn was passed on
        await api.ok(update, {"id": s["id"], "h": "after a failure"}, token=clinic.key)

    monkeypatch.setattr(events, "TURN_WAIT_SECONDS", 0.3)
    stuck = events._turns[asyncio.get_running_loop()][clinic.id]
    await stuck.acquire()  # as if a transaction kept its turn forever
    try:
        async with asyncio.timeout(5):
            await api.ok(update, {"id": s["id"], "h": "past a stuck turn"}, token=clinic.key)
    finally:
        stuck.release()
    kinds = [e.kind for e in await events_of(services, clinic.id)]
    assert kinds == ["study.created", "study.updated", "study.updated"]  # the failed one left nothing
