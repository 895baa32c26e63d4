"""study and studies: lookups, every filter, every order, keyset pages and cursors."""

import asyncio

import pytest

from tests.support.clinics import add_user
from tests.support.studies_helpers import create_study

LIST = """query($filter: StudyFilter, $order: StudyOrder, $first: Int, $after: String) {
  studies(filter: $filter, orderBy: $order, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } nodes { id severity } } }"""


async def ids(api, token, **variables):
    data = await api.ok(LIST, variables, token=token)
    return [n["id"] for n in data["studies"]["nodes"]]


async def test_study_by_id_and_by_uid(api, clinic):
    s = await create_study(api, clinic.key, uid="1.3.6.1")
    q = "query($id: ID, $uid: String) { study(id: $id, studyInstanceUid: $uid) { id studyInstanceUid } }"
    assert (await api.ok(q, {"id": s["id"]}, token=clinic.key))["study"]["studyInstanceUid"] == "1.3.6.1"
    assert (await api.ok(q, {"uid": "1.3.6.1"}, token=clinic.key))["study"]["id"] == s["id"]
    assert (await api.ok(q, {"uid": "1.3.6.2"}, token=clinic.key))["study"] is None
    assert (await api.ok(q, {"id": "stu_" + "f" * 32}, token=clinic.key))["study"] is None
    for bad in ({}, {"id": s["id"], "uid": "1.3.6.1"}):
        assert (await api.error(q, bad, token=clinic.key))["code"] == "BAD_USER_INPUT"
    err = await api.error(q, {"id": "stu_XYZ"}, token=clinic.key)
    assert err == {"code": "BAD_USER_INPUT", "field": "id", "message": err["message"]}


async def test_node_resolves_a_study_and_nothing_foreign(api, clinic, other_clinic):
    s = await create_study(api, clinic.key)
    q = "query($id: ID!) { node(id: $id) { __typename id ... on Study { studyDescription } } }"
    assert (await api.ok(q, {"id": s["id"]}, token=clinic.key))["node"] == {
        "__typename": "Study", "id": s["id"], "studyDescription": "MR Knee"}
    assert (await api.ok(q, {"id": s["id"]}, token=other_clinic.key))["node"] is None
    assert (await api.error(q, {"id": "nope"}, token=clinic.key))["code"] == "BAD_USER_INPUT"


@pytest.fixture
async def populated(api, services, clinic):
    """Five studies, made in order, with varied fields."""
    rad = await add_user(services, clinic.id)
    specs = [
        dict(uid="1.1", severity="NORMAL", studyDescription="CT Chest"),
        dict(uid="1.2", severity="STAT", studyDescription="MR Brain", assignedTo=rad.id),
        dict(uid="1.3", severity="HIGH", studyDescription="ct abdomen"),
        dict(uid="1.4", severity="STAT", studyDescription="XR Hand 100%_done"),
        dict(uid="1.5", severity="NORMAL", studyDescription="US Liver", assignedTo=rad.id),
    ]
    made = []
    for spec in specs:
        uid = spec.pop("uid")
        made.append(await create_study(api, clinic.key, uid=uid, **spec))
    cancel = "mutation($id: ID) { cancelStudy(id: $id) { id } }"
    await api.ok(cancel, {"id": made[2]["id"]}, token=clinic.key)
    return {"ids": [m["id"] for m in made], "made": made, "rad": rad}


async def test_orders(api, clinic, populated):
    a, b, c, d, e = populated["ids"]
    assert await ids(api, clinic.key) == [e, d, c, b, a]  # default CREATED_AT_DESC
    assert await ids(api, clinic.key, order="CREATED_AT_ASC") == [a, b, c, d, e]
    assert await ids(api, clinic.key, order="PRIORITY") == [b, d, c, a, e]
    # c was cancelled last, so it was updated last.
    assert (await ids(api, clinic.key, order="UPDATED_AT_DESC"))[0] == c


@pytest.mark.parametrize("flt,expect", [
    ({"severity": ["STAT"]}, [1, 3]),
    ({"severity": ["HIGH", "NORMAL"]}, [0, 2, 4]),
    ({"studyReportStatus": ["ASSIGNED"]}, [1, 4]),
    ({"studyReportStatus": ["UNASSIGNED"]}, [0, 2, 3]),
    ({"isCancelled": True}, [2]),
    ({"isCancelled": False}, [0, 1, 3, 4]),
    ({"studyDescription": "CT"}, [0, 2]),
    ({"studyDescription": "%_"}, [3]),
    ({"studyInstanceUid": "1.4"}, [3]),
    ({"assignedTo": None}, [0, 2, 3]),
    ({"severity": ["STAT"], "studyReportStatus": ["ASSIGNED"]}, [1]),
], ids=lambda v: str(v))
async def test_filters(api, clinic, populated, flt, expect):
    got = await ids(api, clinic.key, filter=flt, order="CREATED_AT_ASC")
    assert got == [populated["ids"][i] for i in expect]


async def test_filter_by_assignee_and_created_range(api, clinic, populated):
    all_ids, made = populated["ids"], populated["made"]
    assert await ids(api, clinic.key, filter={"assignedTo": populated["rad"].id}, order="CREATED_AT_ASC") == [
        all_ids[1], all_ids[4]]
    rng = {"createdAfter": made[0]["createdAt"], "createdBefore": made[3]["createdAt"]}
    assert await ids(api, clinic.key, filter=rng, order="CREATED_AT_ASC") == all_ids[1:3]
    err = await api.error(LIST, {"filter": {"assignedTo": "bad"}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "filter.assignedTo"
    err = await api.error(LIST, {"filter": {"createdAfter": "2026-11-27T09:00:00"}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "filter.createdAfter"


async def test_total_count_follows_the_filter(api, clinic, populated):
    data = await api.ok(LIST, {"filter": {"severity": ["STAT"]}, "first": 1}, token=clinic.key)
    assert data["studies"]["totalCount"] == 2
    assert len(data["studies"]["edges"]) == 1 and data["studies"]["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("order", ["CREATED_AT_DESC", "CREATED_AT_ASC", "UPDATED_AT_DESC", "PRIORITY"])
async def test_pages_neither_repeat_nor_skip_while_rows_are_inserted(api, clinic, order):
    severities = ["NORMAL", "STAT", "HIGH"]
    for i in range(12):
        await create_study(api, clinic.key, uid=f"2.{i}", severity=severities[i % 3])
    existing = set(await ids(api, clinic.key, first=100))
    seen, after, inserted = [], None, 0
    while True:
        data = (await api.ok(LIST, {"order": order, "first": 5, "after": after}, token=clinic.key))["studies"]
        seen += [e["node"]["id"] for e in data["edges"]]
        assert data["pageInfo"]["endCursor"] == (data["edges"][-1]["cursor"] if data["edges"] else None)
        # Insert rows of every severity between pages.
        for sev in severities:
            await create_study(api, clinic.key, uid=f"3.{inserted}", severity=sev)
            inserted += 1
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert existing <= set(seen), "a row that existed throughout was skipped"


async def test_first_must_be_between_1_and_100(api, clinic):
    for first in (0, 101, -1):
        err = await api.error(LIST, {"first": first}, token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT" and err["field"] == "first"
    await api.ok(LIST, {"first": 100}, token=clinic.key)


async def test_forged_and_foreign_cursors_are_refused(api, clinic, other_clinic):
    for i in range(3):
        await create_study(api, clinic.key, uid=f"4.{i}")
        await create_study(api, other_clinic.key, uid=f"4.{i}")
    data = await api.ok(LIST, {"first": 1}, token=clinic.key)
    cursor = data["studies"]["pageInfo"]["endCursor"]
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (tampered, "abc", "", cursor + "x"):
        err = await api.error(LIST, {"first": 1, "after": bad}, token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT" and err["field"] == "after"
    # Another clinic's cursor, and a cursor of another order.
    err = await api.error(LIST, {"first": 1, "after": cursor}, token=other_clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    err = await api.error(LIST, {"first": 1, "after": cursor, "order": "PRIORITY"}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"


async def test_concurrent_creates_all_land_once(api, clinic):
    await asyncio.gather(*(create_study(api, clinic.key, uid=f"5.{i}") for i in range(10)))
    data = await api.ok(LIST, {"first": 100}, token=clinic.key)
    assert data["studies"]["totalCount"] == 10


@pytest.fixture
def users_statements(services, monkeypatch):
    """SQL statements that read the users table, as they run (through SQLAlchemy, or sent by the
    driver itself: db.templates on PostgreSQL)."""
    from sqlalchemy import event

    seen: list[str] = []
    engine = services.db.read_engine.sync_engine

    def note(_conn, _cursor, statement, *_args):
        if "FROM users" in statement or "JOIN users" in statement:
            seen.append(statement)

    fetch_text = services.db.fetch_text

    async def noted(sql, args):
        note(None, None, sql)
        return await fetch_text(sql, args)

    monkeypatch.setattr(services.db, "fetch_text", noted)
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.mark.perf
async def test_a_page_reads_its_assignees_in_one_statement_and_only_when_asked(
        api, services, clinic, populated, users_statements):
    rad, second = populated["rad"], await add_user(services, clinic.id, first_name="Bo")
    await api.ok("mutation($id: ID!, $u: ID) { updateStudy(id: $id, input: {assignedTo: $u}) { id } }",
                 {"id": populated["ids"][0], "u": second.id}, token=clinic.key)
    query = """{ studies(first: 10, orderBy: CREATED_AT_ASC) {
        nodes { id ...A } edges { node { assignedTo { lastName } } } } }
      fragment A on Study { assignedTo { id firstName } }"""
    users_statements.clear()
    data = (await api.ok(query, token=clinic.key))["studies"]
    assert [n["assignedTo"] and n["assignedTo"]["id"] for n in data["nodes"]] == [second.id, rad.id, None, None, rad.id]
    assert data["nodes"][0]["assignedTo"]["firstName"] == "Bo"
    assert [e["node"]["assignedTo"] is not None for e in data["edges"]] == [True, True, False, False, True]
    # Both assignees, for nodes and edges alike, in one statement (the page's own, when compiled).
    assert len(users_statements) == 1
    users_statements.clear()
    await api.ok("{ studies(first: 10) { nodes { id severity } } }", token=clinic.key)
    assert users_statements == []
