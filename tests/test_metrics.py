"""/metrics as an operator's Prometheus sees it: each request counted under its operation, kind
and outcome, with its latency; open sockets and subscriptions; events written and delivered; the
bus, the pool and the response cache; who may scrape it."""

from __future__ import annotations

import asyncio

import httpx

from autoscribe.server import metrics
from autoscribe.server.app import create_app
from tests.support.live_helpers import create
from tests.support.metrics import Scrape, scrape
from tests.support.settings import settings_for
from tests.support.ws_client import GraphQLWS

WORKLIST = "query Worklist { studies(orderBy: PRIORITY, first: 10) { totalCount nodes { id severity } } }"
CANCEL = "mutation CancelIt($id: ID) { cancelStudy(id: $id) { id } }"
LIVE = "subscription LiveWorklist { worklist { cursor type study { id } } }"


async def _until(check, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.02)


async def test_a_query_is_counted_under_its_operation_kind_and_outcome(http, api, clinic):
    before = await scrape(http)
    await api.ok(WORKLIST, token=clinic.key)
    after = await scrape(http)
    labels = {"operation": "Worklist", "kind": "query", "outcome": "OK"}
    assert after.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1
    timed = {"operation": "Worklist", "kind": "query"}
    assert after.value("autoscribe_request_duration_seconds_count", **timed) == \
        before.value("autoscribe_request_duration_seconds_count", **timed) + 1
    assert after.value("autoscribe_request_duration_seconds_sum", **timed) > \
        before.value("autoscribe_request_duration_seconds_sum", **timed)


async def test_an_error_code_is_the_outcome(http, api, clinic):
    before = await scrape(http)
    err = await api.error(CANCEL, {"id": "stu_" + "a" * 32}, token=clinic.key)
    assert err["code"] == "NOT_FOUND"
    unauthenticated = await api.raw(WORKLIST, token="not-a-key")
    assert unauthenticated.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = await scrape(http)
    for labels in ({"operation": "CancelIt", "kind": "mutation", "outcome": "NOT_FOUND"},
                   {"operation": "Worklist", "kind": "query", "outcome": "UNAUTHENTICATED"}):
        assert after.value("autoscribe_requests_total", **labels) == \
            before.value("autoscribe_requests_total", **labels) + 1, labels


async def test_a_request_refused_before_parsing_counts_with_its_code(http, clinic):
    before = await scrape(http)
    response = await http.post("/graphql", json={"query": "{ studies { "}, headers={"Authorization": f"Bearer {clinic.key}"})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    after = await scrape(http)
    labels = {"operation": "(anonymous)", "kind": "unknown", "outcome": "BAD_USER_INPUT"}
    assert after.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1


async def test_rest_calls_are_counted_by_operation_id(http, clinic):
    before = await scrape(http)
    response = await http.get("/v1/autoScribe/studies/stu_" + "b" * 32, headers={"Authorization": f"Bearer {clinic.key}"})
    assert response.status_code == 404
    after = await scrape(http)
    labels = {"operation": "auto_scribe.studies.retrieve", "kind": "rest", "outcome": "NOT_FOUND"}
    assert after.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1
    assert after.value("autoscribe_request_duration_seconds_count", operation="auto_scribe.studies.retrieve",
                       kind="rest") >= 1


async def test_response_cache_hits_and_misses(http, api, clinic):
    await create(api, clinic.key, "1.2.840.7.1")
    first = await scrape(http)
    await api.ok(WORKLIST, token=clinic.key)
    second = await scrape(http)
    await api.ok(WORKLIST, token=clinic.key)
    third = await scrape(http)
    assert second.value("autoscribe_response_cache_misses_total") == first.value("autoscribe_response_cache_misses_total") + 1
    assert third.value("autoscribe_response_cache_hits_total") == second.value("autoscribe_response_cache_hits_total") + 1
    # A cached answer is counted as the query it answers.
    labels = {"operation": "Worklist", "kind": "query", "outcome": "OK"}
    assert third.value("autoscribe_requests_total", **labels) == second.value("autoscribe_requests_total", **labels) + 1


async def test_sockets_subscriptions_and_events(http, api, ws_url, clinic):
    before = await scrape(http)
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe(LIVE)

        async def subscribed():
            now = await scrape(http)
            return now.value("autoscribe_subscriptions_active") == before.value("autoscribe_subscriptions_active") + 1

        await _until(subscribed)
        opened = await scrape(http)
        assert opened.value("autoscribe_websockets_open") == before.value("autoscribe_websockets_open") + 1
        await create(api, clinic.key, "1.2.840.7.2")
        event = await sub.next()
        assert event["worklist"]["type"] == "ADDED"
        delivered = await scrape(http)
        assert delivered.value("autoscribe_events_written_total") >= before.value("autoscribe_events_written_total") + 1
        assert delivered.value("autoscribe_events_delivered_total") >= before.value("autoscribe_events_delivered_total") + 1
        await sub.complete()

    async def closed():
        now = await scrape(http)
        return (now.value("autoscribe_websockets_open") == before.value("autoscribe_websockets_open")
                and now.value("autoscribe_subscriptions_active") == before.value("autoscribe_subscriptions_active"))

    await _until(closed)
    ended = await scrape(http)
    labels = {"operation": "LiveWorklist", "kind": "subscription", "outcome": "OK"}
    assert ended.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1
    # A subscription's lifetime is not a request latency.
    assert ended.value("autoscribe_request_duration_seconds_count", operation="LiveWorklist", kind="subscription") == 0


async def test_a_subscription_refused_shows_its_code(http, ws_url, clinic):
    before = await scrape(http)
    async with GraphQLWS.connect(ws_url, token=clinic.key) as ws:
        sub = await ws.subscribe("subscription Broken { worklist { nope } }")
        err = await sub.error()
        assert err["code"] == "BAD_USER_INPUT"

        async def counted():
            now = await scrape(http)
            labels = {"operation": "Broken", "kind": "subscription", "outcome": "BAD_USER_INPUT"}
            return now.value("autoscribe_requests_total", **labels) == before.value("autoscribe_requests_total", **labels) + 1

        await _until(counted)


async def test_bus_pool_and_webhook_series(http):
    now = await scrape(http)
    assert now.value("autoscribe_event_bus_state", state="connected") == 1
    assert now.value("autoscribe_event_bus_state", state="reconnecting") == 0
    pools = now.series("autoscribe_db_pool_size")
    assert pools and all(now.value("autoscribe_db_pool_size", **p) >= 1 for p in pools), now.text
    assert now.series("autoscribe_db_pool_checked_out") == pools
    assert {s["outcome"] for s in now.series("autoscribe_webhook_attempts_total")} == {"delivered", "retrying", "failed"}


async def test_client_chosen_operation_names_are_bounded(http, api, clinic, monkeypatch):
    # The bound, lowered from its 200 for the test: names seen so far, and 10 more at most.
    names_now = {s["operation"] for s in (await scrape(http)).series("autoscribe_requests_total") if s["kind"] == "query"}
    monkeypatch.setattr(metrics, "MAX_OPERATIONS", len(names_now - {"(anonymous)", "(other)"}) + 10)
    for i in range(25):
        await api.ok(f"query Made{i} {{ me {{ clinicId }} }}", token=clinic.key)
    now = await scrape(http)
    names = {s["operation"] for s in now.series("autoscribe_requests_total") if s["kind"] == "query"}
    assert len(names - names_now) <= 11, names - names_now  # 10 new names, and (other)
    assert now.value("autoscribe_requests_total", operation="(other)", kind="query", outcome="OK") >= 15


async def test_metrics_are_for_loopback_clients_unless_a_token_is_set(app, database_url):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as outside:
        refused = await outside.get("/metrics")
    assert refused.status_code == 403 and "AUTOSCRIBE_METRICS_TOKEN" in refused.text

    guarded = create_app(settings_for(database_url, metrics_token="s3cret-scrape"))
    transport = httpx.ASGITransport(app=guarded, client=("203.0.113.9", 5000))
    async with guarded.router.lifespan_context(guarded):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as outside:
            assert (await outside.get("/metrics")).status_code == 401
            wrong = await outside.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
            allowed = await scrape(outside, Authorization="Bearer s3cret-scrape")
    assert isinstance(allowed, Scrape) and allowed.value("autoscribe_event_bus_state", state="connected") == 1
