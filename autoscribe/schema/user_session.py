"""UserSession: a bearer token that acts as one user, minted for an API key."""

from __future__ import annotations

from datetime import datetime

import strawberry

from autoscribe.operations import user_sessions
from autoscribe.schema.user import User


@strawberry.type
class UserSession:
    token: str
    expires_at: datetime
    user: User


@strawberry.type
class UserSessionMutation:
    @strawberry.mutation(
        description="API keys only: a short-lived bearer token that acts as the user (for a frontend or a viewer). "
        "ttlSeconds from 60 to 86400; the user must be ACTIVE. The token stops working when the user's "
        "access is revoked."
    )
    async def create_user_session(
        self, info: strawberry.Info, user_id: strawberry.ID, ttl_seconds: int | None = 3600
    ) -> UserSession:
        principal = await info.context.principal()
        grant = await user_sessions.create_user_session(info.context.svc, principal, user_id, ttl_seconds)
        return UserSession(token=grant.token, expires_at=grant.expires_at, user=User.of(grant.user))
