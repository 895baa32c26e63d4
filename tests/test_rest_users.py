"""The six user calls of the avara SDK (`client.auto_scribe.users.*`) against the REST API, with
strict response validation: wire spellings (level, invitedSource, clinicRole in words), pages,
revoking and reactivating, and the error classes (NotFoundError for another clinic's user,
BadRequestError naming the field, ConflictError sent once, PermissionDeniedError for a member)."""

from __future__ import annotations

import avara
import pytest

from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import USER
from tests.support.rest_helpers import Sent, invite_person, sdk, unique_email


async def test_invite_retrieve_and_update_speak_the_sdk_wire_format(rest_url, clinic, api):
    async with sdk(rest_url, clinic.key) as client:
        email = unique_email()
        invited = await invite_person(client, email=email, phone_number="5551234567")
        assert invited.user_id.startswith("usr_") and invited.email == email
        assert (invited.level, invited.invited_source, invited.clinic_role) == ("member", "api", "Radiation Oncologist")
        assert invited.npi_number == "1234567893" and invited.last_login_at is None

        fetched = await client.auto_scribe.users.retrieve(invited.user_id)
        assert fetched.model_dump() == invited.model_dump()

        updated = await client.auto_scribe.users.update(
            invited.user_id, clinic_role="Pathologists' Assistant", level="admin", has_dashboard_access=True,
            middle_name="Brewster",
        )
        assert (updated.clinic_role, updated.level, updated.middle_name) == ("Pathologists' Assistant", "admin", "Brewster")
        assert updated.first_name == "Grace"

    # The same user through GraphQL.
    data = await api.ok(USER, {"id": invited.user_id}, token=clinic.key)
    assert (data["user"]["clinicRole"], data["user"]["level"], data["user"]["status"]) == (
        "PATHOLOGISTS_ASSISTANT", "ADMIN", "INVITED")


async def test_list_pages_to_the_end_with_no_duplicate_and_filters(rest_url, clinic):
    sent = Sent()
    async with sdk(rest_url, clinic.key, sent=sent) as client:
        made = [(await invite_person(client, first_name=f"Name{i}", can_create_reports=i % 2 == 0)).user_id
                for i in range(5)]
        seen = [u.user_id async for u in client.auto_scribe.users.list(limit=2.0)]
        # Oldest first, as GraphQL: 2 + 2 + 1, three pages, then the SDK stops.
        assert seen == made and len(set(seen)) == 5
        assert sent.count("GET", "/v1/autoScribe/users") == 3

        reporters = await client.auto_scribe.users.list(can_create_reports=True)
        assert [u.user_id for u in reporters.users] == made[0::2] and reporters.has_more is False
        named = await client.auto_scribe.users.list(first_name="name3")
        assert [u.user_id for u in named.users] == [made[3]]
        assert len((await client.auto_scribe.users.list(level="member", invited_source="api")).users) == 5
        assert (await client.auto_scribe.users.list(level="owner")).users == []


async def test_revoke_access_and_reactivate_answer_success_and_change_the_user(rest_url, clinic, services, api):
    radiologist = await add_user(services, clinic.id)
    token = session_token(services, radiologist)
    async with sdk(rest_url, clinic.key) as client:
        ack = await client.auto_scribe.users.revoke_access(user_id=radiologist.id)
        assert ack.success is True and ack.message
        assert (await api.ok(USER, {"id": radiologist.id}, token=clinic.key))["user"]["status"] == "REVOKED"
        async with sdk(rest_url, token) as theirs:
            with pytest.raises(avara.AuthenticationError):
                await theirs.auto_scribe.studies.list()
        ack = await client.auto_scribe.users.reactivate(user_id=radiologist.id)
        assert ack.success is True
        assert (await api.ok(USER, {"id": radiologist.id}, token=clinic.key))["user"]["status"] == "ACTIVE"


async def test_another_clinics_user_is_not_found(rest_url, clinic, other_clinic):
    async with sdk(rest_url, other_clinic.key) as theirs, sdk(rest_url, clinic.key) as ours:
        user = await invite_person(theirs)
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.users.retrieve(user.user_id)
        assert found.value.body["code"] == "NOT_FOUND" and found.value.body["field"] == "userId"
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.users.update(user.user_id, first_name="Eve")
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.users.revoke_access(user_id=user.user_id)
        assert found.value.body["field"] == "userId"
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.users.reactivate(user_id=user.user_id)
        assert (await theirs.auto_scribe.users.retrieve(user.user_id)).first_name == "Grace"


async def test_bad_input_names_the_field(rest_url, clinic):
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.BadRequestError) as bad:
            await invite_person(client, npi_number=None)
        assert bad.value.body == {"code": "BAD_USER_INPUT", "message": "An NPI number is required to create reports.",
                                  "field": "npiNumber"}
        with pytest.raises(avara.BadRequestError) as bad:
            await invite_person(client, clinic_role="RADIOLOGIST")
        assert bad.value.body["field"] == "clinicRole"
        user = await invite_person(client)
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.update(user.user_id, npi_number=None)
        assert bad.value.body["field"] == "npiNumber"
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.retrieve("usr_nothex")
        assert bad.value.body["field"] == "userId"
        with pytest.raises(avara.BadRequestError) as bad:
            await client.auto_scribe.users.list(limit=0)
        assert bad.value.body["field"] == "limit"
        # Nothing half-written: the refused update left the user as it was.
        assert (await client.auto_scribe.users.retrieve(user.user_id)).npi_number == "1234567893"


async def test_inviting_an_email_twice_is_a_conflict_sent_once(rest_url, clinic):
    sent = Sent()
    async with sdk(rest_url, clinic.key, max_retries=2, sent=sent) as client:
        email = unique_email()
        await invite_person(client, email=email)
        with pytest.raises(avara.ConflictError) as conflict:
            await invite_person(client, email=email.upper())
        assert conflict.value.body["field"] == "email"
        assert sent.count("POST", "/v1/autoScribe/users") == 2
        assert len((await client.auto_scribe.users.list(email=email)).users) == 1


async def test_a_member_may_read_but_not_change_users(rest_url, clinic, services):
    member = await add_user(services, clinic.id)
    async with sdk(rest_url, session_token(services, member)) as client:
        assert (await client.auto_scribe.users.retrieve(member.id)).user_id == member.id
        with pytest.raises(avara.PermissionDeniedError):
            await invite_person(client)
        with pytest.raises(avara.PermissionDeniedError):
            await client.auto_scribe.users.update(member.id, first_name="Eve")
        with pytest.raises(avara.PermissionDeniedError):
            await client.auto_scribe.users.revoke_access(user_id=member.id)
        with pytest.raises(avara.PermissionDeniedError):
            await client.auto_scribe.users.reactivate(user_id=member.id)
