"""A clinic and its users as the tests are given them: stored directly, not through the API."""

from __future__ import annotations

from dataclasses import dataclass

from autoscribe.db import enums
from autoscribe.db.ids import new_id
from autoscribe.db.models import User
from autoscribe.db.types import utcnow
from autoscribe.operations.authentication import mint_session_token

# A valid NPI (Luhn over 80840 + the number).
VALID_NPI = "1234567893"


@dataclass
class Clinic:
    id: str
    key: str


async def add_user(services, clinic_id: str, **fields) -> User:
    """An ACTIVE radiologist of the clinic, stored directly (for tests that need one as given)."""
    n = new_id("user")
    values = dict(
        id=n,
        clinic_id=clinic_id,
        email=f"{n}@example.com",
        email_lower=f"{n}@example.com",
        first_name="Ada",
        last_name="Lovelace",
        npi_number=VALID_NPI,
        clinic_role=enums.ClinicRole.RADIOLOGIST,
        level=enums.UserLevel.MEMBER,
        status=enums.UserStatus.ACTIVE,
        invited_source=enums.InvitedSource.API,
        can_create_reports=True,
        can_manage_studies=False,
        has_dashboard_access=False,
        accepted_at=utcnow(),
        token_epoch=0,
    )
    values.update(fields)
    user = User(**values)
    async with services.db.write() as session:
        session.add(user)
    return user


def session_token(services, user: User, ttl: int = 3600) -> str:
    return mint_session_token(services.signer, user, ttl)[0]
