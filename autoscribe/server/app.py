"""The Starlette application: the routes (/graphql over HTTP and WebSocket, health checks, the
HTTP pages), the middleware and the lifespan. GraphQL itself is autoscribe.server.engine.asgi."""

from __future__ import annotations

import contextlib

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute

from autoscribe.core.settings import Settings
from autoscribe.rest import app as rest_app
from autoscribe.server.app_page import APP_PATH, ReadingRoom
from autoscribe.server.engine.asgi import GraphQLApp
from autoscribe.server.files import report_pdf
from autoscribe.server.graphiql_page import STATIC_PATH, StaticAssets
from autoscribe.server.invitation_page import answer_invitation, show_invitation
from autoscribe.server.metrics import Metrics
from autoscribe.server.landing_page import landing
from autoscribe.server.middleware import BodyLimit, RequestLog
from autoscribe.server.reroute_page import open_reroute
from autoscribe.server.schema_file import SCHEMA_PATH, schema_sdl
from autoscribe.server.services import ServerServices


def create_app(settings: Settings | None = None, services: ServerServices | None = None) -> Starlette:
    settings = settings or (services.settings if services else Settings())
    svc = services or ServerServices.from_settings(settings)
    tracing = None
    if settings.otlp_endpoint:
        # Only then is OpenTelemetry imported at all.
        from autoscribe.server.tracing import Tracing

        tracing = Tracing(settings.otlp_endpoint, svc.db)
    metrics = Metrics(svc)
    graphql = GraphQLApp(svc, allowed_origins=settings.cors_origins,
                         schema_extensions=tracing.schema_extensions() if tracing else ())
    graphql.metrics = metrics
    metrics.serve_graphql(graphql)

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        checks = {}
        try:
            await svc.db.ping()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"error: {type(exc).__name__}"
        checks["events"] = "ok" if await svc.bus.healthy() else "error"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        await svc.start()
        try:
            yield
        finally:
            await svc.stop()
            await svc.db.dispose()
            if tracing is not None:
                tracing.shutdown()  # the spans still batched are sent now

    reading_room = ReadingRoom()
    app = Starlette(
        routes=[
            Route("/", landing, methods=["GET"]),
            Route(APP_PATH, reading_room.to_canonical, methods=["GET"]),
            Route(APP_PATH + "/", reading_room.serve, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics.endpoint, methods=["GET"]),
            Route(SCHEMA_PATH, schema_sdl, methods=["GET"]),
            Route(STATIC_PATH + "/{path:path}", StaticAssets().serve, methods=["GET"]),
            Route("/reroute/{token}", open_reroute, methods=["GET"]),
            Route("/files/reports/{report_id}.pdf", report_pdf, methods=["GET"]),
            Route("/invitations/{token}", show_invitation, methods=["GET"]),
            Route("/invitations/{token}/accept", answer_invitation("accept"), methods=["POST"]),
            Route("/invitations/{token}/reject", answer_invitation("reject"), methods=["POST"]),
            Mount(rest_app.MOUNT, routes=rest_app.routes(svc)),
        ],
        middleware=[
            Middleware(RequestLog, metrics=metrics),
            Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST", "PATCH", "OPTIONS"],
                allow_headers=["authorization", "content-type"],
                expose_headers=["x-request-id"],
                max_age=600,
            ),
        ],
        lifespan=lifespan,
    )
    app.state.services = svc
    app.state.graphql = graphql
    app.state.metrics = metrics
    if tracing is not None:
        tracing.instrument_app(app)
    return app
