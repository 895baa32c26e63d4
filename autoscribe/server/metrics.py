"""/metrics: what an operator watches, in Prometheus' text format (prometheus-client).

Each process has its own registry and is scraped on its own (every process is a target; sum over
them in the queries): nothing is shared between processes, no files, no locks across them.

On the request path the cost is one counter increment and one histogram observation per request
(per GraphQL operation on a WebSocket), through label children cached here. Everything else is read
when /metrics is scraped, from the plain counts the parts of the server keep anyway: open sockets,
subscriptions, events, the bus, the database pool, the response cache, webhook attempts.
"""

from __future__ import annotations

import hmac
import ipaddress
import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from autoscribe.server.services import ServerServices

# Operation names are chosen by clients: at most this many distinct ones per kind get a series of
# their own; the rest are counted as "(other)".
MAX_OPERATIONS = 200
MAX_CHILDREN = 10_000
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z.]{0,99}")  # GraphQL names; REST operation IDs have dots
# Seconds: most answers take milliseconds; a slow mutation (a PDF) or a stalled database, seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def outcome_label(outcome: str | None, status: int | None) -> str:
    """"OK", or the error code(s) the client saw ("NOT_FOUND"; several joined by commas)."""
    if outcome is None:
        if status is None or status < 400:
            return "OK"
        return "INTERNAL_SERVER_ERROR" if status >= 500 else f"HTTP_{status}"
    if outcome.startswith("ok"):
        return "OK"
    return outcome.removeprefix("error:")


class Metrics:
    """The process's metrics: request counters and latencies, and a collector of its state."""

    def __init__(self, svc: ServerServices) -> None:
        # No `_created` series beside each counter: they would double what is scraped and stored.
        disable_created_metrics()
        self.svc = svc
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "autoscribe_requests", "Requests (GraphQL operations, REST calls) by operation, kind and outcome.",
            ["operation", "kind", "outcome"], registry=self.registry)
        self.latency = Histogram(
            "autoscribe_request_duration_seconds", "Time to answer a request (a subscription: its lifetime "
            "is not counted here), by operation and kind.",
            ["operation", "kind"], buckets=BUCKETS, registry=self.registry)
        self._children: dict[tuple[str, str, str], tuple] = {}
        self._names: dict[str, set[str]] = {}
        self.events_written = 0
        self.graphql = None
        svc.db.after_commit.append(self._written)
        self.registry.register(_State(self))

    def serve_graphql(self, graphql) -> None:
        """The GraphQL app whose sockets, subscriptions and response cache are shown."""
        self.graphql = graphql

    async def _written(self, events: list) -> None:
        self.events_written += len(events)

    def _operation(self, kind: str, operation: str | None) -> str:
        if not operation or operation == "-":
            return "(anonymous)"
        names = self._names.setdefault(kind, set())
        if operation in names:
            return operation
        if len(names) >= MAX_OPERATIONS or not _NAME.fullmatch(operation):
            return "(other)"
        names.add(operation)
        return operation

    def observe(self, kind: str, operation: str | None, outcome: str, seconds: float | None) -> None:
        """One request answered (`seconds` None: not timed, a subscription)."""
        key = (kind, operation or "-", outcome)
        children = self._children.get(key)
        if children is None:
            name = self._operation(kind, operation)
            children = (self.requests.labels(name, kind, outcome), self.latency.labels(name, kind))
            if len(self._children) < MAX_CHILDREN:
                self._children[key] = children
        children[0].inc()
        if seconds is not None:
            children[1].observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        """GET /metrics: with METRICS_TOKEN set, for its bearer only; without, for loopback clients only."""
        token = self.svc.settings.metrics_token
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse("/metrics needs Authorization: Bearer <AUTOSCRIBE_METRICS_TOKEN>.\n",
                                         status_code=401, headers={"www-authenticate": "Bearer"})
        elif not _loopback(request.client.host if request.client else None):
            return PlainTextResponse("/metrics answers loopback clients only; set AUTOSCRIBE_METRICS_TOKEN to "
                                     "scrape it from elsewhere.\n", status_code=403)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _State(Collector):
    """The process's state, read at each scrape."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):
        metrics, svc = self.metrics, self.metrics.svc
        graphql = metrics.graphql
        if graphql is not None:
            yield _gauge("autoscribe_websockets_open", "Open WebSocket connections.", graphql.sockets_open)
            yield _gauge("autoscribe_websockets_awaiting_init", "Open WebSockets that have not sent connection_init yet.",
                         sum(graphql.pending.open.values()))
            yield _gauge("autoscribe_subscriptions_active", "Subscriptions running on this process's WebSockets.",
                         graphql.subscriptions_active)
            cache = graphql.responses
            yield _counter("autoscribe_response_cache_hits", "Queries answered from the response cache.", cache.hits)
            yield _counter("autoscribe_response_cache_misses", "Cacheable queries not in the response cache.",
                           cache.misses)
            yield _counter("autoscribe_events_delivered", "Results (events) sent to subscribers.",
                           graphql.sent_next + svc.groups.written)
        groups = svc.groups
        yield _gauge("autoscribe_subscription_groups", "Shared executions of subscriptions (one per document, "
                     "variables and rights).", len(groups.running))
        yield _counter("autoscribe_events_written", "Events committed to the event log by this process.",
                       metrics.events_written)
        yield _counter("autoscribe_events_dropped", "Results never sent: the backlog of subscribers dropped for "
                       "falling behind (they resume with `after`).", groups.dropped)
        yield _counter("autoscribe_subscribers_dropped", "Subscribers dropped for falling behind (RATE_LIMITED).",
                       groups.dropped_members)
        bus = GaugeMetricFamily("autoscribe_event_bus_state", "The event bus: 1 for its current state.",
                                labels=["state"])
        for state in ("connected", "reconnecting", "stopped"):
            bus.add_metric([state], 1 if svc.bus.state == state else 0)
        yield bus
        checked_out = GaugeMetricFamily("autoscribe_db_pool_checked_out", "Database connections in use.",
                                        labels=["pool"])
        size = GaugeMetricFamily("autoscribe_db_pool_size", "Database connections the pool keeps.", labels=["pool"])
        overflow = GaugeMetricFamily("autoscribe_db_pool_overflow", "Connections open beyond the pool's size.",
                                     labels=["pool"])
        for name, pool in _pools(svc.db):
            for family, method in ((checked_out, "checkedout"), (size, "size"), (overflow, "overflow")):
                value = getattr(pool, method, None)
                if callable(value):
                    family.add_metric([name], max(value(), 0))
        yield checked_out
        yield size
        yield overflow
        attempts = CounterMetricFamily("autoscribe_webhook_attempts", "Webhook delivery attempts made by this "
                                       "process, by outcome (delivered, retrying, failed).", labels=["outcome"])
        for outcome, count in svc.webhooks.attempts.items():
            attempts.add_metric([outcome], count)
        yield attempts


def _pools(db):
    if db.read_engine is db.engine:
        return [("main", db.engine.pool)]
    return [("write", db.engine.pool), ("read", db.read_engine.pool)]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)
