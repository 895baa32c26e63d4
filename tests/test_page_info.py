"""Every connection's pageInfo has the Relay connection spec's four fields: startCursor and endCursor
(the first and last edge's cursors), hasNextPage, and hasPreviousPage (with `after`: whether items at
or before that cursor remain in the list as its filter sees it now; without `after`, false)."""

from tests.support.studies_helpers import create_study
from tests.support.clinics import add_user

STUDIES = """query($after: String, $f: StudyFilter) {
  studies(filter: $f, orderBy: CREATED_AT_ASC, first: 2, after: $after) {
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id } } } }"""
USERS = """query($after: String) { users(first: 1, after: $after) {
  pageInfo { hasPreviousPage hasNextPage startCursor endCursor } edges { cursor node { id } } } }"""
CANCEL = "mutation($uid: String!) { cancelStudy(studyInstanceUid: $uid) { id isCancelled } }"


async def pages(api, token, query, variables=None):
    """Every page of the list, following endCursor."""
    found, after = [], None
    while True:
        data = await api.ok(query, {**(variables or {}), "after": after}, token=token)
        page = next(iter(data.values()))
        found.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_start_and_end_cursors_and_both_directions_of_a_study_list(api, clinic):
    made = [(await create_study(api, clinic.key, f"1.2.77.{i}"))["id"] for i in range(5)]
    listed = await pages(api, clinic.key, STUDIES)
    assert [[e["node"]["id"] for e in p["edges"]] for p in listed] == [made[0:2], made[2:4], made[4:5]]
    for i, page in enumerate(listed):
        info = page["pageInfo"]
        assert info["startCursor"] == page["edges"][0]["cursor"] and info["endCursor"] == page["edges"][-1]["cursor"]
        assert info["hasPreviousPage"] is (i > 0) and info["hasNextPage"] is (i < 2)
    # Past the end: an empty page, no cursors, but items before it.
    beyond = (await api.ok(STUDIES, {"after": listed[-1]["pageInfo"]["endCursor"]}, token=clinic.key))["studies"]
    assert beyond["edges"] == [] and beyond["pageInfo"] == {
        "hasPreviousPage": True, "hasNextPage": False, "startCursor": None, "endCursor": None}


async def test_has_previous_page_counts_the_items_the_filter_still_sees(api, clinic):
    for i in range(4):
        await create_study(api, clinic.key, f"1.2.78.{i}")
    live = {"f": {"isCancelled": False}}
    first = (await api.ok(STUDIES, live, token=clinic.key))["studies"]
    after = first["pageInfo"]["endCursor"]
    second = (await api.ok(STUDIES, {**live, "after": after}, token=clinic.key))["studies"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    # The first page's studies are cancelled: none before the cursor is in the list any more.
    for uid in ("1.2.78.0", "1.2.78.1"):
        await api.ok(CANCEL, {"uid": uid}, token=clinic.key)
    again = (await api.ok(STUDIES, {**live, "after": after}, token=clinic.key))["studies"]
    assert again["edges"] == second["edges"] and again["pageInfo"]["hasPreviousPage"] is False
    # Unfiltered, they are still there.
    unfiltered = (await api.ok(STUDIES, {"after": after}, token=clinic.key))["studies"]
    assert unfiltered["pageInfo"]["hasPreviousPage"] is True


async def test_other_connections_have_them_too(api, services, clinic):
    users = [(await add_user(services, clinic.id)).id for _ in range(2)]
    listed = await pages(api, clinic.key, USERS)
    assert sorted(e["node"]["id"] for p in listed for e in p["edges"]) == sorted(users)
    assert [p["pageInfo"]["hasPreviousPage"] for p in listed] == [False, True]
    assert all(p["pageInfo"]["startCursor"] == p["edges"][0]["cursor"] for p in listed)
