"""The four invitation calls of the avara SDK (`client.auto_scribe.users.invitations.*`) against
the REST API, with strict response validation: wire spellings, `inviterId` never null (the API
key's ID when a key invited), pages and filters, revoking, and the error classes."""

from __future__ import annotations

import avara
import pytest

from autoscribe.db import enums
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import INVITATION
from tests.support.rest_helpers import Sent, api_key_id, invite_person, sdk


async def _invitation_of(client, user_id: str):
    [invitation] = (await client.auto_scribe.users.invitations.list(user_id=user_id)).invitations
    return invitation


async def test_retrieve_and_update_speak_the_sdk_wire_format(rest_url, clinic, services, api):
    async with sdk(rest_url, clinic.key) as client:
        user = await invite_person(client, clinic_role="Speech-Language Pathologist")
        listed = await _invitation_of(client, user.user_id)
        invitation = await client.auto_scribe.users.invitations.retrieve(listed.invitation_id)
        assert invitation.model_dump() == listed.model_dump()
        assert invitation.invitation_id.startswith("inv_") and invitation.clinic_id == clinic.id
        assert (invitation.status, invitation.level, invitation.invited_source, invitation.clinic_role) == (
            "sent", "member", "api", "Speech-Language Pathologist")
        assert invitation.expiry is not None and invitation.email == user.email
        # Sent with an API key: the key is the inviter.
        key = await api_key_id(services, clinic.id)
        assert invitation.inviter_id == invitation.invited_by_api_key_id == key

        updated = await client.auto_scribe.users.invitations.update(
            invitation.invitation_id, first_name="Anita", clinic_role="IT Administrator")
        assert (updated.first_name, updated.clinic_role) == ("Anita", "IT Administrator")
        # The user says the same.
        assert (await client.auto_scribe.users.retrieve(user.user_id)).first_name == "Anita"

    data = await api.ok(INVITATION, {"id": invitation.invitation_id}, token=clinic.key)
    assert (data["invitation"]["clinicRole"], data["invitation"]["inviterId"]) == ("IT_ADMINISTRATOR", None)


async def test_an_admin_user_who_invites_is_the_inviter(rest_url, clinic, services):
    admin = await add_user(services, clinic.id, level=enums.UserLevel.ADMIN, has_dashboard_access=True)
    async with sdk(rest_url, session_token(services, admin)) as client:
        user = await invite_person(client)
        invitation = await _invitation_of(client, user.user_id)
        assert (invitation.inviter_id, invitation.invited_by_api_key_id) == (admin.id, None)
        assert (user.invited_source, invitation.invited_source) == ("dashboard", "dashboard")


async def test_list_pages_to_the_end_with_no_duplicate_and_filters(rest_url, clinic):
    sent = Sent()
    async with sdk(rest_url, clinic.key, sent=sent) as client:
        users = [(await invite_person(client)).user_id for _ in range(5)]
        seen = [i async for i in client.auto_scribe.users.invitations.list(limit=2.0)]
        # Newest first, as GraphQL: 2 + 2 + 1, three pages, then the SDK stops.
        assert [i.user_id for i in seen] == users[::-1]
        assert len({i.invitation_id for i in seen}) == 5
        assert sent.count("GET", "/v1/autoScribe/users/invitations") == 3

        await client.auto_scribe.users.invitations.revoke(user_id=users[0])
        revoked = await client.auto_scribe.users.invitations.list(status=["revoked", "rejected"])
        assert [i.user_id for i in revoked.invitations] == [users[0]] and revoked.has_more is False
        assert len((await client.auto_scribe.users.invitations.list(status=["sent"], expired="not-expired")).invitations) == 4
        assert (await client.auto_scribe.users.invitations.list(expired="expired")).invitations == []
        today = seen[0].created_at.date().isoformat()
        dated = await client.auto_scribe.users.invitations.list(start_date=today, end_date=today)
        assert len(dated.invitations) == 5
        assert (await client.auto_scribe.users.invitations.list(end_date="2000-01-01")).invitations == []


async def test_revoke_by_invitation_id_answers_success_and_revokes(rest_url, clinic):
    async with sdk(rest_url, clinic.key) as client:
        user = await invite_person(client)
        invitation = await _invitation_of(client, user.user_id)
        ack = await client.auto_scribe.users.invitations.revoke(invitation_id=invitation.invitation_id)
        assert ack.success is True and ack.message
        assert (await client.auto_scribe.users.invitations.retrieve(invitation.invitation_id)).status == "revoked"


async def test_another_clinics_invitation_is_not_found(rest_url, clinic, other_clinic):
    async with sdk(rest_url, other_clinic.key) as theirs, sdk(rest_url, clinic.key) as ours:
        user = await invite_person(theirs)
        invitation = await _invitation_of(theirs, user.user_id)
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.users.invitations.retrieve(invitation.invitation_id)
        assert found.value.body["code"] == "NOT_FOUND" and found.value.body["field"] == "invitationId"
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.users.invitations.update(invitation.invitation_id, first_name="Eve")
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.users.invitations.revoke(invitation_id=invitation.invitation_id)
        assert found.value.body["field"] == "invitationId"
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.users.invitations.revoke(user_id=user.user_id)
        assert found.value.body["field"] == "userId"
        assert (await ours.auto_scribe.users.invitations.list(user_id=user.user_id)).invitations == []
        assert (await theirs.auto_scribe.users.invitations.retrieve(invitation.invitation_id)).status == "sent"


async def test_bad_input_names_the_field(rest_url, clinic):
    async with sdk(rest_url, clinic.key) as client:
        user = await invite_person(client)
        invitation = await _invitation_of(client, user.user_id)
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.invitations.update(invitation.invitation_id, npi_number=None)
        assert bad.value.body == {"code": "BAD_USER_INPUT", "message": "An NPI number is required to create reports.",
                                  "field": "npiNumber"}
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.invitations.list(start_date="2025-13-01")
        assert bad.value.body["field"] == "startDate"
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.invitations.list(start_date="2025-02-02", end_date="2025-02-01")
        assert bad.value.body["field"] == "endDate"
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.invitations.list(user_id="nobody")
        assert bad.value.body["field"] == "userId"
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.invitations.revoke()
        assert bad.value.status_code == 400
        # Nothing half-written: the refused update left the invitation as it was.
        fetched = await client.auto_scribe.users.invitations.retrieve(invitation.invitation_id)
        assert (fetched.npi_number, fetched.status) == ("1234567893", "sent")


async def test_revoking_twice_is_a_conflict_sent_once(rest_url, clinic):
    sent = Sent()
    async with sdk(rest_url, clinic.key, max_retries=2, sent=sent) as client:
        user = await invite_person(client)
        invitation = await _invitation_of(client, user.user_id)
        await client.auto_scribe.users.invitations.revoke(invitation_id=invitation.invitation_id)
        with pytest.raises(avara.ConflictError) as conflict:
            await client.auto_scribe.users.invitations.revoke(invitation_id=invitation.invitation_id)
        assert conflict.value.body["field"] == "invitationId"
        with pytest.raises(avara.ConflictError):
            await client.auto_scribe.users.invitations.update(invitation.invitation_id, first_name="Eve")
        assert sent.count("POST", "/v1/autoScribe/users/invitations/revoke") == 2
        path = f"/v1/autoScribe/users/invitations/{invitation.invitation_id}"
        assert sent.count("PATCH", path) == 1


async def test_a_member_may_not_change_invitations(rest_url, clinic, services):
    member = await add_user(services, clinic.id)
    async with sdk(rest_url, clinic.key) as admin:
        user = await invite_person(admin)
        invitation = await _invitation_of(admin, user.user_id)
    async with sdk(rest_url, session_token(services, member)) as client:
        with pytest.raises(avara.PermissionDeniedError):
            await client.auto_scribe.users.invitations.update(invitation.invitation_id, first_name="Eve")
        with pytest.raises(avara.PermissionDeniedError):
            await client.auto_scribe.users.invitations.revoke(invitation_id=invitation.invitation_id)
