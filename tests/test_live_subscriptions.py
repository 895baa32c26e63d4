"""worklist and reportStatusChanged over a real WebSocket: what each change looks like to a screen."""

import contextlib

from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import STATUS, WORKLIST, cancel, create, cursor_at, seq_of, update, worklist_of
from tests.support.reports_helpers import ADDENDUM, SAVE, SIGN, START
from tests.support.ws_client import GraphQLWS


async def test_event_types_are_relative_to_the_filter(ws_url, api, services, clinic):
    rad = await add_user(services, clinic.id)
    key = clinic.key
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        assigned = await ws.subscribe(WORKLIST, {"f": {"studyReportStatus": ["ASSIGNED"]}, "a": cursor_at(clinic.id, 0)})
        everything = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        a = await create(api, key, "2.1")  # unassigned: outside the filter
        b = await create(api, key, "2.2", assignedTo=rad.id)  # created into it: ADDED
        await update(api, key, b, studyDescription="MR Knee left")  # within it: UPDATED
        await update(api, key, a, modality="CT")  # outside before and after: nothing
        await update(api, key, a, assignedTo=rad.id)  # moved into it: ADDED
        await update(api, key, b, assignedTo=None)  # moved out of it: REMOVED
        await cancel(api, key, a)  # still assigned: UPDATED

        got = await assigned.take(4)
        assert worklist_of(got) == [("ADDED", b), ("UPDATED", b), ("ADDED", a), ("REMOVED", b)]
        assert (await assigned.next())["worklist"]["type"] == "UPDATED"
        await assigned.nothing(0.3)

        everything_got = await everything.take(7)
        assert worklist_of(everything_got) == [
            ("ADDED", a), ("ADDED", b), ("UPDATED", b), ("UPDATED", a), ("UPDATED", a), ("UPDATED", b), ("UPDATED", a)]
        assert [seq_of(e["worklist"]["cursor"]) for e in everything_got] == list(range(1, 8))
        times = [e["worklist"]["occurredAt"] for e in everything_got]
        assert times == sorted(times)

        # Replayed later, each event carries the study as it is now, not as it was then.
        replay = await ws.subscribe(WORKLIST, {"f": {"studyReportStatus": ["ASSIGNED"]}, "a": cursor_at(clinic.id, 0)})
        assert (await replay.next())["worklist"]["study"] == {
            "id": b, "studyReportStatus": "UNASSIGNED", "isCancelled": False, "assignedTo": None}


async def test_filters_by_cancellation_and_assignee(ws_url, api, services, clinic):
    rad = await add_user(services, clinic.id)
    key = clinic.key
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        active = await ws.subscribe(WORKLIST, {"f": {"isCancelled": False}, "a": cursor_at(clinic.id, 0)})
        mine = await ws.subscribe(WORKLIST, {"f": {"assignedTo": rad.id}, "a": cursor_at(clinic.id, 0)})
        s = await create(api, key, "2.3")
        await update(api, key, s, assignedTo=rad.id)
        await cancel(api, key, s)
        assert worklist_of(await active.take(3)) == [("ADDED", s), ("UPDATED", s), ("REMOVED", s)]
        assert worklist_of(await mine.take(2)) == [("ADDED", s), ("UPDATED", s)]
        await mine.nothing(0.2)


async def test_without_a_cursor_only_later_changes_arrive(ws_url, api, clinic):
    before = await create(api, clinic.key, "2.4")
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe(WORKLIST)
        # Changes made while the subscription starts may or may not come; the earlier one never does.
        markers = []
        while True:
            markers.append(await create(api, clinic.key, f"2.4.{len(markers)}"))
            with contextlib.suppress(TimeoutError):
                first = await sub.next(timeout=0.2)
                break
        since = markers.index(first["worklist"]["study"]["id"])
        assert worklist_of(await sub.take(len(markers) - since - 1)) == [("ADDED", m) for m in markers[since + 1:]]
        after = await create(api, clinic.key, "2.5")
        await update(api, clinic.key, before, modality="MR")
        assert worklist_of(await sub.take(2)) == [("ADDED", after), ("UPDATED", before)]


async def test_report_status_changes_of_one_study(ws_url, api, services, clinic):
    rad = await add_user(services, clinic.id)
    key = clinic.key
    s = await create(api, key, "2.6")
    other = await create(api, key, "2.7")
    async with GraphQLWS.connect(ws_url, token=key) as ws:
        one = await ws.subscribe(STATUS, {"s": s, "a": cursor_at(clinic.id, 0)})
        every = await ws.subscribe(STATUS, {"a": cursor_at(clinic.id, 2)})
        await update(api, key, s, modality="CT")  # no status change: not reported
        await update(api, key, other, assignedTo=rad.id)
        await update(api, key, s, assignedTo=rad.id)
        await cancel(api, key, s)  # a change to the study alone, reported with its status unchanged
        await update(api, key, s, assignedTo=None)

        changes = [c["reportStatusChanged"] for c in await one.take(4)]
        assert [(c["previousStudyReportStatus"], c["studyReportStatus"]) for c in changes] == [
            (None, "UNASSIGNED"), ("UNASSIGNED", "ASSIGNED"), ("ASSIGNED", "ASSIGNED"), ("ASSIGNED", "UNASSIGNED")]
        assert all(c["report"] is None and c["study"]["id"] == s for c in changes)
        await one.nothing(0.2)
        assert [c["reportStatusChanged"]["study"]["id"] for c in await every.take(4)] == [other, s, s, s]


async def test_report_workflow_in_order_with_previous_status(ws_url, api, services, clinic):
    rad = await add_user(services, clinic.id)
    token = session_token(services, rad)
    s = await create(api, clinic.key, "2.8")
    async with GraphQLWS.connect(ws_url, token=token) as ws:
        sub = await ws.subscribe(STATUS, {"s": s, "a": cursor_at(clinic.id, 0)})
        worklist = await ws.subscribe(WORKLIST, {"f": {"studyReportStatus": ["IN_PROGRESS", "ADDENDUM_ACTIVE"]},
                                                 "a": cursor_at(clinic.id, 0)})
        await update(api, clinic.key, s, assignedTo=rad.id)
        report = (await api.ok(START, {"s": s}, token=token))["startReport"]["id"]
        await api.ok(SAVE, {"id": report, "t": "Draft."}, token=token)  # no status change: not reported
        await api.ok(SIGN, {"id": report, "c": False, "t": "Normal."}, token=token)
        addendum = (await api.ok(ADDENDUM, {"id": report}, token=token))["createReportAddendum"]["id"]
        await api.ok(SIGN, {"id": addendum, "c": False, "t": "Also normal."}, token=token)

        changes = [c["reportStatusChanged"] for c in await sub.take(6)]
        assert [(c["previousStudyReportStatus"], c["studyReportStatus"]) for c in changes] == [
            (None, "UNASSIGNED"), ("UNASSIGNED", "ASSIGNED"), ("ASSIGNED", "IN_PROGRESS"),
            ("IN_PROGRESS", "COMPLETED"), ("COMPLETED", "ADDENDUM_ACTIVE"), ("ADDENDUM_ACTIVE", "COMPLETED")]
        assert [c["report"] and (c["report"]["id"], c["report"]["isAddendum"]) for c in changes] == [
            None, None, (report, False), (report, False), (addendum, True), (addendum, True)]
        seqs = [seq_of(c["cursor"]) for c in changes]
        assert seqs == sorted(seqs) and len(set(seqs)) == 6
        await sub.nothing(0.2)
        # The draft save is an event of the study too: a worklist sees it as an update.
        assert worklist_of(await worklist.take(5)) == [
            ("ADDED", s), ("UPDATED", s), ("REMOVED", s), ("ADDED", s), ("REMOVED", s)]


async def test_bad_arguments_are_refused_at_subscribe(ws_url, clinic):
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        err = await (await ws.subscribe(STATUS, {"s": "rep_" + "0" * 32})).error()
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "studyId")
        err = await (await ws.subscribe(WORKLIST, {"f": {"assignedTo": "nope"}})).error()
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "filter.assignedTo")
        err = await (await ws.subscribe("subscription { worklist { nope } }")).error()
        assert err["code"] == "BAD_USER_INPUT"
        # The connection stays usable.
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        await sub.nothing(0.1)
