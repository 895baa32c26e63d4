"""The rules of a person's fields (SPEC §2), through inviteUser: each failure names its field and stores nothing."""

import pytest

from autoscribe.db.models import Invitation, User
from tests.support.people_helpers import BAD_NPI, INVITE, NPI_B, count, invite, invite_input


@pytest.mark.parametrize("change, field", [
    ({"email": "not-an-address"}, "input.email"),
    ({"email": "two@@example.com"}, "input.email"),
    ({"email": "space in@example.com"}, "input.email"),
    ({"email": "nodomain@localhost"}, "input.email"),
    ({"email": ""}, "input.email"),
    ({"firstName": " "}, "input.firstName"),
    ({"lastName": ""}, "input.lastName"),
    ({"lastName": "x" * 201}, "input.lastName"),
    ({"suffix1": "x" * 51}, "input.suffix1"),
    ({"npiNumber": None}, "input.npiNumber"),           # can create reports, so required
    ({"npiNumber": BAD_NPI}, "input.npiNumber"),        # wrong check digit
    ({"npiNumber": "123456789"}, "input.npiNumber"),    # 9 digits
    ({"npiNumber": "12345678930"}, "input.npiNumber"),  # 11 digits
    ({"npiNumber": "123456789a"}, "input.npiNumber"),
    ({"phoneNumber": "555123456"}, "input.phoneNumber"),         # 9 digits
    ({"phoneNumber": "1234567890123456"}, "input.phoneNumber"),  # 16 digits
    ({"phoneNumber": "555-123-4567"}, "input.phoneNumber"),
    ({"level": "ADMIN", "hasDashboardAccess": False}, "input.hasDashboardAccess"),
], ids=lambda v: str(v) if isinstance(v, str) else None)
async def test_invite_rules(api, services, clinic, change, field):
    err = await api.error(INVITE, {"input": invite_input(**{"email": "ok@example.com", **change})}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == field, err
    assert await count(services, User, clinic.id) == 0 and await count(services, Invitation, clinic.id) == 0


@pytest.mark.parametrize("change", [
    {"level": "OWNER", "hasDashboardAccess": True},
    {"clinicRole": "WIZARD"},
    {"canCreateReports": None},
])
async def test_invite_input_types(api, services, clinic, change):
    err = await api.error(INVITE, {"input": invite_input(**change)}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    assert await count(services, User, clinic.id) == 0


@pytest.mark.parametrize("change", [
    {"phoneNumber": "5551234567"},                             # 10 digits
    {"phoneNumber": "123456789012345"},                        # 15 digits
    {"canCreateReports": False, "npiNumber": None},            # no NPI needed
    {"canCreateReports": False, "npiNumber": NPI_B},           # but a given one is checked and kept
    {"level": "ADMIN", "hasDashboardAccess": True},
    {"email": "first.o'neil+tag@mail.example-clinic.org"},
    {"firstName": "Zoë", "lastName": "Ødegård-Łukasz"},
])
async def test_valid_people_are_invited(api, services, clinic, change):
    user = await invite(api, clinic.key, **{"email": "ok@example.com", **change})
    for key, value in change.items():
        assert user[key] == value
    assert await count(services, User, clinic.id) == 1
