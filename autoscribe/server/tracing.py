"""OpenTelemetry traces, exported over OTLP/HTTP to AUTOSCRIBE_OTLP_ENDPOINT.

Imported by server.app only when that is set: otherwise no module of OpenTelemetry is loaded, and
nothing of it runs on any request.

A request's trace: the HTTP request (or WebSocket) span of the ASGI instrumentation that
opentelemetry-instrumentation-starlette installs, the GraphQL operation with its parsing and
validation (Strawberry's OpenTelemetryExtension, "GraphQL Query: <operation name>"), and a span per
SQL statement (opentelemetry-instrumentation-sqlalchemy). No span per resolved field: the
extension's resolve hook would cost more than the fields (and turn off the executor's fast path),
and the SQL spans show where a request's time goes. No span per WebSocket message either: a
subscription's connection is one span, not one per event.
"""

from __future__ import annotations

import contextlib

try:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from strawberry.extensions import LifecycleStep, SchemaExtension
    from strawberry.extensions.tracing import OpenTelemetryExtension
except ImportError as missing:  # pragma: no cover - the message is the point
    raise RuntimeError(
        "AUTOSCRIBE_OTLP_ENDPOINT is set but OpenTelemetry is not installed: pip install 'autoscribe[tracing]'"
    ) from missing

from autoscribe.db.engine import Database

SERVICE_NAME = "autoscribe"


def traces_url(endpoint: str) -> str:
    """The collector's traces URL: the endpoint as given when it names /v1/traces, else under it."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else endpoint + "/v1/traces"


class OperationSpans(OpenTelemetryExtension):
    """Strawberry's OpenTelemetry extension without its span per resolved field."""

    resolve = SchemaExtension.resolve

    def on_operation(self):
        steps = super().on_operation()
        next(steps)  # the operation's span is started
        yield
        name = self.execution_context.operation_name
        if name:
            self._span_holder[LifecycleStep.OPERATION].set_attribute("graphql.operation.name", name)
        with contextlib.suppress(StopIteration):
            next(steps)  # and ended


class Tracing:
    def __init__(self, endpoint: str, db: Database) -> None:
        # OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are honoured (they win over the default name).
        self.provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint))))
        engines = [db.engine.sync_engine]
        if db.read_engine is not db.engine:
            engines.append(db.read_engine.sync_engine)
        # Its declared range stops short of SQLAlchemy 2.1, whose engine events it uses unchanged
        # (tests/test_tracing.py sees the statements' spans): without skip_dep_check it would
        # instrument nothing and only log an error.
        SQLAlchemyInstrumentor().instrument(engines=engines, tracer_provider=self.provider, skip_dep_check=True)

    def schema_extensions(self) -> list:
        provider = self.provider
        return [lambda **kwargs: OperationSpans(tracer_provider=provider, **kwargs)]

    def instrument_app(self, app) -> None:
        StarletteInstrumentor.instrument_app(app, tracer_provider=self.provider)
        for middleware in app.user_middleware:
            if middleware.cls.__module__.startswith("opentelemetry."):
                # One span per request or WebSocket, none per message received or sent.
                middleware.kwargs["exclude_spans"] = ["receive", "send"]

    def shutdown(self) -> None:
        self.provider.shutdown()
