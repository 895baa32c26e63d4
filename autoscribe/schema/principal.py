"""Principal and `me`: who is calling."""

from __future__ import annotations

import strawberry

from autoscribe.schema.user import User


@strawberry.type(description="Who is calling: an API key of a clinic, or a user of it.")
class Principal:
    clinic_id: strawberry.ID
    clinic_name: str
    api_key_id: strawberry.ID | None
    user: User | None


@strawberry.type
class PrincipalQuery:
    @strawberry.field
    async def me(self, info: strawberry.Info) -> Principal:
        p = await info.context.principal()
        return Principal(
            clinic_id=p.clinic_id,
            clinic_name=p.clinic_name,
            api_key_id=p.api_key_id,
            user=User.of(p.user) if p.user else None,
        )
