"""User sessions: a short-lived bearer token, minted for an API key, that acts as one active user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from autoscribe.core.principal import Principal
from autoscribe.operations.declared import operation
from autoscribe.operations.authentication import mint_session_token
from autoscribe.core.errors import BadInput, Conflict, ErrorCode, NotFound
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import UserStatus
from autoscribe.db.models import User
from autoscribe.operations.validation import check_id

MIN_TTL_SECONDS = 60
MAX_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class UserSession:
    token: str
    expires_at: datetime
    user: User


@operation(right=Right.API_KEY, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND, ErrorCode.CONFLICT})
async def create_user_session(
    svc: Services, principal: Principal, user_id: str, ttl_seconds: int | None
) -> UserSession:
    """API keys only. The token stops working when it expires or the user's access is revoked."""
    check_id(user_id, "user", "userId")
    if ttl_seconds is None or not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
        raise BadInput(
            f"ttlSeconds must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}.", field="ttlSeconds"
        )
    async with svc.db.read() as session:
        user = await session.scalar(
            select(User).where(User.id == user_id, User.clinic_id == principal.clinic_id)
        )
    if user is None:
        raise NotFound("No such user.", field="userId")
    if user.status != UserStatus.ACTIVE:
        raise Conflict(f"The user is {user.status.value}: only an active user can have a session.", field="userId")
    token, expires_at = mint_session_token(svc.signer, user, ttl_seconds)
    return UserSession(token=token, expires_at=expires_at, user=user)
