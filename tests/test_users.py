"""Users: lookups, the list with its filters and pages, updates, revoking and reactivating access."""

import pytest

from autoscribe.db import enums
from autoscribe.db.models import Invitation, Study, User
from tests.support.clinics import add_user
from tests.support.people_helpers import (
    ACCEPT,
    BAD_NPI,
    NPI_B,
    REACTIVATE_USER,
    REVOKE_USER,
    UPDATE_USER,
    USER,
    count,
    invite,
    invite_and_accept,
    link_token,
    stored_invitation,
    stored_user,
)
from tests.support.live_helpers import WORKLIST, cursor_at, worklist_of
from tests.support.reports_helpers import radiologist, start
from tests.support.studies_helpers import create_study
from tests.support.ws_client import GraphQLWS

USERS = """query($filter: UserFilter, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id email } } nodes { id } } }"""


async def test_user_by_id(api, services, clinic):
    user = await invite_and_accept(api, clinic.key, "ada@example.com", phoneNumber="5551234567", suffix2="PhD")
    seen = (await api.ok(USER, {"id": user["id"]}, token=clinic.key))["user"]
    assert seen == user
    assert seen["status"] == "ACTIVE" and seen["phoneNumber"] == "5551234567" and seen["suffix2"] == "PhD"
    assert (await api.ok(USER, {"id": "usr_" + "f" * 32}, token=clinic.key))["user"] is None
    err = await api.error(USER, {"id": "stu_" + "f" * 32}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "id"
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on User { email } } }", {"id": user["id"]},
                        token=clinic.key)
    assert node["node"] == {"email": "ada@example.com"}


async def test_user_invitations_and_invitation_user(api, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    data = await api.ok("query($id: ID!) { invitation(id: $id) { user { id status invitations { id } } } }",
                        {"id": inv["id"]}, token=clinic.key)
    assert data["invitation"]["user"] == {"id": user["id"], "status": "INVITED", "invitations": [{"id": inv["id"]}]}


async def test_assigned_studies_is_the_worklist_in_priority_order(api, services, clinic):
    rad = await add_user(services, clinic.id)
    other = await add_user(services, clinic.id)
    normal = await create_study(api, clinic.key, "1.1", severity="NORMAL", assignedTo=rad.id)
    stat = await create_study(api, clinic.key, "1.2", severity="STAT", assignedTo=rad.id)
    await create_study(api, clinic.key, "1.3", severity="STAT", assignedTo=other.id)
    await create_study(api, clinic.key, "1.4", severity="STAT")
    high = await create_study(api, clinic.key, "1.5", severity="HIGH", assignedTo=rad.id)
    normal2 = await create_study(api, clinic.key, "1.6", severity="NORMAL", assignedTo=rad.id)
    query = """query($id: ID!, $after: String) { user(id: $id) { assignedStudies(first: 3, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id } } } }"""
    page = (await api.ok(query, {"id": rad.id}, token=clinic.key))["user"]["assignedStudies"]
    assert page["totalCount"] == 4 and page["pageInfo"]["hasNextPage"] is True
    assert [n["id"] for n in page["nodes"]] == [stat["id"], high["id"], normal["id"]]
    rest = (await api.ok(query, {"id": rad.id, "after": page["pageInfo"]["endCursor"]}, token=clinic.key))
    assert [n["id"] for n in rest["user"]["assignedStudies"]["nodes"]] == [normal2["id"]]
    filtered = await api.ok("""query($id: ID!) { user(id: $id) {
      assignedStudies(filter: {severity: [NORMAL]}, orderBy: CREATED_AT_DESC) { nodes { id } } } }""",
                            {"id": rad.id}, token=clinic.key)
    assert [n["id"] for n in filtered["user"]["assignedStudies"]["nodes"]] == [normal2["id"], normal["id"]]


async def _user_ids(api, token, flt=None):
    data = await api.ok(USERS, {"filter": flt, "first": 100}, token=token)
    assert data["users"]["totalCount"] == len(data["users"]["edges"])
    return [e["node"]["id"] for e in data["users"]["edges"]]


async def test_user_filters(api, services, clinic):
    ada = await invite_and_accept(api, clinic.key, "Ada@Example.com", firstName="Ada", lastName="Lovelace")
    bob = await invite(api, clinic.key, "bob@example.com", firstName="Bobby", lastName="Tables",
                       canCreateReports=False, npiNumber=None, level="ADMIN", hasDashboardAccess=True)
    cy = await add_user(services, clinic.id, first_name="Cyrus", last_name="Lovell", status=enums.UserStatus.REVOKED,
                        invited_source=enums.InvitedSource.DASHBOARD)
    owner = await add_user(services, clinic.id, first_name="Olga", last_name="Owner_%", level=enums.UserLevel.OWNER,
                           can_create_reports=False, npi_number=None, has_dashboard_access=True)
    ids = lambda *users: [u["id"] if isinstance(u, dict) else u.id for u in users]  # noqa: E731
    assert await _user_ids(api, clinic.key) == ids(ada, bob, cy, owner)
    assert await _user_ids(api, clinic.key, {"email": "ADA@example.COM"}) == ids(ada)
    assert await _user_ids(api, clinic.key, {"email": "ada@example"}) == []
    assert await _user_ids(api, clinic.key, {"firstName": "BB"}) == ids(bob)
    assert await _user_ids(api, clinic.key, {"lastName": "lov"}) == ids(ada, cy)
    assert await _user_ids(api, clinic.key, {"lastName": "_%"}) == ids(owner)
    assert await _user_ids(api, clinic.key, {"canCreateReports": True}) == ids(ada, cy)
    assert await _user_ids(api, clinic.key, {"canCreateReports": False}) == ids(bob, owner)
    assert await _user_ids(api, clinic.key, {"invitedSource": "DASHBOARD"}) == ids(cy)
    assert await _user_ids(api, clinic.key, {"level": "ADMIN"}) == ids(bob)
    assert await _user_ids(api, clinic.key, {"level": "OWNER"}) == ids(owner)
    assert await _user_ids(api, clinic.key, {"status": ["INVITED", "REVOKED"]}) == ids(bob, cy)
    assert await _user_ids(api, clinic.key, {"status": ["ACTIVE"], "canCreateReports": True}) == ids(ada)


async def test_users_pages_with_total_never_repeat_or_skip(api, services, clinic):
    made = [(await add_user(services, clinic.id)).id for _ in range(5)]
    seen, after = [], None
    while True:
        data = (await api.ok(USERS, {"first": 2, "after": after}, token=clinic.key))["users"]
        assert data["totalCount"] >= 5
        seen += [e["node"]["id"] for e in data["edges"]]
        assert [e["node"]["id"] for e in data["edges"]] == [n["id"] for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
        made.append((await add_user(services, clinic.id)).id)  # joins while we page
    assert seen[:5] == made[:5] and len(seen) == len(set(seen))
    assert set(seen) == set(made)
    for first in (0, 101):
        err = await api.error(USERS, {"first": first}, token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT" and err["field"] == "first"
    err = await api.error(USERS, {"after": "forged"}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "after"


async def test_another_clinic_sees_and_touches_no_user(api, services, clinic, other_clinic):
    user = await invite_and_accept(api, clinic.key)
    theirs = other_clinic.key
    assert (await api.ok(USER, {"id": user["id"]}, token=theirs))["user"] is None
    assert (await api.ok(USERS, token=theirs))["users"]["totalCount"] == 0
    assert (await api.ok(USERS, {"filter": {"email": user["email"]}}, token=theirs))["users"]["nodes"] == []
    ghost = "usr_" + "4" * 32
    for mutation, variables in (
        (UPDATE_USER, {"id": user["id"], "input": {"firstName": "X"}}),
        (REVOKE_USER, {"id": user["id"]}),
        (REACTIVATE_USER, {"id": user["id"]}),
    ):
        err = await api.error(mutation, variables, token=theirs)
        assert err["code"] == "NOT_FOUND" and err == await api.error(mutation, {**variables, "id": ghost}, token=theirs)
    row = await stored_user(services, user["id"])
    assert row.first_name == "Grace" and row.status == enums.UserStatus.ACTIVE and row.token_epoch == 0


async def test_update_user_changes_only_given_fields(api, services, clinic):
    user = await invite_and_accept(api, clinic.key, middleName="Brewster", phoneNumber="5551234567")
    out = (await api.ok(UPDATE_USER, {"id": user["id"], "input": {
        "lastName": "Murray", "middleName": None, "phoneNumber": "441234567890", "clinicRole": "SURGEON",
    }}, token=clinic.key))["updateUser"]
    expected = dict(user, lastName="Murray", middleName=None, phoneNumber="441234567890", clinicRole="SURGEON")
    assert out == expected
    row = await stored_user(services, user["id"])
    assert row.updated_at > row.created_at and row.middle_name is None


async def test_email_cannot_be_changed(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    err = await api.error(UPDATE_USER, {"id": user["id"], "input": {"email": "new@example.com"}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    assert (await stored_user(services, user["id"])).email == user["email"]


@pytest.mark.parametrize("change, field", [
    ({"canCreateReports": True}, "input.npiNumber"),  # turned on with no NPI
    ({"firstName": None}, "input.firstName"),
    ({"lastName": ""}, "input.lastName"),
    ({"canManageStudies": None}, "input.canManageStudies"),
    ({"level": None}, "input.level"),
    ({"npiNumber": BAD_NPI}, "input.npiNumber"),
    ({"phoneNumber": "555-123-4567"}, "input.phoneNumber"),
    ({"level": "ADMIN"}, "input.hasDashboardAccess"),
    ({"level": "ADMIN", "hasDashboardAccess": True, "canCreateReports": True}, "input.npiNumber"),
])
async def test_update_user_rules_store_nothing(api, services, clinic, change, field):
    user = await invite_and_accept(api, clinic.key, canCreateReports=False, npiNumber=None)
    err = await api.error(UPDATE_USER, {"id": user["id"], "input": change}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == field, err
    assert (await api.ok(USER, {"id": user["id"]}, token=clinic.key))["user"] == user


async def test_clearing_the_npi_of_a_reporting_user_is_refused(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    err = await api.error(UPDATE_USER, {"id": user["id"], "input": {"npiNumber": None}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "input.npiNumber"
    assert (await stored_user(services, user["id"])).npi_number == user["npiNumber"]
    out = (await api.ok(UPDATE_USER, {"id": user["id"], "input": {"npiNumber": None, "canCreateReports": False}},
                        token=clinic.key))["updateUser"]
    assert out["npiNumber"] is None and out["canCreateReports"] is False
    out = (await api.ok(UPDATE_USER, {"id": user["id"], "input": {"npiNumber": NPI_B, "canCreateReports": True,
                                                                  "level": "ADMIN", "hasDashboardAccess": True}},
                        token=clinic.key))["updateUser"]
    assert (out["npiNumber"], out["canCreateReports"], out["level"]) == (NPI_B, True, "ADMIN")


async def test_owner_level_is_never_assigned(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    err = await api.error(UPDATE_USER, {"id": user["id"], "input": {"level": "OWNER", "hasDashboardAccess": True}},
                          token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    assert (await stored_user(services, user["id"])).level == enums.UserLevel.MEMBER


async def test_the_owner_cannot_be_updated_or_revoked(api, services, clinic):
    owner = await add_user(services, clinic.id, level=enums.UserLevel.OWNER, has_dashboard_access=True)
    err = await api.error(UPDATE_USER, {"id": owner.id, "input": {"level": "MEMBER"}}, token=clinic.key)
    assert err["code"] == "FORBIDDEN"
    err = await api.error(REVOKE_USER, {"id": owner.id}, token=clinic.key)
    assert err["code"] == "FORBIDDEN"
    row = await stored_user(services, owner.id)
    assert row.level == enums.UserLevel.OWNER and row.status == enums.UserStatus.ACTIVE and row.token_epoch == 0


async def test_updating_an_invited_user_updates_its_open_invitation(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    await api.ok(UPDATE_USER, {"id": user["id"], "input": {"firstName": "Gracie"}}, token=clinic.key)
    assert (await stored_invitation(services, inv["id"])).first_name == "Gracie"
    # Once answered, the invitation keeps what it said.
    await api.ok(ACCEPT, {"token": link_token(inv["acceptUrl"])})
    await api.ok(UPDATE_USER, {"id": user["id"], "input": {"firstName": "Grace"}}, token=clinic.key)
    assert (await stored_invitation(services, inv["id"])).first_name == "Gracie"
    assert (await stored_user(services, user["id"])).first_name == "Grace"


async def test_update_user_unknown_or_malformed(api, clinic):
    err = await api.error(UPDATE_USER, {"id": "usr_" + "5" * 32, "input": {"firstName": "X"}}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "id"
    for mutation in (UPDATE_USER, REVOKE_USER, REACTIVATE_USER):
        variables = {"id": "inv_" + "5" * 32, "input": {"firstName": "X"}} if mutation is UPDATE_USER else {"id": "x"}
        err = await api.error(mutation, variables, token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT" and err["field"] == "id"


async def test_revoke_and_reactivate_an_accepted_user(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    out = (await api.ok(REVOKE_USER, {"id": user["id"]}, token=clinic.key))["revokeUserAccess"]
    assert out["status"] == "REVOKED"
    assert (await stored_user(services, user["id"])).token_epoch == 1
    # Again: nothing changes.
    out = (await api.ok(REVOKE_USER, {"id": user["id"]}, token=clinic.key))["revokeUserAccess"]
    assert out["status"] == "REVOKED" and (await stored_user(services, user["id"])).token_epoch == 1
    out = (await api.ok(REACTIVATE_USER, {"id": user["id"]}, token=clinic.key))["reactivateUser"]
    assert out["status"] == "ACTIVE" and out == dict(user, status="ACTIVE")
    out = (await api.ok(REACTIVATE_USER, {"id": user["id"]}, token=clinic.key))["reactivateUser"]
    assert out["status"] == "ACTIVE" and (await stored_user(services, user["id"])).token_epoch == 1


async def test_a_user_who_never_accepted_is_reactivated_as_invited(api, services, clinic):
    user = await invite(api, clinic.key)
    await api.ok(REVOKE_USER, {"id": user["id"]}, token=clinic.key)
    out = (await api.ok(REACTIVATE_USER, {"id": user["id"]}, token=clinic.key))["reactivateUser"]
    assert out["status"] == "INVITED"
    # The revoked invitation stays revoked; a new one can be sent to the same user.
    again = await invite(api, clinic.key)
    assert again["id"] == user["id"] and [i["status"] for i in again["invitations"]] == ["REVOKED", "SENT"]
    assert await count(services, User, clinic.id) == 1 and await count(services, Invitation, clinic.id) == 2


async def test_revoking_unassigns_the_users_studies_not_started_with_their_events(api, services, clinic, ws_url):
    user, token = await radiologist(services, clinic)
    waiting = await create_study(api, clinic.key, "2.1", assignedTo=user.id)
    dictating = await create_study(api, clinic.key, "2.2", assignedTo=user.id)
    await start(api, token, dictating["id"])
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        assert worklist_of(await sub.take(3)) == [
            ("ADDED", waiting["id"]), ("ADDED", dictating["id"]), ("UPDATED", dictating["id"])]
        await api.ok(REVOKE_USER, {"id": user.id}, token=clinic.key)
        [change] = await sub.take(1)
        assert worklist_of([change]) == [("UPDATED", waiting["id"])]
        assert change["worklist"]["study"]["studyReportStatus"] == "UNASSIGNED"
        assert change["worklist"]["study"]["assignedTo"] is None
        await sub.nothing(0.3)  # the report being dictated keeps its study as it is
    async with services.db.read() as session:
        kept = await session.get(Study, dictating["id"])
        assert (kept.assigned_to_id, kept.study_report_status) == (user.id, enums.StudyReportStatus.IN_PROGRESS)
        unassigned = await session.get(Study, waiting["id"])
        assert (unassigned.assigned_to_id, unassigned.study_report_status) == (
            None, enums.StudyReportStatus.UNASSIGNED)
