"""The API key lifecycle behind the command line: create, list and revoke a clinic's keys.

A key is shown once, when it is made (autoscribe.auth.create_api_key); a listing shows what is
known of each key and never the key nor its hash. Revoking is for good and takes effect at once:
HTTP requests authenticate afresh, and the revocation is an event in the clinic's log
(db.events.append_revocation), so the key's open subscriptions end before any later event, in
every process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from autoscribe.operations.authentication import create_api_key
from autoscribe.db.engine import Database
from autoscribe.db.events import Revocation, append_revocation
from autoscribe.db.models import ApiKey, Clinic
from autoscribe.db.types import utcnow


class UnknownId(LookupError):
    """No clinic, or no key, has the ID given."""


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def described(key: ApiKey) -> dict:
    """What a listing shows of a key."""
    return {
        "id": key.id,
        "name": key.name,
        "createdAt": _time(key.created_at),
        "lastUsedAt": _time(key.last_used_at),
        "revoked": key.revoked_at is not None,
        "revokedAt": _time(key.revoked_at),
    }


async def _require_clinic(db: Database, clinic_id: str) -> None:
    async with db.read() as session:
        if await session.scalar(select(Clinic.id).where(Clinic.id == clinic_id)) is None:
            raise UnknownId(f"No clinic has the ID {clinic_id!r}.")


async def new_api_key(db: Database, clinic_id: str, name: str) -> tuple[str, str]:
    """A new key of the clinic: (key ID, the key)."""
    await _require_clinic(db, clinic_id)
    return await create_api_key(db, clinic_id, name)


async def list_api_keys(db: Database, clinic_id: str) -> list[ApiKey]:
    """The clinic's keys, oldest first, revoked ones included."""
    await _require_clinic(db, clinic_id)
    async with db.read() as session:
        rows = await session.scalars(
            select(ApiKey).where(ApiKey.clinic_id == clinic_id).order_by(ApiKey.created_at, ApiKey.id)
        )
        return list(rows)


async def revoke_api_key(db: Database, key_id: str) -> ApiKey:
    """Revoke the key (revoking a revoked key changes nothing)."""
    async with db.write() as session:
        key = await session.scalar(select(ApiKey).where(ApiKey.id == key_id).with_for_update())
        if key is None:
            raise UnknownId(f"No API key has the ID {key_id!r}.")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            await append_revocation(session, Revocation(key.clinic_id, "key", key.id))
    return key
