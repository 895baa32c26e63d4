"""Invitations: inviting a person, the life cycle (sent, accepted, rejected, revoked, expired), the link."""

import asyncio
from datetime import datetime, timedelta

from itsdangerous import URLSafeSerializer

from autoscribe.db import enums
from autoscribe.db.models import Invitation, User
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import (
    ACCEPT,
    BAD_NPI,
    INVITATION,
    INVITE,
    NPI_B,
    REJECT,
    REVOKE_INVITATION,
    REVOKE_USER,
    UPDATE_INVITATION,
    count,
    expire,
    invite,
    invite_input,
    link_token,
    stored_invitation,
    stored_user,
)

ME = "{ me { apiKeyId } }"


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_invite_with_an_api_key(api, services, clinic):
    key_id = (await api.ok(ME, token=clinic.key))["me"]["apiKeyId"]
    user = await invite(api, clinic.key, "Grace.Hopper@Example.com", middleName="B", suffix1="MD",
                        phoneNumber="15551234567", canManageStudies=True)
    assert user["id"].startswith("usr_") and user["status"] == "INVITED"
    assert user["email"] == "Grace.Hopper@Example.com" and user["middleName"] == "B"
    assert user["invitedSource"] == "API" and user["lastLoginAt"] is None
    [inv] = user["invitations"]
    assert inv["id"].startswith("inv_") and inv["userId"] == user["id"] and inv["clinicId"] == clinic.id
    assert inv["status"] == "SENT" and inv["invitedSource"] == "API"
    assert inv["inviterId"] is None and inv["invitedByApiKeyId"] == key_id
    assert inv["isExpired"] is False
    for key in ("email", "firstName", "lastName", "middleName", "suffix1", "phoneNumber", "npiNumber",
                "clinicRole", "level", "canCreateReports", "canManageStudies", "hasDashboardAccess"):
        assert inv[key] == user[key], key
    assert _ts(inv["expiry"]) - _ts(inv["createdAt"]) == timedelta(days=7)
    assert inv["acceptUrl"].startswith("http://testserver/invitations/")
    row = await stored_user(services, user["id"])
    assert row.email_lower == "grace.hopper@example.com" and row.accepted_at is None
    assert await count(services, User, clinic.id) == 1 and await count(services, Invitation, clinic.id) == 1


async def test_invite_by_an_admin_user(api, services, clinic):
    admin = await add_user(services, clinic.id, level=enums.UserLevel.ADMIN, has_dashboard_access=True)
    user = await invite(api, session_token(services, admin))
    [inv] = user["invitations"]
    assert user["invitedSource"] == "DASHBOARD" and inv["invitedSource"] == "DASHBOARD"
    assert inv["inviterId"] == admin.id and inv["invitedByApiKeyId"] is None
    assert inv["acceptUrl"] is not None


async def test_accept_by_the_link_with_no_bearer(api, services, clinic):
    user = await invite(api, clinic.key)
    token = link_token(user["invitations"][0]["acceptUrl"])
    accepted = (await api.ok(ACCEPT, {"token": token}))["acceptInvitation"]
    assert accepted["id"] == user["id"] and accepted["status"] == "ACTIVE"
    inv = (await api.ok(INVITATION, {"id": user["invitations"][0]["id"]}, token=clinic.key))["invitation"]
    assert inv["status"] == "ACCEPTED" and inv["acceptUrl"] is None and inv["isExpired"] is False
    row = await stored_user(services, user["id"])
    assert row.status == enums.UserStatus.ACTIVE and row.accepted_at is not None
    assert (await stored_invitation(services, inv["id"])).responded_at is not None
    # The link works once.
    for mutation in (ACCEPT, REJECT):
        err = await api.error(mutation, {"token": token})
        assert err["code"] == "CONFLICT" and err["field"] == "token", err
    assert (await stored_invitation(services, inv["id"])).status == enums.InvitationStatus.ACCEPTED


async def test_the_link_ignores_any_bearer(api, clinic):
    user = await invite(api, clinic.key)
    token = link_token(user["invitations"][0]["acceptUrl"])
    response = await api.raw(ACCEPT, {"token": token}, headers={"Authorization": "Bearer nonsense"})
    assert response.json()["data"]["acceptInvitation"]["status"] == "ACTIVE"


async def test_reject_by_the_link(api, services, clinic):
    user = await invite(api, clinic.key)
    token = link_token(user["invitations"][0]["acceptUrl"])
    rejected = (await api.ok(REJECT, {"token": token}))["rejectInvitation"]
    assert rejected["status"] == "REJECTED" and rejected["acceptUrl"] is None
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED
    for mutation in (ACCEPT, REJECT):
        err = await api.error(mutation, {"token": token})
        assert err["code"] == "CONFLICT" and err["field"] == "token"
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED
    assert (await stored_invitation(services, rejected["id"])).status == enums.InvitationStatus.REJECTED


async def test_a_revoked_invitation_cannot_be_answered(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    revoked = (await api.ok(REVOKE_INVITATION, {"id": inv["id"]}, token=clinic.key))["revokeInvitation"]
    assert revoked["status"] == "REVOKED" and revoked["acceptUrl"] is None
    err = await api.error(ACCEPT, {"token": link_token(inv["acceptUrl"])})
    assert err["code"] == "CONFLICT" and err["field"] == "token"
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED
    # Nothing left to revoke.
    err = await api.error(REVOKE_INVITATION, {"id": inv["id"]}, token=clinic.key)
    assert err["code"] == "CONFLICT"


async def test_an_expired_invitation_is_closed(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    token = link_token(inv["acceptUrl"])
    await expire(services, inv["id"])
    seen = (await api.ok(INVITATION, {"id": inv["id"]}, token=clinic.key))["invitation"]
    assert seen["status"] == "SENT" and seen["isExpired"] is True and seen["acceptUrl"] is None
    for mutation in (ACCEPT, REJECT):
        err = await api.error(mutation, {"token": token})
        assert err == {"code": "CONFLICT", "field": "token", "message": "The invitation has expired."}
    err = await api.error(UPDATE_INVITATION, {"id": inv["id"], "input": {"firstName": "G"}}, token=clinic.key)
    assert err["code"] == "CONFLICT"
    err = await api.error(REVOKE_INVITATION, {"id": inv["id"]}, token=clinic.key)
    assert err["code"] == "CONFLICT"
    row = await stored_invitation(services, inv["id"])
    assert row.status == enums.InvitationStatus.SENT and row.first_name == "Grace"
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED


async def test_a_link_past_its_own_expiry_is_refused(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    stale = services.signer.sign("invitation", {"i": inv["id"], "c": clinic.id}, ttl_seconds=-1)
    err = await api.error(ACCEPT, {"token": stale})
    assert err == {"code": "CONFLICT", "field": "token", "message": "The invitation has expired."}
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED


async def test_forged_links_are_bad_input(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    genuine = link_token(inv["acceptUrl"])
    payload = {"p": {"i": inv["id"], "c": clinic.id}}
    forged = [
        "nonsense",
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        # Signed with another secret, and signed by us for another purpose.
        URLSafeSerializer("not-our-secret", salt="autoscribe.invitation").dumps(payload),
        services.signer.sign("reroute", {"i": inv["id"], "c": clinic.id}),
        # Genuine signature over something that is not an invitation of ours.
        services.signer.sign("invitation", {"i": "inv_" + "0" * 32, "c": clinic.id}),
        services.signer.sign("invitation", ["not", "a", "dict"]),
    ]
    for token in forged:
        for mutation in (ACCEPT, REJECT):
            err = await api.error(mutation, {"token": token})
            assert err["code"] == "BAD_USER_INPUT" and err["field"] == "token", (token, err)
    assert (await stored_invitation(services, inv["id"])).status == enums.InvitationStatus.SENT
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.INVITED


async def test_a_link_of_another_clinic_does_not_open_ours(api, services, clinic, other_clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    crossed = services.signer.sign("invitation", {"i": inv["id"], "c": other_clinic.id})
    err = await api.error(ACCEPT, {"token": crossed})
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "token"


async def test_two_concurrent_accepts_one_wins(api, services, clinic):
    user = await invite(api, clinic.key)
    token = link_token(user["invitations"][0]["acceptUrl"])
    bodies = await asyncio.gather(api(ACCEPT, {"token": token}), api(REJECT, {"token": token}),
                                  api(ACCEPT, {"token": token}))
    wins = [b for b in bodies if not b.get("errors")]
    assert len(wins) == 1
    assert all(b["errors"][0]["extensions"]["code"] == "CONFLICT" for b in bodies if b.get("errors"))
    assert await count(services, Invitation, clinic.id) == 1


async def test_taken_email_is_conflict_ignoring_case(api, services, clinic, other_clinic):
    await invite(api, clinic.key, "ada@example.com")
    err = await api.error(INVITE, {"input": invite_input("ADA@Example.COM", firstName="Other")}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "input.email"
    active = await add_user(services, clinic.id, email="Active@Example.com", email_lower="active@example.com")
    err = await api.error(INVITE, {"input": invite_input("active@example.com")}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "input.email"
    assert await count(services, User, clinic.id) == 2 and await count(services, Invitation, clinic.id) == 1
    assert (await stored_user(services, active.id)).status == enums.UserStatus.ACTIVE
    # Another clinic may invite the same person.
    await invite(api, other_clinic.key, "ada@example.com")


async def test_concurrent_invites_of_one_address_make_one_user(api, services, clinic):
    bodies = await asyncio.gather(*[
        api(INVITE, {"input": invite_input("same@example.com")}, token=clinic.key) for _ in range(4)
    ])
    assert len([b for b in bodies if not b.get("errors")]) == 1
    assert {b["errors"][0]["extensions"]["code"] for b in bodies if b.get("errors")} == {"CONFLICT"}
    assert await count(services, User, clinic.id) == 1 and await count(services, Invitation, clinic.id) == 1


async def test_a_closed_invitation_can_be_sent_again_to_the_same_user(api, services, clinic):
    user = await invite(api, clinic.key, "re@example.com")
    first = user["invitations"][0]
    await api.ok(REJECT, {"token": link_token(first["acceptUrl"])})
    again = await invite(api, clinic.key, "RE@example.com", firstName="Grace2", npiNumber=NPI_B)
    assert again["id"] == user["id"] and again["email"] == "re@example.com"
    assert again["firstName"] == "Grace2" and again["npiNumber"] == NPI_B
    assert [i["status"] for i in again["invitations"]] == ["REJECTED", "SENT"]
    second = again["invitations"][1]
    assert second["firstName"] == "Grace2"
    # While that one is open, no third.
    err = await api.error(INVITE, {"input": invite_input("re@example.com")}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "input.email"
    # Once it expires, again; the old link stays dead and the new one works.
    await expire(services, second["id"])
    third = await invite(api, clinic.key, "re@example.com")
    assert len(third["invitations"]) == 3 and third["id"] == user["id"]
    err = await api.error(ACCEPT, {"token": link_token(second["acceptUrl"])})
    assert err["code"] == "CONFLICT"
    accepted = await api.ok(ACCEPT, {"token": link_token(third["invitations"][2]["acceptUrl"])})
    assert accepted["acceptInvitation"]["status"] == "ACTIVE"


async def test_update_invitation_changes_its_user_too(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    out = (await api.ok(UPDATE_INVITATION, {"id": inv["id"], "input": {
        "firstName": "Amazing", "middleName": "M", "npiNumber": NPI_B, "level": "ADMIN",
        "hasDashboardAccess": True, "clinicRole": "PHYSICIAN",
    }}, token=clinic.key))["updateInvitation"]
    assert out["firstName"] == "Amazing" and out["level"] == "ADMIN" and out["npiNumber"] == NPI_B
    assert out["user"]["firstName"] == "Amazing" and out["user"]["level"] == "ADMIN"
    assert out["user"]["clinicRole"] == "PHYSICIAN" and out["user"]["middleName"] == "M"
    assert out["lastName"] == "Hopper" and out["status"] == "SENT"
    assert _ts(out["updatedAt"]) > _ts(inv["updatedAt"]) and out["expiry"] == inv["expiry"]
    # An explicit null clears a nullable field; the required ones cannot be nulled.
    out = (await api.ok(UPDATE_INVITATION, {"id": inv["id"], "input": {"middleName": None}},
                        token=clinic.key))["updateInvitation"]
    assert out["middleName"] is None and out["user"]["middleName"] is None
    err = await api.error(UPDATE_INVITATION, {"id": inv["id"], "input": {"lastName": None}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "input.lastName"


async def test_update_invitation_keeps_the_person_rules(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    cases = [
        ({"npiNumber": None}, "input.npiNumber"),
        ({"npiNumber": BAD_NPI}, "input.npiNumber"),
        ({"level": "ADMIN"}, "input.hasDashboardAccess"),
        ({"phoneNumber": "12345"}, "input.phoneNumber"),
        ({"firstName": "  "}, "input.firstName"),
    ]
    for change, field in cases:
        err = await api.error(UPDATE_INVITATION, {"id": inv["id"], "input": change}, token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT" and err["field"] == field, (change, err)
    row, urow = await stored_invitation(services, inv["id"]), await stored_user(services, user["id"])
    assert (row.npi_number, row.level, row.phone_number) == (user["npiNumber"], enums.UserLevel.MEMBER, None)
    assert (urow.npi_number, urow.level) == (user["npiNumber"], enums.UserLevel.MEMBER)
    # Not reporting any more: the NPI may go.
    out = (await api.ok(UPDATE_INVITATION, {"id": inv["id"], "input": {"canCreateReports": False, "npiNumber": None}},
                        token=clinic.key))["updateInvitation"]
    assert out["npiNumber"] is None and out["user"]["canCreateReports"] is False


async def test_update_invitation_unknown_or_answered(api, clinic):
    err = await api.error(UPDATE_INVITATION, {"id": "inv_" + "1" * 32, "input": {"firstName": "X"}}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "id"
    err = await api.error(UPDATE_INVITATION, {"id": "usr_" + "1" * 32, "input": {"firstName": "X"}}, token=clinic.key)
    assert err == {"code": "BAD_USER_INPUT", "field": "id", "message": "Not a valid invitation ID."}
    user = await invite(api, clinic.key)
    await api.ok(ACCEPT, {"token": link_token(user["invitations"][0]["acceptUrl"])})
    err = await api.error(UPDATE_INVITATION, {"id": user["invitations"][0]["id"], "input": {"firstName": "X"}},
                          token=clinic.key)
    assert err["code"] == "CONFLICT"


async def test_revoke_invitation_by_user_or_both(api, services, clinic):
    a = await invite(api, clinic.key, "a@example.com")
    out = (await api.ok(REVOKE_INVITATION, {"userId": a["id"]}, token=clinic.key))["revokeInvitation"]
    assert out["id"] == a["invitations"][0]["id"] and out["status"] == "REVOKED"
    b = await invite(api, clinic.key, "b@example.com")
    err = await api.error(REVOKE_INVITATION, {"id": b["invitations"][0]["id"], "userId": a["id"]}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "userId"
    assert (await stored_invitation(services, b["invitations"][0]["id"])).status == enums.InvitationStatus.SENT
    out = (await api.ok(REVOKE_INVITATION, {"id": b["invitations"][0]["id"], "userId": b["id"]},
                        token=clinic.key))["revokeInvitation"]
    assert out["status"] == "REVOKED"


async def test_revoke_invitation_needs_a_well_formed_known_key(api, services, clinic):
    err = await api.error(REVOKE_INVITATION, {}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "id"
    err = await api.error(REVOKE_INVITATION, {"id": "inv_nope"}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "id"
    err = await api.error(REVOKE_INVITATION, {"userId": "inv_" + "2" * 32}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "userId"
    err = await api.error(REVOKE_INVITATION, {"id": "inv_" + "2" * 32}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "id"
    err = await api.error(REVOKE_INVITATION, {"userId": "usr_" + "2" * 32}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "userId"
    # A user who came with no invitation has none to revoke.
    direct = await add_user(services, clinic.id)
    err = await api.error(REVOKE_INVITATION, {"userId": direct.id}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "userId"


async def test_revoking_an_invited_user_closes_the_invitation(api, services, clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    out = (await api.ok(REVOKE_USER, {"id": user["id"]}, token=clinic.key))["revokeUserAccess"]
    assert out["status"] == "REVOKED"
    assert (await stored_invitation(services, inv["id"])).status == enums.InvitationStatus.REVOKED
    err = await api.error(ACCEPT, {"token": link_token(inv["acceptUrl"])})
    assert err["code"] == "CONFLICT"
    assert (await stored_user(services, user["id"])).status == enums.UserStatus.REVOKED


async def test_another_clinic_sees_and_touches_no_invitation(api, services, clinic, other_clinic):
    user = await invite(api, clinic.key)
    inv = user["invitations"][0]
    theirs = other_clinic.key
    assert (await api.ok(INVITATION, {"id": inv["id"]}, token=theirs))["invitation"] is None
    listed = (await api.ok("{ invitations { totalCount nodes { id } } }", token=theirs))["invitations"]
    assert listed == {"totalCount": 0, "nodes": []}
    node = await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": inv["id"]}, token=theirs)
    assert node["node"] is None
    ghost = "inv_" + "3" * 32
    for variables, mutation in (
        ({"id": inv["id"], "input": {"firstName": "X"}}, UPDATE_INVITATION),
        ({"id": inv["id"]}, REVOKE_INVITATION),
    ):
        err = await api.error(mutation, variables, token=theirs)
        err_ghost = await api.error(mutation, {**variables, "id": ghost}, token=theirs)
        assert err["code"] == "NOT_FOUND" and err == err_ghost
    err = await api.error(REVOKE_INVITATION, {"userId": user["id"]}, token=theirs)
    assert err["code"] == "NOT_FOUND"
    row = await stored_invitation(services, inv["id"])
    assert row.status == enums.InvitationStatus.SENT and row.first_name == "Grace"


INVITATIONS = """query($filter: InvitationFilter, $first: Int, $after: String) {
  invitations(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status isExpired userId } } } }"""


async def _ids(api, token, flt=None):
    data = await api.ok(INVITATIONS, {"filter": flt, "first": 100}, token=token)
    return [e["node"]["id"] for e in data["invitations"]["edges"]]


async def test_invitation_filters(api, services, clinic):
    sent = (await invite(api, clinic.key, "s@example.com"))["invitations"][0]
    old = (await invite(api, clinic.key, "o@example.com"))["invitations"][0]
    acc = await invite(api, clinic.key, "a@example.com")
    await api.ok(ACCEPT, {"token": link_token(acc["invitations"][0]["acceptUrl"])})
    acc = acc["invitations"][0]
    rej = (await invite(api, clinic.key, "r@example.com"))["invitations"][0]
    await api.ok(REJECT, {"token": link_token(rej["acceptUrl"])})
    await expire(services, old["id"])
    everything = {sent["id"], old["id"], acc["id"], rej["id"]}
    assert set(await _ids(api, clinic.key)) == everything
    assert set(await _ids(api, clinic.key, {"expired": "ALL"})) == everything
    assert await _ids(api, clinic.key, {"expired": "EXPIRED"}) == [old["id"]]
    assert set(await _ids(api, clinic.key, {"expired": "NOT_EXPIRED"})) == everything - {old["id"]}
    assert set(await _ids(api, clinic.key, {"status": ["SENT"]})) == {sent["id"], old["id"]}
    assert await _ids(api, clinic.key, {"status": ["SENT"], "expired": "NOT_EXPIRED"}) == [sent["id"]]
    assert set(await _ids(api, clinic.key, {"status": ["ACCEPTED", "REJECTED"]})) == {acc["id"], rej["id"]}
    assert await _ids(api, clinic.key, {"userId": acc["userId"]}) == [acc["id"]]
    err = await api.error(INVITATIONS, {"filter": {"userId": "nope"}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "filter.userId"


async def test_invitation_date_range_is_inclusive(api, services, clinic):
    made = [(await invite(api, clinic.key, f"d{i}@example.com"))["invitations"][0]["id"] for i in range(4)]
    days = ["2026-03-01T00:00:00", "2026-03-02T12:00:00", "2026-03-03T23:59:59.999999", "2026-03-04T00:00:00"]
    async with services.db.write() as session:
        for inv_id, day in zip(made, days):
            (await session.get(Invitation, inv_id)).created_at = datetime.fromisoformat(day + "+00:00")
    assert await _ids(api, clinic.key, {"startDate": "2026-03-02", "endDate": "2026-03-03"}) == [made[2], made[1]]
    assert await _ids(api, clinic.key, {"startDate": "2026-03-03"}) == [made[3], made[2]]
    assert await _ids(api, clinic.key, {"endDate": "2026-03-01"}) == [made[0]]
    assert await _ids(api, clinic.key, {"startDate": "2026-03-04", "endDate": "2026-03-04"}) == [made[3]]
    err = await api.error(INVITATIONS, {"filter": {"startDate": "2026-03-04", "endDate": "2026-03-03"}},
                          token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "filter.endDate"
    err = await api.error(INVITATIONS, {"filter": {"startDate": "2026-13-01"}}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"


async def test_invitations_page_newest_first_with_total(api, clinic):
    made = [(await invite(api, clinic.key, f"p{i}@example.com"))["invitations"][0]["id"] for i in range(5)]
    seen, after = [], None
    while True:
        data = (await api.ok(INVITATIONS, {"first": 2, "after": after}, token=clinic.key))["invitations"]
        assert data["totalCount"] == 5
        seen += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == list(reversed(made))
    users_cursor = (await api.ok("{ users(first: 1) { pageInfo { endCursor } } }", token=clinic.key))
    err = await api.error(INVITATIONS, {"after": users_cursor["users"]["pageInfo"]["endCursor"]}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "after"
