"""The query cost limit, the response cache's byte bound, and what anonymous callers are not told.

The expensive documents are sent to `autoscribe serve` in a process of its own: a request that
stalled it would stall only that process, and the test's client timeouts still fire."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from autoscribe.core.settings import Settings
from bench.worklist import QUERY as BENCH_WORKLIST
from tests.support.live_server import ServeProcess
from tests.support.studies_helpers import create_study
from tests.support.ws_client import GraphQLWS

LIMIT = Settings().max_query_cost
README_WORKLIST = ("{ studies(orderBy: PRIORITY, first: 10) { totalCount pageInfo { hasNextPage endCursor } "
                   "nodes { id severity studyDescription } } }")
# One page of 100 studies, each asking for 100 studies of its radiologist: 30 aliases of it.
STUDIES_OF_ASSIGNEES = ("studies(first: 100) { nodes { id assignedTo { id assignedStudies(first: 100) { nodes { "
                        "id studyDescription severity createdAt } } } } }")
ALIAS_BOMB = "{ " + " ".join(f"a{i}: {STUDIES_OF_ASSIGNEES}" for i in range(30)) + " }"
ALIAS_BOMB_COST = 30 * (1 + 1 + 100 * (1 + 1 + 1 + 1 + (1 + 100 * 4)))


def fan_out(levels: int, leaf: str = "__typename") -> str:
    """Fragments that each spread the next one twice: 2**levels leaves from a few hundred bytes."""
    parts = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "query { ...F0 } " + " ".join(parts) + f" fragment F{levels} on Query {{ {leaf} }}"


@pytest.fixture
async def served(database_url, tmp_path):
    """`autoscribe serve` on the test database, and a client for it."""
    server = await ServeProcess(database_url, log=tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=f"http://{server.host}", timeout=10) as client:
            yield client
    finally:
        server.stop()


async def timed_post(client: httpx.AsyncClient, query: str, token: str | None = None) -> tuple[float, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    return elapsed, response.json()


def assert_refused_for_cost(body: dict, cost: int) -> None:
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"cost {cost}" in error["message"] and f"limit of {LIMIT}" in error["message"], error["message"]


async def test_fragment_fan_out_is_refused_at_once_while_the_process_keeps_answering(served):
    document = fan_out(25)
    assert len(document) < 1200
    await timed_post(served, "{ __typename }")  # the first request's one-time costs aside
    healthz: list[float] = []
    refusals: list[float] = []
    probed = asyncio.Event()

    async def attacker():
        while not probed.is_set():
            elapsed, body = await timed_post(served, document)
            assert_refused_for_cost(body, 2**25)
            refusals.append(elapsed)

    async def probe():
        try:
            for _ in range(10):
                started = time.perf_counter()
                assert (await served.get("/healthz")).status_code == 200
                healthz.append(time.perf_counter() - started)
                await asyncio.sleep(0.02)
        finally:
            probed.set()

    await asyncio.gather(probe(), *(attacker() for _ in range(4)))
    # Before the limit, each of these requests held the process for minutes (2**25 fields).
    assert len(refusals) >= 8 and max(refusals) < 0.5, refusals
    assert max(healthz) < 0.5, healthz


async def test_alias_bomb_is_refused_at_once_naming_its_cost(served, clinic):
    elapsed, body = await timed_post(served, ALIAS_BOMB, clinic.key)
    assert_refused_for_cost(body, ALIAS_BOMB_COST)
    assert elapsed < 0.5, elapsed


async def test_a_subscription_over_the_limit_is_refused_and_the_socket_stays_usable(ws_url, clinic):
    pages = " ".join(f"a{i}: assignedStudies(first: 100) {{ nodes {{ ...Leaves }} }}" for i in range(30))
    heavy = ("subscription { worklist { cursor study { assignedTo { %s } } } } fragment Leaves on Study "
             "{ id studyInstanceUid studyDescription severity studyReportStatus isCancelled createdAt updatedAt "
             "modality clinicalIndication }") % pages
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        error = await (await ws.subscribe(heavy)).error()
        assert error["code"] == "BAD_USER_INPUT"
        assert f"cost {4 + 30 * (2 + 100 * 10)} " in error["message"]
        sub = await ws.subscribe("subscription { worklist { cursor } }")
        await sub.nothing(0.2)


async def test_a_fragment_cycle_is_refused_without_counting_for_ever(api, clinic):
    error = await api.error("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
                            token=clinic.key)
    assert error["code"] == "BAD_USER_INPUT" and "within itself" in error["message"]


async def test_the_readme_and_bench_worklists_pass(api, clinic):
    for i in range(3):
        await create_study(api, clinic.key, uid=f"7.7.{i}")
    readme = await api.ok(README_WORKLIST, token=clinic.key)
    assert readme["studies"]["totalCount"] == 3
    bench = await api.ok(BENCH_WORKLIST, {"first": 100}, token=clinic.key)
    assert len(bench["studies"]["nodes"]) == 3


async def test_a_page_counts_what_it_may_return(api, clinic):
    """The same selection passes on a small page and is refused on a page that multiplies it past the limit;
    without `first`, the default page (25) counts."""
    query = "query($first: Int) { studies(first: $first) { nodes { id assignedTo { assignedStudies(first: 100) { " \
            "nodes { %s } } } } } }"
    three = query % "id studyDescription severity"
    assert (await api.ok(three, {"first": 1}, token=clinic.key))["studies"]["nodes"] == []
    error = await api.error(three, {"first": 100}, token=clinic.key)
    assert error["code"] == "BAD_USER_INPUT" and f"cost {2 + 100 * (4 + 100 * 3)} " in error["message"]
    assert (await api.ok(three, token=clinic.key))["studies"]["nodes"] == []
    # The same document again: each page is counted as its own (a cost is kept per value of `first`).
    assert (await api.ok(three, {"first": 1}, token=clinic.key))["studies"]["nodes"] == []
    assert f"cost {2 + 100 * (4 + 100 * 3)} " in (await api.error(three, {"first": 100}, token=clinic.key))["message"]
    assert (await api.error(three, {"first": [100]}, token=clinic.key))["code"] == "BAD_USER_INPUT"
    ten = query % "id studyInstanceUid studyDescription severity studyReportStatus isCancelled createdAt updatedAt " \
                  "modality clinicalIndication"
    error = await api.error(ten, token=clinic.key)
    assert f"cost {2 + 25 * (4 + 100 * 10)} " in error["message"]


async def test_a_refused_request_changes_nothing_and_is_not_cached(api, app, clinic):
    heavy = " ".join(f"a{i}: assignedStudies(first: 100) {{ nodes {{ id studyDescription }} }}" for i in range(30))
    refused = await api(
        'mutation { createStudy(input: {studyInstanceUid: "7.8.1", studyDescription: "CT Head", severity: STAT}) '
        f"{{ id assignedTo {{ {heavy} }} }} }}", token=clinic.key)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and refused.get("data") is None
    assert (await api.ok("{ studies { totalCount } }", token=clinic.key))["studies"]["totalCount"] == 0

    cache = app.state.graphql.responses
    held = len(cache._entries)
    query = "{ studies(first: 100) { nodes { assignedTo { " + heavy + " } } } }"
    for _ in range(2):
        body = await api(query, token=clinic.key)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and body.get("data") is None
    assert len(cache._entries) == held


INTROSPECTION = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Study") { name } }'
MISSPELT = "{ studys { totalCount } }"


@pytest.mark.parametrize("token", [None, "not-a-token", "ask_not_a_valid_key"])
async def test_without_a_valid_token_no_introspection_and_no_suggestions(api, token):
    for query in (INTROSPECTION, TYPE):
        body = await api(query, token=token)
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body
    assert (await api.ok("{ __typename }", token=token)) == {"__typename": "Query"}
    (error,) = (await api(MISSPELT, token=token))["errors"]
    assert "Cannot query field 'studys'" in error["message"] and "Did you mean" not in error["message"]
    # Nor in the coercion of variables (enum values).
    body = await api("query($s: Severity!) { studies(filter: {severity: [$s]}) { totalCount } }", {"s": "STATT"},
                     token=token)
    assert body["errors"] and not any("Did you mean" in e["message"] for e in body["errors"]), body


async def test_with_a_valid_token_introspection_and_suggestions_work(api, clinic):
    assert (await api.ok(INTROSPECTION, token=clinic.key))["__schema"]["queryType"]["name"] == "Query"
    assert (await api.ok(TYPE, token=clinic.key))["__type"]["name"] == "Study"
    (error,) = (await api(MISSPELT, token=clinic.key))["errors"]
    assert "Did you mean 'study' or 'studies'?" in error["message"]


async def test_graphiql_introspection_passes_the_cost_limit(api, clinic):
    from graphql import get_introspection_query

    data = await api.ok(get_introspection_query(descriptions=True), token=clinic.key)
    assert any(t["name"] == "Study" for t in data["__schema"]["types"])
