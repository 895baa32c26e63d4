"""UserSession: a bearer token that acts as one user, minted for an API key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from autoscribe.operations import user_sessions
from autoscribe.schema.descriptions import described, id_of
from autoscribe.schema.user import User

_MIN, _MAX = user_sessions.MIN_TTL_SECONDS, user_sessions.MAX_TTL_SECONDS


@strawberry.type(description="A bearer token that acts as one user, with that user's rights.")
class UserSession:
    token: str = strawberry.field(
        description="Send it as Authorization: Bearer <token> (over WebSocket, in connection_init's authorization). "
        "It stops working when it expires or the user's access is revoked."
    )
    expires_at: datetime = strawberry.field(description="When the token stops working (UTC).")
    user: User = strawberry.field(description="The user it acts as.")


@strawberry.type
class UserSessionMutation:
    @strawberry.mutation(description=described(
        "A short-lived bearer token that acts as the user (for a frontend or a viewer); the user must be ACTIVE "
        "(else CONFLICT). The token stops working when the user's access is revoked.",
        user_sessions.create_user_session,
    ))
    async def create_user_session(
        self,
        info: strawberry.Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description=id_of("user", "The user's ID"))],
        ttl_seconds: Annotated[
            int | None,
            strawberry.argument(description=f"How long the token lives, in seconds: {_MIN} to {_MAX} (else BAD_USER_INPUT)."),
        ] = 3600,
    ) -> UserSession:
        principal = await info.context.principal()
        grant = await user_sessions.create_user_session(info.context.svc, principal, user_id, ttl_seconds)
        return UserSession(token=grant.token, expires_at=grant.expires_at, user=User.of(grant.user))
