"""The outbox: each committed study change writes one event, numbered per clinic with no gaps."""

import asyncio

from sqlalchemy import select

from db.models import Event
from tests.conftest import add_user
from tests.studies_helpers import create_study


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
