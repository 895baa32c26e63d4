"""Who may do what: each right for a member, a study manager, a radiologist, an admin and the owner."""

import pytest

from autoscribe.operations.authentication import mint_session_token
from autoscribe.db import enums
from autoscribe.db.models import Invitation, Study, User
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import (
    ADMINS,
    INVITATION,
    INVITE,
    REACTIVATE_USER,
    REVOKE_INVITATION,
    REVOKE_USER,
    ROLES,
    SESSION,
    UPDATE_INVITATION,
    UPDATE_USER,
    count,
    invite,
    invite_and_accept,
    invite_input,
    stored_invitation,
    stored_user,
)
from tests.support.studies_helpers import study_input

READ = "{ users { totalCount } invitations { totalCount } studies { totalCount } me { user { id } } }"
CREATE_STUDY = "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id } }"
UPDATE_STUDY = "mutation($id: ID!, $to: ID) { updateStudy(id: $id, input: {assignedTo: $to}) { assignedTo { id } } }"


async def _as(services, clinic, role: str) -> tuple[User, str]:
    user = await add_user(services, clinic.id, **ROLES[role])
    return user, session_token(services, user)


@pytest.mark.parametrize("role", ROLES)
async def test_everyone_active_reads(api, services, clinic, role):
    user, token = await _as(services, clinic, role)
    data = await api.ok(READ, token=token)
    assert data["me"]["user"]["id"] == user.id and data["users"]["totalCount"] == 1


@pytest.mark.parametrize("role", ROLES)
async def test_creating_studies_needs_can_manage_studies(api, services, clinic, role):
    _, token = await _as(services, clinic, role)
    body = await api(CREATE_STUDY, {"input": study_input("5.1")}, token=token)
    if role == "manager":
        assert not body.get("errors")
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await count(services, Study, clinic.id) == 0


@pytest.mark.parametrize("role", ROLES)
async def test_inviting_needs_an_admin(api, services, clinic, role):
    _, token = await _as(services, clinic, role)
    body = await api(INVITE, {"input": invite_input()}, token=token)
    if role in ADMINS:
        assert body["data"]["inviteUser"]["status"] == "INVITED"
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None
        assert await count(services, Invitation, clinic.id) == 0


@pytest.mark.parametrize("role", ROLES)
async def test_managing_users_and_invitations_needs_an_admin(api, services, clinic, role):
    _, token = await _as(services, clinic, role)
    invited = await invite(api, clinic.key, "invited@example.com")
    inv = invited["invitations"][0]
    active = await invite_and_accept(api, clinic.key, "active@example.com")
    attempts = [
        (UPDATE_USER, {"id": active["id"], "input": {"firstName": "Changed"}}),
        (UPDATE_INVITATION, {"id": inv["id"], "input": {"firstName": "Changed"}}),
        (REVOKE_USER, {"id": active["id"]}),
        (REACTIVATE_USER, {"id": active["id"]}),
        (REVOKE_INVITATION, {"id": inv["id"]}),
    ]
    for mutation, variables in attempts:
        body = await api(mutation, variables, token=token)
        if role in ADMINS:
            assert not body.get("errors"), (mutation, body)
        else:
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", mutation
    user_row, inv_row = await stored_user(services, active["id"]), await stored_invitation(services, inv["id"])
    if role in ADMINS:
        assert (user_row.first_name, user_row.status, user_row.token_epoch) == ("Changed", enums.UserStatus.ACTIVE, 1)
        assert (inv_row.first_name, inv_row.status) == ("Changed", enums.InvitationStatus.REVOKED)
    else:
        assert (user_row.first_name, user_row.status, user_row.token_epoch) == ("Grace", enums.UserStatus.ACTIVE, 0)
        assert (inv_row.first_name, inv_row.status) == ("Grace", enums.InvitationStatus.SENT)


@pytest.mark.parametrize("role", ROLES)
async def test_the_accept_url_is_for_admins_and_api_keys(api, services, clinic, role):
    _, token = await _as(services, clinic, role)
    inv = (await invite(api, clinic.key))["invitations"][0]
    assert inv["acceptUrl"] is not None  # the API key sees it
    seen = (await api.ok(INVITATION, {"id": inv["id"]}, token=token))["invitation"]
    assert seen["id"] == inv["id"] and seen["email"] == inv["email"]
    assert (seen["acceptUrl"] is not None) == (role in ADMINS)


@pytest.mark.parametrize("role", ROLES)
async def test_only_api_keys_mint_sessions(api, services, clinic, role):
    user, token = await _as(services, clinic, role)
    err = await api.error(SESSION, {"userId": user.id}, token=token)
    assert err["code"] == "FORBIDDEN"


async def test_a_read_only_session_of_an_admin_manages_nothing(api, services, clinic):
    admin = await add_user(services, clinic.id, **ROLES["admin"])
    token, _ = mint_session_token(services.signer, admin, 600, read_only=True)
    inv = (await invite(api, clinic.key))["invitations"][0]
    assert (await api.ok(INVITATION, {"id": inv["id"]}, token=token))["invitation"]["acceptUrl"] is None
    err = await api.error(INVITE, {"input": invite_input("x@example.com")}, token=token)
    assert err["code"] == "FORBIDDEN"


# Only an active user who can create reports takes studies, whatever path brought them there.

async def _assign(api, clinic, study_id, user_id):
    return await api(UPDATE_STUDY, {"id": study_id, "to": user_id}, token=clinic.key)


async def test_assignees_must_be_active_and_reporting(api, services, clinic):
    study = (await api.ok(CREATE_STUDY, {"input": study_input("6.1")}, token=clinic.key))["createStudy"]
    invited = await invite(api, clinic.key, "invited@example.com")
    revoked = await invite_and_accept(api, clinic.key, "revoked@example.com")
    await api.ok(REVOKE_USER, {"id": revoked["id"]}, token=clinic.key)
    no_reports = await invite_and_accept(api, clinic.key, "noreports@example.com")
    await api.ok(UPDATE_USER, {"id": no_reports["id"], "input": {"canCreateReports": False}}, token=clinic.key)
    for user in (invited, revoked, no_reports):
        body = await _assign(api, clinic, study["id"], user["id"])
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.assignedTo"}
        body = await api(CREATE_STUDY, {"input": study_input("6.2", assignedTo=user["id"])}, token=clinic.key)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "input.assignedTo"}
    async with services.db.read() as session:
        assert (await session.get(Study, study["id"])).assigned_to_id is None
    assert await count(services, Study, clinic.id) == 1
    # Once active and able to report, each can be assigned.
    await api.ok(REACTIVATE_USER, {"id": revoked["id"]}, token=clinic.key)
    await api.ok(UPDATE_USER, {"id": no_reports["id"], "input": {"canCreateReports": True}}, token=clinic.key)
    for user in (revoked, no_reports):
        body = await _assign(api, clinic, study["id"], user["id"])
        assert body["data"]["updateStudy"]["assignedTo"] == {"id": user["id"]}
