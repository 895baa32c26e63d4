"""Two apps on one database to compare: one as served (the short way for plain fields and the
compiled execution of queries), one with graphql-core's standard executor and nothing compiled.
Both have the response cache off, so that each request is executed. For subscriptions, two
servers: one answering each event by its compiled plan, one with it off."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from autoscribe.server.app import create_app
from autoscribe.server.engine import schema as engine_schema
from autoscribe.server.engine.execution import ExecutionContext
from tests.support.live_server import app_server
from tests.support.settings import settings_for


@dataclass
class Apps:
    fast: httpx.AsyncClient
    standard: httpx.AsyncClient
    # The served app's GraphQL front door (engine.asgi.GraphQLApp).
    fast_graphql: object = None


@asynccontextmanager
async def two_apps(database_url: str, monkeypatch):
    made = []
    for cls, compiled in ((ExecutionContext, True), (StrawberryGraphQLCoreExecutionContext, False)):
        monkeypatch.setattr(engine_schema, "ExecutionContext", cls)
        made.append(create_app(settings_for(database_url, response_cache_entries=0, compiled_queries=compiled)))
    async with made[0].router.lifespan_context(made[0]), made[1].router.lifespan_context(made[1]):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=made[0]), base_url="http://testserver") as a, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=made[1]), base_url="http://testserver") as b:
            yield Apps(a, b, made[0].state.graphql)


async def both(apps: Apps, token: str | None, query: str, variables: dict | None = None, *,
               twice: bool = False) -> tuple:
    """(status, body bytes) of the same request to each app: served first, standard second. With
    `twice`, the served app is asked twice: once the standard way, which may learn the document,
    then (if it did) the short way for known documents (engine.known_documents); its two answers
    must be the same bytes."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables or {}}
    ours = await apps.fast.post("/graphql", json=body, headers=headers)
    if twice:
        again = await apps.fast.post("/graphql", json=body, headers=headers)
        assert (again.status_code, again.content) == (ours.status_code, ours.content), query
    theirs = await apps.standard.post("/graphql", json=body, headers=headers)
    return (ours.status_code, ours.content), (theirs.status_code, theirs.content)


@asynccontextmanager
async def two_servers(database_url: str, **settings):
    """Two servers on one database, for WebSocket subscriptions: ((ws URL, Api) of the one that
    answers events by their compiled plans, and of the one that executes them the standard way)."""
    async with app_server(settings_for(database_url, compiled_queries=True, **settings)) as (fast, _, fast_api), \
            app_server(settings_for(database_url, compiled_queries=False, **settings)) as (standard, _, standard_api):
        yield (f"ws://{fast}/graphql", fast_api), (f"ws://{standard}/graphql", standard_api)
