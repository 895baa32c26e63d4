"""Small helpers shared by the user, invitation and session tests."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from autoscribe.db import enums
from autoscribe.db.models import Invitation, User
from autoscribe.db.types import utcnow

USER_FIELDS = """id email firstName lastName middleName suffix1 suffix2 phoneNumber npiNumber clinicRole
level status canCreateReports canManageStudies hasDashboardAccess invitedSource createdAt lastLoginAt"""
INVITATION_FIELDS = """id clinicId userId email firstName lastName middleName suffix1 suffix2 phoneNumber
npiNumber clinicRole level canCreateReports canManageStudies hasDashboardAccess status invitedSource
inviterId invitedByApiKeyId expiry isExpired acceptUrl createdAt updatedAt"""

INVITE = (
    f"mutation($input: InviteUserInput!) {{ inviteUser(input: $input) "
    f"{{ {USER_FIELDS} invitations {{ {INVITATION_FIELDS} }} }} }}"
)
UPDATE_USER = (
    f"mutation($id: ID!, $input: UpdateUserInput!) {{ updateUser(id: $id, input: $input) {{ {USER_FIELDS} }} }}"
)
UPDATE_INVITATION = (
    f"mutation($id: ID!, $input: UpdateInvitationInput!) {{ updateInvitation(id: $id, input: $input) "
    f"{{ {INVITATION_FIELDS} user {{ {USER_FIELDS} }} }} }}"
)
REVOKE_USER = f"mutation($id: ID!) {{ revokeUserAccess(id: $id) {{ {USER_FIELDS} }} }}"
REACTIVATE_USER = f"mutation($id: ID!) {{ reactivateUser(id: $id) {{ {USER_FIELDS} }} }}"
REVOKE_INVITATION = (
    f"mutation($id: ID, $userId: ID) {{ revokeInvitation(id: $id, userId: $userId) {{ {INVITATION_FIELDS} }} }}"
)
ACCEPT = f"mutation($token: String!) {{ acceptInvitation(token: $token) {{ {USER_FIELDS} }} }}"
REJECT = f"mutation($token: String!) {{ rejectInvitation(token: $token) {{ {INVITATION_FIELDS} }} }}"
USER = f"query($id: ID!) {{ user(id: $id) {{ {USER_FIELDS} }} }}"
INVITATION = f"query($id: ID!) {{ invitation(id: $id) {{ {INVITATION_FIELDS} }} }}"
SESSION = (
    "mutation($userId: ID!, $ttl: Int) { createUserSession(userId: $userId, ttlSeconds: $ttl) "
    "{ token expiresAt user { id status } } }"
)

# The people of a clinic whose rights the tests compare: fields for conftest.add_user.
ROLES = {
    "member": dict(can_create_reports=False, npi_number=None),
    "manager": dict(can_create_reports=False, npi_number=None, can_manage_studies=True),
    "radiologist": dict(),
    "admin": dict(can_create_reports=False, npi_number=None, level=enums.UserLevel.ADMIN, has_dashboard_access=True),
    "owner": dict(can_create_reports=False, npi_number=None, level=enums.UserLevel.OWNER, has_dashboard_access=True),
}
ADMINS = {"admin", "owner"}

# Valid NPI numbers (Luhn over 80840 and the number).
NPI_A = "1234567893"
NPI_B = "1245319599"
BAD_NPI = "1234567890"


def invite_input(email: str = "grace@example.com", **extra) -> dict:
    values = {
        "email": email,
        "firstName": "Grace",
        "lastName": "Hopper",
        "npiNumber": NPI_A,
        "clinicRole": "RADIOLOGIST",
        "level": "MEMBER",
        "canCreateReports": True,
        "canManageStudies": False,
        "hasDashboardAccess": False,
    }
    values.update(extra)
    return values


async def invite(api, token: str, email: str = "grace@example.com", **extra) -> dict:
    """The invited user, with its invitations (acceptUrl visible to `token` if it is an admin's)."""
    return (await api.ok(INVITE, {"input": invite_input(email, **extra)}, token=token))["inviteUser"]


def link_token(accept_url: str) -> str:
    prefix = "http://testserver/invitations/"
    assert accept_url.startswith(prefix), accept_url
    return accept_url[len(prefix):]


async def invite_and_accept(api, token: str, email: str = "grace@example.com", **extra) -> dict:
    """An ACTIVE user brought in the way a clinic does it: invited, then accepted by the link."""
    user = await invite(api, token, email, **extra)
    accepted = await api.ok(ACCEPT, {"token": link_token(user["invitations"][0]["acceptUrl"])})
    return accepted["acceptInvitation"]


async def count(services, model, clinic_id: str) -> int:
    async with services.db.read() as session:
        return await session.scalar(select(func.count()).select_from(model).where(model.clinic_id == clinic_id))


async def stored_user(services, user_id: str) -> User | None:
    async with services.db.read() as session:
        return await session.get(User, user_id)


async def stored_invitation(services, invitation_id: str) -> Invitation | None:
    async with services.db.read() as session:
        return await session.get(Invitation, invitation_id)


async def expire(services, invitation_id: str) -> None:
    """Move an invitation's expiry into the past, as time would."""
    async with services.db.write() as session:
        row = await session.get(Invitation, invitation_id)
        row.expiry = utcnow() - timedelta(seconds=1)
