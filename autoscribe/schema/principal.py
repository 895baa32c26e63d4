"""Principal and `me`: who is calling."""

from __future__ import annotations

import strawberry

from autoscribe.schema.user import User


@strawberry.type(description="Who is calling: an API key of a clinic, or a user of it.")
class Principal:
    clinic_id: strawberry.ID = strawberry.field(description="The clinic's ID: cln_ and 32 lowercase hex digits.")
    clinic_name: str = strawberry.field(description="The clinic's name.")
    api_key_id: strawberry.ID | None = strawberry.field(
        description="The API key's ID (key_ and 32 lowercase hex digits); null for a user session."
    )
    user: User | None = strawberry.field(description="The user a session acts as; null for an API key.")


@strawberry.type
class PrincipalQuery:
    @strawberry.field(description="Who the bearer token is. Requires: any valid bearer. Errors: UNAUTHENTICATED.")
    async def me(self, info: strawberry.Info) -> Principal:
        p = await info.context.principal()
        return Principal(
            clinic_id=p.clinic_id,
            clinic_name=p.clinic_name,
            api_key_id=p.api_key_id,
            user=User.of(p.user) if p.user else None,
        )
