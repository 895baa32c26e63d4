"""The response cache against the standard executor: a corpus of queries (fragments, aliases,
directives, variables, several operations, errors) answered by an app with the cache (first
executed and stored, then served from the cache) and by one without it must be the same JSON, byte
for byte; and every answer without errors must really have been served from the cache the
second time."""

from __future__ import annotations

import httpx
import pytest

from autoscribe.server.app import create_app
from tests.support.query_corpus import CORPUS, seeded_studies
from tests.support.settings import settings_for


@pytest.fixture
async def plain(database_url):
    """The same app with the response cache off: every query goes through the standard executor."""
    app = create_app(settings_for(database_url, response_cache_entries=0))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client


@pytest.mark.perf
async def test_cached_answers_are_the_standard_executors_byte_for_byte(app, http, api, plain, services, clinic):
    studies = await seeded_studies(api, services, clinic)
    cache = app.state.graphql.responses
    headers = {"Authorization": f"Bearer {clinic.key}"}

    async def post(client, query, variables, name):
        body = {"query": query, "variables": variables}
        if name is not None:
            body["operationName"] = name
        response = await client.post("/graphql", json=body, headers=headers)
        return response.status_code, response.content

    answered_from_cache = 0
    for query, variables, name in CORPUS:
        if variables == "study":
            variables = {"id": studies[1]["id"]}
        hits = cache.hits
        first = await post(http, query, variables, name)
        second = await post(http, query, variables, name)
        reference = await post(plain, query, variables, name)
        assert first == second == reference, query
        if reference[0] == 200 and b'"errors"' not in reference[1]:
            assert cache.hits == hits + 1, f"not served from the cache: {query}"
            answered_from_cache += 1
        else:
            assert cache.hits == hits, f"an answer with errors was cached: {query}"
    assert answered_from_cache == 8, answered_from_cache
