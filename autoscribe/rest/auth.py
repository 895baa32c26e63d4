"""Who is calling a REST endpoint: the bearer token (an API key or a user session token),
authenticated exactly as GraphQL does it (autoscribe.operations.authentication)."""

from __future__ import annotations

from starlette.requests import Request

from autoscribe.core.principal import Principal
from autoscribe.core.services import Services
from autoscribe.operations.authentication import authenticate, bearer_from_header


async def principal_of(svc: Services, request: Request) -> Principal:
    """The caller; Unauthenticated (401) when the token is missing or not valid."""
    return await authenticate(svc.db, svc.signer, bearer_from_header(request.headers.get("authorization")))
