"""A GraphQL client over HTTP that talks to the app as a client would."""

from __future__ import annotations

import httpx


class Api:
    """Posts GraphQL to the app as a client would, with a bearer token."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def raw(self, query: str, variables: dict | None = None, *, token: str | None = None, headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs)

    async def __call__(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        response = await self.raw(query, variables, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        body = await self(query, variables, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        """The first error's extensions, with its message under 'message'."""
        body = await self(query, variables, token=token)
        assert body.get("errors"), f"expected an error, got {body}"
        err = body["errors"][0]
        return {**err.get("extensions", {}), "message": err["message"]}
