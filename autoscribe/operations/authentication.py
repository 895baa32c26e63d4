"""Who is calling: API keys and user session tokens, turned into a Principal (autoscribe.core.principal)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, column, or_, select, text, update

from autoscribe.core.errors import Unauthenticated
from autoscribe.core.principal import Principal
from autoscribe.core.signing import Signer
from autoscribe.db import enums
from autoscribe.db.engine import Database
from autoscribe.db.ids import new_id
from autoscribe.db.models import ApiKey, Clinic, User
from autoscribe.db.templates import template
from autoscribe.db.versions import touch

API_KEY_PREFIX = "ask_"
SESSION_PREFIX = "ust_"
# users.last_login_at is written at most this often per user, not on every request.
LOGIN_RECORD_INTERVAL = timedelta(minutes=1)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(db: Database, clinic_id: str, name: str = "default") -> tuple[str, str]:
    """Make a key for the clinic; returns (key ID, the key). Only its hash is stored."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = new_id("api_key")
    async with db.write() as session:
        session.add(ApiKey(id=key_id, clinic_id=clinic_id, name=name, key_hash=hash_api_key(key)))
    return key_id, key


async def open_clinic(db: Database, name: str) -> tuple[str, str, str]:
    """A new clinic and its first API key: (clinic ID, key ID, API key)."""
    clinic_id = new_id("clinic")
    async with db.write() as session:
        session.add(Clinic(id=clinic_id, name=name, event_seq=0))
    key_id, key = await create_api_key(db, clinic_id)
    return clinic_id, key_id, key


async def create_clinic(db: Database, name: str) -> tuple[str, str]:
    """A new clinic and its first API key: (clinic ID, API key)."""
    clinic_id, _key_id, key = await open_clinic(db, name)
    return clinic_id, key


def mint_session_token(
    signer: Signer, user: User, ttl_seconds: int, *, read_only: bool = False,
    study_id: str | None = None, grant_id: str | None = None,
) -> tuple[str, datetime]:
    """A user session token; with `study_id` (a reroute link's), bound to that study alone."""
    payload = {"u": user.id, "c": user.clinic_id, "e": user.token_epoch}
    if read_only:
        payload["ro"] = 1
    if study_id is not None:
        payload["s"], payload["g"] = study_id, grant_id
    token = SESSION_PREFIX + signer.sign("session", payload, ttl_seconds=ttl_seconds)
    expires = datetime.now(timezone.utc) + timedelta(seconds=ttl_seconds)
    return token, expires


async def _record_use(db: Database, column, row_id: str, last: datetime | None, *,
                      clinic_id: str | None = None) -> datetime | None:
    """Set the row's `column` (a "last used" time) to now, unless it was set less than a minute ago
    (then None). `clinic_id`: the clinic whose data version the change bumps (when it is shown)."""
    now = datetime.now(timezone.utc)
    since = now - LOGIN_RECORD_INTERVAL
    if last is not None and last > since:
        return None
    model = column.class_
    async with db.write() as session:
        await session.execute(
            update(model)
            .where(model.id == row_id, or_(column.is_(None), column <= since))
            .values({column.key: now})
            .execution_options(synchronize_session=False)
        )
        if clinic_id is not None:
            touch(session, clinic_id)
    return now


async def record_login(db: Database, user: User) -> None:
    """Note that the user's session was used now, unless that was noted less than a minute ago."""
    now = await _record_use(db, User.last_login_at, user.id, user.last_login_at, clinic_id=user.clinic_id)
    if now is not None:
        user.last_login_at = now


# The clinic of an API key, by its hash: (key ID, clinic ID, clinic name, last used, revoked at).
# Written out once: it runs on every request, and a select() built per call cost more in its
# construction and cache key than in the database.
_API_KEY_LOOKUP = (
    text(
        "SELECT api_keys.id AS key_id, clinics.id AS clinic_id, clinics.name AS clinic_name,"
        " api_keys.last_used_at AS last_used_at, api_keys.revoked_at AS revoked_at"
        " FROM api_keys JOIN clinics ON clinics.id = api_keys.clinic_id WHERE api_keys.key_hash = :key_hash"
    )
    .bindparams(bindparam("key_hash", type_=ApiKey.__table__.c.key_hash.type))
    .columns(
        column("key_id", ApiKey.__table__.c.id.type),
        column("clinic_id", Clinic.__table__.c.id.type),
        column("clinic_name", Clinic.__table__.c.name.type),
        column("last_used_at", ApiKey.__table__.c.last_used_at.type),
        column("revoked_at", ApiKey.__table__.c.revoked_at.type),
    )
)


async def _api_key_row(db: Database, key_hash: str):
    """The API key's row of _API_KEY_LOOKUP, or None. On PostgreSQL a db.templates.Template (the
    lookup runs on every request an API key makes), elsewhere through Core."""
    if db.is_sqlite:
        return (await db.fetch(_API_KEY_LOOKUP, {"key_hash": key_hash})).first()
    rows = await template(db, "api key", lambda: _API_KEY_LOOKUP, ["key_hash"]).rows({"key_hash": key_hash})
    return rows[0] if rows else None


def bearer_from_header(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _check_session_user(user: User | None, payload: dict) -> None:
    """Unauthenticated, saying why, unless the session token's user still holds it."""
    if user is None:
        raise Unauthenticated("The session token's user does not exist.")
    if user.clinic_id != payload.get("c"):
        raise Unauthenticated("The session token is for another clinic than its user's.")
    if user.status == enums.UserStatus.REVOKED:
        raise Unauthenticated("The user's access has been revoked.")
    if user.status != enums.UserStatus.ACTIVE:
        raise Unauthenticated("The session token's user is not active.")
    if user.token_epoch != payload.get("e"):
        raise Unauthenticated("The session token has been revoked: create a new session.")


async def authenticate(db: Database, signer: Signer, token: str | None) -> Principal:
    """The principal a bearer token stands for; Unauthenticated for anything else."""
    if not token:
        raise Unauthenticated()
    if not token.isascii():
        # Every token is ASCII; a WebSocket's init payload can carry any text, lone surrogates too.
        raise Unauthenticated("The bearer token is not valid.")
    if token.startswith(API_KEY_PREFIX):
        row = await _api_key_row(db, hash_api_key(token))
        if row is None:
            raise Unauthenticated("The API key is not valid.")
        if row[4] is not None:
            raise Unauthenticated("The API key has been revoked.")
        # Not shown through the API: no clinic data version to bump (the response cache stays).
        await _record_use(db, ApiKey.last_used_at, row[0], row[3])
        return Principal(clinic_id=row[1], clinic_name=row[2], api_key_id=row[0])
    if token.startswith(SESSION_PREFIX):
        payload, expired = signer.inspect("session", token[len(SESSION_PREFIX):])
        if not isinstance(payload, dict):
            raise Unauthenticated("The session token is not valid.")
        if expired:
            raise Unauthenticated("The session token has expired: create a new session.")
        async with db.read() as session:
            row = (
                await session.execute(
                    select(User, Clinic.name)
                    .join(Clinic, Clinic.id == User.clinic_id)
                    .where(User.id == payload.get("u"))
                )
            ).first()
        _check_session_user(row[0] if row is not None else None, payload)
        await record_login(db, row[0])
        return Principal(
            clinic_id=row[0].clinic_id,
            clinic_name=row[1],
            user=row[0],
            read_only=bool(payload.get("ro")),
            study_id=payload.get("s"),
            grant_id=payload.get("g"),
        )
    raise Unauthenticated("The bearer token is not valid.")
