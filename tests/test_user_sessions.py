"""User sessions: minted for an API key, acting as exactly one active user, dead once the user is revoked."""

from datetime import datetime, timedelta, timezone

import pytest

from autoscribe.db import enums
from autoscribe.db.models import User
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import (
    REACTIVATE_USER,
    REVOKE_USER,
    SESSION,
    invite,
    invite_and_accept,
    stored_user,
)
from tests.support.studies_helpers import study_input

ME = "{ me { clinicId apiKeyId user { id email lastLoginAt } } }"
CREATE_STUDY = "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id } }"


async def _session(api, key, user_id, ttl=None) -> dict:
    variables = {"userId": user_id} if ttl is None else {"userId": user_id, "ttl": ttl}
    return (await api.ok(SESSION, variables, token=key))["createUserSession"]


async def test_a_session_acts_as_the_user(api, clinic):
    user = await invite_and_accept(api, clinic.key)
    before = datetime.now(timezone.utc)
    grant = await _session(api, clinic.key, user["id"])
    assert grant["user"] == {"id": user["id"], "status": "ACTIVE"}
    expires = datetime.fromisoformat(grant["expiresAt"])
    assert before + timedelta(seconds=3595) <= expires <= before + timedelta(seconds=3605)
    me = (await api.ok(ME, token=grant["token"]))["me"]
    assert me["clinicId"] == clinic.id and me["apiKeyId"] is None
    assert me["user"]["id"] == user["id"] and me["user"]["email"] == user["email"]


async def test_the_session_has_exactly_the_users_rights(api, services, clinic):
    reader = await invite_and_accept(api, clinic.key, "r@example.com")
    manager = await invite_and_accept(api, clinic.key, "m@example.com", canManageStudies=True)
    reader_token = (await _session(api, clinic.key, reader["id"]))["token"]
    manager_token = (await _session(api, clinic.key, manager["id"]))["token"]
    err = await api.error(CREATE_STUDY, {"input": study_input("3.1")}, token=reader_token)
    assert err["code"] == "FORBIDDEN"
    await api.ok(CREATE_STUDY, {"input": study_input("3.1")}, token=manager_token)
    # Neither may mint sessions: that is for API keys.
    err = await api.error(SESSION, {"userId": reader["id"]}, token=manager_token)
    assert err["code"] == "FORBIDDEN"
    admin = await add_user(services, clinic.id, level=enums.UserLevel.ADMIN, has_dashboard_access=True)
    err = await api.error(SESSION, {"userId": reader["id"]}, token=session_token(services, admin))
    assert err["code"] == "FORBIDDEN"


@pytest.mark.parametrize("ttl, ok", [(59, False), (60, True), (86_400, True), (86_401, False), (0, False), (-5, False)])
async def test_ttl_bounds(api, clinic, ttl, ok):
    user = await invite_and_accept(api, clinic.key)
    body = await api(SESSION, {"userId": user["id"], "ttl": ttl}, token=clinic.key)
    if ok:
        assert not body.get("errors")
        expires = datetime.fromisoformat(body["data"]["createUserSession"]["expiresAt"])
        assert abs((expires - datetime.now(timezone.utc)).total_seconds() - ttl) < 5
    else:
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "ttlSeconds"}


async def test_explicit_null_ttl_is_bad_input(api, clinic):
    user = await invite_and_accept(api, clinic.key)
    err = await api.error(SESSION, {"userId": user["id"], "ttl": None}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "ttlSeconds"


async def test_only_active_users_get_sessions(api, services, clinic, other_clinic):
    invited = await invite(api, clinic.key, "i@example.com")
    err = await api.error(SESSION, {"userId": invited["id"]}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "userId"
    revoked = await invite_and_accept(api, clinic.key, "v@example.com")
    await api.ok(REVOKE_USER, {"id": revoked["id"]}, token=clinic.key)
    err = await api.error(SESSION, {"userId": revoked["id"]}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "userId"
    err = await api.error(SESSION, {"userId": "usr_" + "6" * 32}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "userId"
    err = await api.error(SESSION, {"userId": "stu_" + "6" * 32}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "userId"
    # Another clinic's user is as unknown as one that does not exist.
    theirs = await add_user(services, other_clinic.id)
    err = await api.error(SESSION, {"userId": theirs.id}, token=clinic.key)
    assert err["code"] == "NOT_FOUND" and err["field"] == "userId"


async def test_revocation_ends_a_live_session_at_once(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    token = (await _session(api, clinic.key, user["id"]))["token"]
    await api.ok(ME, token=token)
    await api.ok(REVOKE_USER, {"id": user["id"]}, token=clinic.key)
    body = await api(ME, token=token)
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Reactivation does not revive old tokens; a new session works.
    await api.ok(REACTIVATE_USER, {"id": user["id"]}, token=clinic.key)
    body = await api(ME, token=token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    fresh = (await _session(api, clinic.key, user["id"]))["token"]
    assert (await api.ok(ME, token=fresh))["me"]["user"]["id"] == user["id"]


async def test_expired_or_altered_session_tokens_are_refused(api, services, clinic):
    user = await add_user(services, clinic.id)
    for token in (session_token(services, user, ttl=-1), session_token(services, user) + "x"):
        body = await api(ME, token=token)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_session_sees_only_its_clinic(api, services, clinic, other_clinic):
    mine = await invite_and_accept(api, clinic.key, "mine@example.com")
    theirs = await invite_and_accept(api, other_clinic.key, "theirs@example.com")
    token = (await _session(api, clinic.key, mine["id"]))["token"]
    data = await api.ok("query($id: ID!) { user(id: $id) { id } users { totalCount } }", {"id": theirs["id"]},
                        token=token)
    assert data == {"user": None, "users": {"totalCount": 1}}


async def test_last_login_is_recorded_at_most_once_a_minute(api, services, clinic):
    user = await invite_and_accept(api, clinic.key)
    assert user["lastLoginAt"] is None
    token = (await _session(api, clinic.key, user["id"]))["token"]
    assert (await stored_user(services, user["id"])).last_login_at is None  # minting is not a use
    first = datetime.fromisoformat((await api.ok(ME, token=token))["me"]["user"]["lastLoginAt"])
    assert abs((first - datetime.now(timezone.utc)).total_seconds()) < 5
    assert (await stored_user(services, user["id"])).last_login_at == first
    await api.ok(ME, token=token)
    assert (await stored_user(services, user["id"])).last_login_at == first
    # A minute later, the next use is recorded.
    async with services.db.write() as session:
        (await session.get(User, user["id"])).last_login_at = first - timedelta(seconds=61)
    second = datetime.fromisoformat((await api.ok(ME, token=token))["me"]["user"]["lastLoginAt"])
    assert second > first
    assert (await stored_user(services, user["id"])).last_login_at == second
