"""Webhooks: endpoints managed through GraphQL, `report.delivered` sent from the event log, signed
so that the avara SDK's own `client.webhooks.unwrap` verifies it, and delivered at least once, to
a receiver that was down, after a restart and with two processes, once per event.

The shared app of the other tests sends no webhooks (tests/conftest.py): each test here runs the
servers that do, so it knows which process delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
import uuid
from collections import Counter
from types import SimpleNamespace
from urllib.parse import urlsplit

import avara
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from standardwebhooks import WebhookVerificationError

from sqlalchemy import select

from autoscribe.core.signing import Signer
from autoscribe.db.engine import Database
from autoscribe.db.models import Event
from autoscribe.operations.authentication import create_clinic
from autoscribe.operations.webhooks import event_id
from tests.support.clinics import Clinic, add_user, session_token
from tests.support.settings import PG_URL, TEST_SECRET, settings_for
from tests.support.live_server import RedisServer, ServeProcess, api_at, app_server, free_port, serving
from tests.support.metrics import scrape
from tests.support.reports_helpers import ADDENDUM, sign, signed_report

ENDPOINT = "id url eventTypes enabled secret createdAt updatedAt"
CREATE = f"mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{ {ENDPOINT} }} }}"
UPDATE = (f"mutation($id: ID!, $input: UpdateWebhookEndpointInput!) "
          f"{{ updateWebhookEndpoint(id: $id, input: $input) {{ {ENDPOINT} }} }}")
DELETE = f"mutation($id: ID!) {{ deleteWebhookEndpoint(id: $id) {{ {ENDPOINT} }} }}"
LIST = f"{{ webhookEndpoints {{ {ENDPOINT} }} }}"
DELIVERIES = """query($e: ID!, $first: Int, $after: String) { webhookDeliveries(endpointId: $e, first: $first, after: $after) {
    nodes { id eventId eventType reportId status attempts lastStatusCode lastError lastAttemptAt nextAttemptAt deliveredAt }
    pageInfo { hasNextPage endCursor } } }"""

# Fast retries and polls, so that a test sees several attempts in seconds.
FAST = dict(webhook_worker=True, webhooks_allow_private=True, webhook_poll_seconds=0.2, webhook_retry_base_seconds=0.2,
            webhook_retry_max_seconds=1, webhook_timeout_seconds=2)


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request, answers `status` (503: down)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.status = 200
        # Seconds it takes to answer (a slow receiver).
        self.delay = 0.0
        self.requests: list[tuple[dict, str, int]] = []
        self._released = asyncio.Event()
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])

    async def _hook(self, request: Request) -> Response:
        if self.delay:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.delay):
                    await self._released.wait()
        self.requests.append((dict(request.headers), (await request.body()).decode(), self.status))
        return Response(status_code=self.status)

    @contextlib.asynccontextmanager
    async def serving(self):
        self._released.clear()
        async with serving(self.app, self.port):
            try:
                yield
            finally:
                self._released.set()  # requests still held answer now, so the server can stop

    def delivered(self) -> Counter:
        """Event ID -> how many times it was answered 2xx."""
        return Counter(json.loads(body)["id"] for _h, body, status in self.requests if 200 <= status < 300)

    def attempts(self) -> Counter:
        return Counter(json.loads(body)["id"] for _h, body, _s in self.requests)


def unwrap(headers: dict, body: str, secret: str):
    return avara.Avara(api_key="unused", base_url="http://127.0.0.1:1").webhooks.unwrap(body, headers=headers, key=secret)


async def until(predicate, timeout: float = 30, what: str = "") -> None:
    """Wait for `predicate()` (a value or an awaitable) to be true."""
    deadline = time.monotonic() + timeout
    while not (await result if inspect.isawaitable(result := predicate()) else result):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def create_endpoint(api, token, url) -> dict:
    return (await api.ok(CREATE, {"input": {"url": url, "eventTypes": ["report.delivered"]}}, token=token))[
        "createWebhookEndpoint"]


async def deliveries(api, token, endpoint_id) -> list[dict]:
    return (await api.ok(DELIVERIES, {"e": endpoint_id, "first": 100}, token=token))["webhookDeliveries"]["nodes"]


async def test_a_signed_report_and_its_addendum_reach_the_receiver_verified_by_the_sdk(database_url):
    receiver = Receiver()
    async with receiver.serving(), app_server(settings_for(database_url, **FAST)) as (_host, services, api):
        clinic = Clinic(*await create_clinic(services.db, "Webhook Imaging"))
        endpoint = await create_endpoint(api, clinic.key, receiver.url)
        assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"] is True

        study, report, _user, token = await signed_report(
            api, services, clinic, text="IMPRESSION: pneumothorax.", critical=True
        )
        await until(lambda: len(receiver.delivered()) == 1, what="the first delivery")
        headers, body, _status = receiver.requests[0]
        event = unwrap(headers, body, endpoint["secret"])
        assert event.type == "report.delivered"
        assert event.id == headers["webhook-id"] and event.id.startswith("whe_") and len(event.id) == 36
        data = event.data
        assert (data.report_id, data.study_id, data.study_instance_uid) == (
            report["id"], study["id"], study["studyInstanceUid"])
        assert data.is_critical is True and data.plain_text == "IMPRESSION: pneumothorax."
        assert data.external_patient_id is None
        link = urlsplit(data.presigned_url)
        pdf = await api.client.get(f"{link.path}?{link.query}")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

        # Tampered with, or checked with another endpoint's secret: refused.
        with pytest.raises(WebhookVerificationError):
            unwrap(headers, body.replace("pneumothorax", "normal"), endpoint["secret"])
        other = await create_endpoint(api, clinic.key, receiver.url + "?other")
        with pytest.raises(WebhookVerificationError):
            unwrap(headers, body, other["secret"])

        # An addendum signed: one event, sent to both endpoints, each signed with its own secret.
        addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
        await sign(api, token, addendum["id"], text="ADDENDUM: chest tube placed.")

        def of_addendum():
            return [(h, b) for h, b, _s in receiver.requests if json.loads(b)["data"]["reportId"] == addendum["id"]]

        await until(lambda: len(of_addendum()) == 2, what="the addendum's deliveries")
        for secret in (endpoint["secret"], other["secret"]):
            verified = [unwrap(h, b, secret) for h, b in of_addendum() if _verifies(h, b, secret)]
            assert [e.data.plain_text for e in verified] == ["ADDENDUM: chest tube placed."]
            assert verified[0].id not in (event.id,)
        assert len({h["webhook-id"] for h, _b in of_addendum()}) == 1

        rows = await deliveries(api, clinic.key, endpoint["id"])
        assert [(r["reportId"], r["status"], r["attempts"], r["lastStatusCode"]) for r in rows] == [
            (addendum["id"], "DELIVERED", 1, 200), (report["id"], "DELIVERED", 1, 200)]
        assert rows[1]["eventId"] == event.id and rows[0]["deliveredAt"] and rows[0]["nextAttemptAt"] is None
        assert [r["reportId"] for r in await deliveries(api, clinic.key, other["id"])] == [addendum["id"]]
        # The operator sees the same on /metrics: three attempts, all delivered.
        seen = await scrape(api.client)
        assert [seen.value("autoscribe_webhook_attempts_total", outcome=o) for o in ("delivered", "retrying", "failed")] \
            == [3, 0, 0]


def _verifies(headers, body, secret) -> bool:
    try:
        unwrap(headers, body, secret)
        return True
    except WebhookVerificationError:
        return False



async def test_endpoints_are_managed_by_an_api_key_or_an_admin_only_and_the_secret_is_shown_once(
    api, services, clinic, other_clinic
):
    created = await create_endpoint(api, clinic.key, "https://hooks.example.com/autoscribe")
    assert created["id"].startswith("wep_") and created["secret"].startswith("whsec_")
    assert created["eventTypes"] == ["report.delivered"]

    listed = (await api.ok(LIST, token=clinic.key))["webhookEndpoints"]
    assert [(e["id"], e["secret"]) for e in listed] == [(created["id"], None)]

    updated = (await api.ok(UPDATE, {"id": created["id"], "input": {"enabled": False, "url": "https://h.example.com/2"}},
                            token=clinic.key))["updateWebhookEndpoint"]
    assert (updated["enabled"], updated["url"], updated["secret"]) == (False, "https://h.example.com/2", None)

    admin = await add_user(services, clinic.id, level="ADMIN")
    admin_token = session_token(services, admin)
    by_admin = await create_endpoint(api, admin_token, "https://hooks.example.com/admin")
    assert by_admin["secret"] and by_admin["secret"] != created["secret"]

    member = await add_user(services, clinic.id)
    member_token = session_token(services, member)
    for query, variables in [(CREATE, {"input": {"url": "https://x.example.com", "eventTypes": ["report.delivered"]}}),
                             (LIST, None),
                             (UPDATE, {"id": created["id"], "input": {"enabled": True}}),
                             (DELETE, {"id": created["id"]}),
                             (DELIVERIES, {"e": created["id"]})]:
        assert (await api.error(query, variables, token=member_token))["code"] == "FORBIDDEN"

    # Another clinic's endpoint is as if there were none.
    for query, variables, field in [(UPDATE, {"id": created["id"], "input": {"enabled": True}}, "id"),
                                    (DELETE, {"id": created["id"]}, "id"),
                                    (DELIVERIES, {"e": created["id"]}, "endpointId")]:
        err = await api.error(query, variables, token=other_clinic.key)
        assert (err["code"], err["field"]) == ("NOT_FOUND", field)
    assert (await api.ok(LIST, token=other_clinic.key))["webhookEndpoints"] == []

    deleted = (await api.ok(DELETE, {"id": created["id"]}, token=clinic.key))["deleteWebhookEndpoint"]
    assert deleted["id"] == created["id"]
    assert [e["id"] for e in (await api.ok(LIST, token=clinic.key))["webhookEndpoints"]] == [by_admin["id"]]
    assert (await api.error(DELETE, {"id": created["id"]}, token=clinic.key))["code"] == "NOT_FOUND"


@pytest.mark.parametrize("url, field", [
    ("ftp://hooks.example.com/x", "input.url"),
    ("https://user:pw@hooks.example.com/x", "input.url"),
    ("hooks.example.com/x", "input.url"),
    ("https://hooks.example.com/a b", "input.url"),
    ("https://hooks.example.com:99999/", "input.url"),
    ("https:///nohost", "input.url"),
])
async def test_a_bad_url_is_refused_with_its_field(api, clinic, url, field):
    err = await api.error(CREATE, {"input": {"url": url, "eventTypes": ["report.delivered"]}}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", field)
    assert (await api.ok(LIST, token=clinic.key))["webhookEndpoints"] == []


async def test_an_unknown_event_type_is_refused_with_its_field(api, clinic):
    for types, field in [(["report.delivered", "report_delivered"], "input.eventTypes.1"), ([], "input.eventTypes")]:
        err = await api.error(CREATE, {"input": {"url": "https://h.example.com", "eventTypes": types}}, token=clinic.key)
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", field)
    assert (await api.ok(LIST, token=clinic.key))["webhookEndpoints"] == []


async def test_in_production_private_and_loopback_receivers_are_refused(database_url):
    settings = settings_for(database_url, webhooks_allow_private=False)
    async with app_server(settings) as (_host, services, api):
        clinic = Clinic(*await create_clinic(services.db, "Production Imaging"))
        for url in ["http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/hook",
                    "http://192.168.0.7/hook", "http://[::1]/hook", "http://169.254.169.254/latest",
                    "http://[::ffff:127.0.0.1]/hook"]:
            err = await api.error(CREATE, {"input": {"url": url, "eventTypes": ["report.delivered"]}}, token=clinic.key)
            assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "input.url"), url
        assert (await create_endpoint(api, clinic.key, "https://hooks.example.com/x"))["id"]
        endpoint = (await api.ok(LIST, token=clinic.key))["webhookEndpoints"][0]
        err = await api.error(UPDATE, {"id": endpoint["id"], "input": {"url": "http://127.0.0.1/"}}, token=clinic.key)
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "input.url")


async def test_a_slow_receiver_slows_neither_the_api_nor_another_endpoint(database_url):
    slow, fast = Receiver(), Receiver()
    slow.delay = 30  # past the attempt's time limit: every attempt times out
    settings = settings_for(database_url, **{**FAST, "webhook_timeout_seconds": 3,
                                                       "webhook_concurrency_per_endpoint": 1})
    async with slow.serving(), fast.serving(), app_server(settings) as (_host, services, api):
        clinic = Clinic(*await create_clinic(services.db, "Slow Receiver Imaging"))
        stuck = await create_endpoint(api, clinic.key, slow.url)
        await create_endpoint(api, clinic.key, fast.url)
        started = time.monotonic()
        signed = await _sign_reports(api, services, clinic, 3)
        assert time.monotonic() - started < 2.5  # three studies dictated and signed, none waiting for a receiver
        await until(lambda: len(fast.delivered()) == 3, timeout=2.5, what="the fast endpoint's deliveries")
        await until(_timed_out(api, clinic, stuck["id"]), timeout=10, what="the slow endpoint's first time-out")
        rows = await deliveries(api, clinic.key, stuck["id"])
        assert sorted(r["reportId"] for r in rows) == sorted(signed)
        assert {r["status"] for r in rows} == {"PENDING"}


def _timed_out(api, clinic, endpoint_id):
    async def check():
        rows = await deliveries(api, clinic.key, endpoint_id)
        return any(r["lastError"] == "Timed out." and r["lastStatusCode"] is None for r in rows)
    return check


async def _sign_reports(api, services, clinic, n) -> list[str]:
    """n reports signed through `api`; their IDs."""
    ids = []
    for _ in range(n):
        ids.append((await signed_report(api, services, clinic))[1]["id"])
    return ids


async def test_a_receiver_down_for_a_while_gets_every_delivery_once_after_a_server_restart(database_url, services, tmp_path):
    """Not listening at all while the first server tries; that server dies (no shutdown); the
    receiver comes up and a new server delivers each event once, from what the database holds."""
    clinic = Clinic(*await create_clinic(services.db, "Restart Imaging"))
    receiver = Receiver()
    first = await ServeProcess(database_url, log=tmp_path / "serve-1.log", **FAST).start()
    try:
        async with api_at(first.host) as api:
            endpoint = await create_endpoint(api, clinic.key, receiver.url)
            reports = await _sign_reports(api, services, clinic, 3)

            async def all_tried():
                rows = await deliveries(api, clinic.key, endpoint["id"])
                return len(rows) == 3 and all(r["attempts"] >= 2 for r in rows)

            await until(all_tried, what="every delivery tried twice")
            rows = await deliveries(api, clinic.key, endpoint["id"])
            assert {r["status"] for r in rows} == {"PENDING"}
            assert all(r["lastStatusCode"] is None and "Connect" in r["lastError"] for r in rows), rows
    finally:
        first.kill()

    expected = {event_id(clinic.id, seq) for seq in await _signed_seqs(services, clinic.id)}
    assert len(expected) == 3
    async with receiver.serving():
        second = await ServeProcess(database_url, log=tmp_path / "serve-2.log", **FAST).start()
        try:
            await until(lambda: (set(receiver.delivered()) == expected), what="every event delivered")
            await asyncio.sleep(1)  # no repeat follows
            assert receiver.delivered() == Counter({e: 1 for e in expected})
            for headers, body, _status in receiver.requests:
                assert unwrap(headers, body, endpoint["secret"]).data.report_id in reports
            async with api_at(second.host) as api:
                rows = await deliveries(api, clinic.key, endpoint["id"])
            assert {(r["status"], r["lastStatusCode"]) for r in rows} == {("DELIVERED", 200)}
        finally:
            second.kill()


async def _signed_seqs(services, clinic_id) -> list[int]:
    async with services.db.read() as session:
        return list(await session.scalars(
            select(Event.seq).where(Event.clinic_id == clinic_id, Event.kind == "report.signed")
        ))


@pytest.mark.skipif(not PG_URL, reason="needs AUTOSCRIBE_TEST_DATABASE_URL (PostgreSQL)")
@pytest.mark.usefixtures("migrated_postgres")
async def test_with_two_processes_each_attempt_is_made_by_one_and_each_event_delivered_once(tmp_path):
    """Two servers on one PostgreSQL (a Redis bus between them); the receiver answers 503 for a
    while, then 200: every event is delivered once, and every attempt the database counts was
    made once (no process sent one another had claimed)."""
    if not RedisServer.available():
        pytest.fail("redis-server is needed for the multi-process tests")
    redis = await RedisServer(tmp_path).start()
    channel = f"autoscribe.test.{uuid.uuid4().hex[:12]}"
    # What the report helpers need of the services: the database and the servers' signer.
    svc = SimpleNamespace(db=Database(PG_URL), signer=Signer(TEST_SECRET))
    clinic = Clinic(*await create_clinic(svc.db, "Two Process Imaging"))
    receiver = Receiver()
    receiver.status = 503
    servers = []
    try:
        async with receiver.serving():
            for name in ("a", "b"):
                servers.append(await ServeProcess(PG_URL, events_url=redis.url, log=tmp_path / f"serve-{name}.log",
                                                  events_channel=channel, **FAST).start())
            async with api_at(servers[0].host) as api_a, api_at(servers[1].host) as api_b:
                endpoint = await create_endpoint(api_a, clinic.key, receiver.url)
                reports = []
                for api in (api_a, api_b, api_a, api_b, api_a, api_b):
                    reports += await _sign_reports(api, svc, clinic, 1)
                await until(lambda: (len(receiver.attempts()) == 6 and min(receiver.attempts().values()) >= 2),
                            what="every event tried twice")
                receiver.status = 200
                await until(lambda: (len(receiver.delivered()) == 6), what="every event delivered")
                await asyncio.sleep(1)
                assert receiver.delivered() == Counter({e: 1 for e in receiver.attempts()})
                rows = await deliveries(api_b, clinic.key, endpoint["id"])
                assert sorted(r["reportId"] for r in rows) == sorted(reports)
                assert {r["status"] for r in rows} == {"DELIVERED"}
                counted = {r["eventId"]: r["attempts"] for r in rows}
                assert counted == dict(receiver.attempts())
                for headers, body, _status in receiver.requests:
                    unwrap(headers, body, endpoint["secret"])
    finally:
        for server in servers:
            server.kill()
        redis.kill()
        await svc.db.dispose()
