"""Resuming by cursor: after a dropped connection, after a server restart; expired, forged and
foreign cursors; and what one clinic's subscribers never see of another's."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy import update as sql_update

from autoscribe.live.retention import EventPruner
from autoscribe.db.models import Event
from autoscribe.db.types import utcnow
from tests.support.live_helpers import STATUS, WORKLIST, cancel, create, cursor_at, seq_of, update, worklist_of
from tests.support.live_server import ServeProcess, api_at, app_server
from tests.support.operator import server_clinic
from tests.support.settings import settings_for
from tests.support.ws_client import Closed, GraphQLWS


async def test_resume_after_a_disconnect_gets_exactly_the_missed_changes_then_live(ws_url, api, clinic):
    key = clinic.key
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        a = await create(api, key, "3.1")
        b = await create(api, key, "3.2")
        got = await sub.take(2)
    cursor = got[-1]["worklist"]["cursor"]
    # Changed while no one was connected.
    await update(api, key, a, modality="CT")
    c = await create(api, key, "3.3")
    await update(api, key, b, modality="MR")
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor})
        missed = await sub.take(3)
        assert worklist_of(missed) == [("UPDATED", a), ("ADDED", c), ("UPDATED", b)]
        assert [seq_of(m["worklist"]["cursor"]) for m in missed] == [3, 4, 5]
        await sub.nothing(0.2)
        d = await create(api, key, "3.4")
        assert worklist_of([await sub.next()]) == [("ADDED", d)]
        await sub.nothing(0.2)


async def test_a_cursor_older_than_retention_is_expired(ws_url, api, services, clinic):
    key = clinic.key
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        for i in range(3):
            await create(api, key, f"3.5.{i}")
        first, second, third = [e["worklist"]["cursor"] for e in await sub.take(3)]

        # Older than the retention by its own time: expired, whether or not pruned yet.
        err = await (await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 1, age_seconds=8 * 86400)})).error()
        assert (err["code"], err["field"]) == ("CURSOR_EXPIRED", "after")

        # The first two events age past the retention and are pruned: the events after the first
        # cursor are gone, so it is expired; the second's successor is still there.
        async with services.db.write() as session:
            await session.execute(
                sql_update(Event)
                .where(Event.clinic_id == clinic.id, Event.seq <= 2)
                .values(occurred_at=utcnow() - timedelta(days=8))
            )
        pruner = EventPruner(services.db, retention=timedelta(days=7), interval_seconds=3600)
        assert await pruner.prune() >= 2
        err = await (await ws.subscribe(WORKLIST, {"a": first})).error()
        assert err["code"] == "CURSOR_EXPIRED"
        assert seq_of(second) == 2
        resumed = await ws.subscribe(WORKLIST, {"a": second})
        assert (await resumed.next())["worklist"]["cursor"] == third


async def test_old_events_are_pruned_in_the_background(database_url, services, api, clinic):
    await create(api, clinic.key, "3.9.1")
    await create(api, clinic.key, "3.9.2")
    async with services.db.write() as session:
        await session.execute(
            sql_update(Event).where(Event.clinic_id == clinic.id, Event.seq == 1)
            .values(occurred_at=utcnow() - timedelta(days=3))
        )
    settings = settings_for(database_url, event_retention_days=2, event_prune_interval_seconds=0.2)
    async with app_server(settings):
        for _ in range(50):
            async with services.db.read() as session:
                left = (await session.scalars(select(Event.seq).where(Event.clinic_id == clinic.id))).all()
            if left == [2]:
                break
            await asyncio.sleep(0.1)
    assert left == [2]


async def test_forged_and_foreign_cursors_are_bad_input(ws_url, api, clinic, other_clinic):
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        await create(api, clinic.key, "3.6")
        mine = (await sub.next())["worklist"]["cursor"]
        body, _, signature = mine.rpartition(".")
        for forged in ("nonsense", mine + "x", body + "." + signature[::-1], "", "a" * 5000):
            err = await (await ws.subscribe(WORKLIST, {"a": forged})).error()
            assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "after"), forged
    async with GraphQLWS.connect(ws_url, token=other_clinic.key) as ws:
        err = await (await ws.subscribe(WORKLIST, {"a": mine})).error()
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "after")


async def test_subscribers_see_only_their_own_clinic(ws_url, api, clinic, other_clinic):
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws_a, \
            GraphQLWS.connect(ws_url, token=other_clinic.key) as ws_b:
        sub_a = await ws_a.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        sub_b = await ws_b.subscribe(WORKLIST, {"a": cursor_at(other_clinic.id, 0)})
        theirs = [await create(api, clinic.key, f"3.7.{i}") for i in range(3)]
        # B asks for the status changes of A's study: as for a study that does not exist, nothing.
        status_b = await ws_b.subscribe(STATUS, {"s": theirs[0], "a": cursor_at(other_clinic.id, 0)})
        await update(api, clinic.key, theirs[0], modality="CT")
        await cancel(api, clinic.key, theirs[0])
        assert worklist_of(await sub_a.take(5)) == [("ADDED", s) for s in theirs] + [("UPDATED", theirs[0])] * 2
        # B's study has the same UID as one of A's: still only B's own event reaches B.
        mine = await create(api, other_clinic.key, "3.7.0")
        assert worklist_of([await sub_b.next()]) == [("ADDED", mine)]
        await sub_b.nothing(0.3)
        await status_b.nothing(0.1)
        await sub_a.nothing(0.1)


async def test_resume_across_a_server_restart(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    server = await ServeProcess(url, log=tmp_path / "serve.log").start()
    try:
        clinic_id, key = await server_clinic(url)
        ws_url = f"ws://{server.host}/graphql"
        async with api_at(server.host) as api:
            a = await create(api, key, "3.8.1")
            b = await create(api, key, "3.8.2")
        async with GraphQLWS.connect(ws_url, token=key) as ws:
            sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic_id, 0)})
            got = await sub.take(2)
            assert worklist_of(got) == [("ADDED", a), ("ADDED", b)]
            server.kill()
            with pytest.raises(Closed):
                await sub.message()
        cursor = got[0]["worklist"]["cursor"]

        server = await ServeProcess(url, log=tmp_path / "serve.log").start()  # on another port
        ws_url = f"ws://{server.host}/graphql"
        async with api_at(server.host) as api:
            await update(api, key, a, modality="CT")
            async with GraphQLWS.connect(ws_url, token=key) as ws:
                sub = await ws.subscribe(WORKLIST, {"a": cursor})
                assert worklist_of(await sub.take(2)) == [("ADDED", b), ("UPDATED", a)]
                c = await create(api, key, "3.8.3")
                assert worklist_of([await sub.next()]) == [("ADDED", c)]
                await sub.nothing(0.2)
    finally:
        server.kill()


async def test_live_cursor_read_before_a_list_misses_no_change_made_before_the_subscription(ws_url, api, clinic):
    """liveCursor, then the list, then a subscription after the cursor: a change committed between
    the list and the subscription (which "from now" would miss) comes as an event; nothing earlier does."""
    key = clinic.key
    before = await create(api, key, "3.9.1")
    cursor = (await api.ok("{ liveCursor }", token=key))["liveCursor"]
    listed = await api.ok("{ studies(first: 10) { nodes { id } } }", token=key)
    assert [n["id"] for n in listed["studies"]["nodes"]] == [before]
    between = await create(api, key, "3.9.2")
    await update(api, key, before, modality="CT")
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor})
        assert worklist_of(await sub.take(2)) == [("ADDED", between), ("UPDATED", before)]
        await sub.nothing(0.2)
        later = await create(api, key, "3.9.3")
        assert worklist_of([await sub.next()]) == [("ADDED", later)]


async def test_live_cursor_needs_a_valid_bearer_and_is_the_clinic_s_own(ws_url, api, clinic, other_clinic):
    assert (await api.error("{ liveCursor }", token="not-a-token"))["code"] == "UNAUTHENTICATED"
    await create(api, other_clinic.key, "3.9.4")
    theirs = (await api.ok("{ liveCursor }", token=other_clinic.key))["liveCursor"]
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        err = await (await ws.subscribe(WORKLIST, {"a": theirs})).error()
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "after")
