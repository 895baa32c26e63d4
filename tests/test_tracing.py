"""Traces: with AUTOSCRIBE_OTLP_ENDPOINT set, a request's spans (HTTP, the GraphQL operation by
name, its SQL) reach an OTLP collector; without it, nothing of OpenTelemetry is even imported."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from tests.support.live_server import ServeProcess, api_at
from tests.support.operator import server_clinic
from tests.support.otlp_collector import OtlpCollector

WORKLIST = "query Worklist { studies(first: 5) { totalCount nodes { id } } }"


async def test_the_spans_of_a_request_reach_the_collector_with_the_operation_name(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'traced.db'}"
    with OtlpCollector() as collector:
        # The exporter's batches go out every 200 ms rather than every 5 s.
        server = await ServeProcess(url, log=tmp_path / "serve.log", otlp_endpoint=collector.endpoint,
                                    env={"OTEL_BSP_SCHEDULE_DELAY": "200"}).start()
        try:
            _clinic_id, key = await server_clinic(url)
            async with api_at(server.host) as api:
                assert (await api.ok(WORKLIST, token=key))["studies"]["totalCount"] == 0
            async with asyncio.timeout(30):
                while not [s for s in collector.spans if s.name == "GraphQL Query: Worklist"]:
                    await asyncio.sleep(0.1)
        finally:
            server.stop()
    assert all(r.startswith("/v1/traces application/x-protobuf") for r in collector.requests), collector.requests
    [operation] = [s for s in collector.spans if s.name == "GraphQL Query: Worklist"]
    assert operation.attributes["graphql.operation.name"] == "Worklist"
    assert operation.resource["service.name"] == "autoscribe"
    trace = [s for s in collector.spans if s.trace_id == operation.trace_id]
    by_id = {s.span_id: s for s in trace}
    # The operation runs inside the HTTP request's span ...
    http = by_id[operation.parent_id]
    assert http.name == "POST /graphql" and http.attributes.get("http.route") == "/graphql", http.attributes
    # ... its parsing and validation are spans of their own, and so is each SQL statement.
    names = {s.name for s in trace}
    assert {"GraphQL Parsing", "GraphQL Validation"} <= names, names
    statements = [s for s in trace if s.scope.startswith("opentelemetry.instrumentation.sqlalchemy")]
    assert statements and any("SELECT" in s.attributes.get("db.statement", s.attributes.get("db.query.text", ""))
                              for s in statements), [(s.name, s.attributes) for s in statements]
    # No span per resolved field, nor per message sent.
    assert not [s for s in trace if s.name.startswith("GraphQL Resolving")]
    assert not [s for s in trace if s.name.endswith((" send", " receive"))], names


PROBE = """
import asyncio, json, sys
# redis-py 8 (the event bus's client) loads OpenTelemetry's API and metrics SDK itself when they are
# installed: those are the baseline; what serving a request adds to them is the question.
import redis
def loaded():
    return {m for m in sys.modules if m.split(".")[0] == "opentelemetry" or m.startswith("strawberry.extensions.tracing")
            or m == "autoscribe.server.tracing"}
baseline = loaded()
import httpx
from autoscribe.db.migrate import upgrade
from autoscribe.operations.authentication import create_clinic
from autoscribe.server.app import create_app
from autoscribe.core.settings import Settings

async def main(url):
    app = create_app(Settings(database_url=url, secret_key="k"))
    async with app.router.lifespan_context(app):
        _, key = await create_clinic(app.state.services.db, "Probe")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answer = await http.post("/graphql", json={"query": "query Me { me { clinicId } }"},
                                     headers={"Authorization": "Bearer " + key})
            assert answer.status_code == 200 and not answer.json().get("errors"), answer.text
    added = sorted(loaded() - baseline)
    from opentelemetry import trace
    print(json.dumps({"added": added,
                      "middleware": [m.cls.__module__ for m in app.user_middleware],
                      "provider": type(trace.get_tracer_provider()).__name__}))

upgrade(sys.argv[1])
asyncio.run(main(sys.argv[1]))
"""


def test_without_an_endpoint_nothing_of_opentelemetry_is_imported(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOSCRIBE_OTLP", "OTEL_"))}
    out = subprocess.run([sys.executable, "-c", PROBE, f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"],
                         env=env, capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.splitlines()[-1])
    assert seen["added"] == [], seen
    assert not [m for m in seen["middleware"] if m.startswith("opentelemetry")], seen
    assert seen["provider"] == "ProxyTracerProvider", seen  # no tracer installed: spans are no-ops
