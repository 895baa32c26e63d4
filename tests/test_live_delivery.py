"""Delivery under load and failure: concurrent writers, long backlogs, lost wake-ups, and
errors in the event stream."""

import asyncio
from collections import defaultdict

import httpx
from sqlalchemy import select

from autoscribe.server.app import create_app
from autoscribe.db.events import append_event, filter_fields
from autoscribe.db.models import Study
from tests.support.api import Api
from tests.support.live_helpers import WORKLIST, create, cursor_at, seq_of, update, worklist_of
from tests.support.live_server import app_server
from tests.support.settings import settings_for
from tests.support.ws_client import GraphQLWS


async def test_concurrent_writers_give_one_gap_free_ordered_stream(ws_url, api, services, clinic):
    key = clinic.key

    async def writer(n: int) -> tuple[str, list[str]]:
        study = await create(api, key, f"5.1.{n}")
        for i in range(9):
            await update(api, key, study, modality=f"M{n}.{i}")
        return study, [f"M{n}.{i}" for i in range(9)]

    async with GraphQLWS.connect(ws_url, token=key) as ws1, GraphQLWS.connect(ws_url, token=key) as ws2:
        early = await ws1.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        writers = asyncio.gather(*(writer(n) for n in range(4)))
        await asyncio.sleep(0.05)
        # Another subscriber joins from the start while the writers are busy.
        late = await ws2.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        studies = dict(await writers)
        for sub in (early, late):
            got = await sub.take(40)
            assert [seq_of(g["worklist"]["cursor"]) for g in got] == list(range(1, 41))
            per_study = defaultdict(list)
            for g in got:
                per_study[g["worklist"]["study"]["id"]].append(g["worklist"]["type"])
            assert per_study == {s: ["ADDED"] + ["UPDATED"] * 9 for s in studies}
            await sub.nothing(0.2)


async def test_a_long_backlog_arrives_whole_and_in_order(ws_url, api, services, clinic):
    study_id = await create(api, clinic.key, "5.2")
    async with services.db.write() as session:
        study = await session.scalar(select(Study).where(Study.id == study_id))
        for _ in range(450):
            await append_event(session, study, "study.updated", before=filter_fields(study),
                               status_before=study.study_report_status.value)
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        got = await sub.take(451)
        assert [seq_of(g["worklist"]["cursor"]) for g in got] == list(range(1, 452))
        assert worklist_of(got[:2]) == [("ADDED", study_id), ("UPDATED", study_id)]
        s = await create(api, clinic.key, "5.2.1")
        assert worklist_of([await sub.next()]) == [("ADDED", s)]


async def test_a_lost_wake_up_is_caught_by_the_poll(database_url, clinic):
    # A change committed by a process whose wake-up never reaches this one (here: another app,
    # whose bus was never started) is found by the periodic poll of the log.
    async with app_server(settings_for(database_url, events_poll_seconds=0.3)) as (host, _svc, _api):
        elsewhere = create_app(settings_for(database_url))
        transport = httpx.ASGITransport(app=elsewhere)
        async with httpx.AsyncClient(transport=transport, base_url="http://elsewhere") as http:
            async with GraphQLWS.connect(f"ws://{host}/graphql", token=clinic.key) as ws:
                sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
                await sub.nothing(0.2)
                s = await create(Api(http), clinic.key, "5.3")
                assert worklist_of([await sub.next(timeout=3)]) == [("ADDED", s)]
        await elsewhere.state.services.db.dispose()


async def test_an_unexpected_failure_in_the_stream_is_masked(ws_url, api, clinic, monkeypatch):
    from autoscribe.live import streams as live

    async def broken(*_args, **_kwargs):
        raise RuntimeError("SELECT secret FROM events")

    await create(api, clinic.key, "5.4")
    monkeypatch.setattr(live, "read_events", broken)
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        err = await (await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})).error()
    assert err["code"] == "INTERNAL_SERVER_ERROR" and err["requestId"] in err["message"]
    assert "secret" not in err["message"]
