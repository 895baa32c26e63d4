"""The `autoscribe` command: serve, migrate, create-clinic."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys

from autoscribe.settings import Settings
from db.migrate import upgrade


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )


def _say_database(settings: Settings) -> None:
    """Every command says which database it uses, and whether it is about to create it: a command
    run with other settings must not go unnoticed on a database of its own."""
    file = settings.sqlite_file
    new = " (new: it does not exist yet)" if file is not None and not file.exists() else ""
    print(f"autoscribe: database {settings.database_label}{new}", file=sys.stderr, flush=True)


def served_url(host: str, port: int) -> str:
    """The base URL of what `serve` listens on (a wildcard address is reached on the loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def cmd_migrate(settings: Settings, _args) -> int:
    upgrade(settings.database_url)
    print("database is up to date", file=sys.stderr)
    return 0


def cmd_create_clinic(settings: Settings, args) -> int:
    from autoscribe.auth import create_clinic
    from db.engine import Database

    upgrade(settings.database_url)

    async def run():
        db = Database(settings.database_url)
        try:
            return await create_clinic(db, args.name)
        finally:
            await db.dispose()

    clinic_id, key = asyncio.run(run())
    print(json.dumps({"clinicId": clinic_id, "apiKey": key}))
    return 0


def cmd_serve(settings: Settings, args) -> int:
    import uvicorn

    from autoscribe.app import create_app

    url = served_url(args.host, args.port)
    if "public_url" not in settings.model_fields_set:
        # The links the API hands out (invitations, reroute, PDFs) point at this server.
        settings = settings.model_copy(update={"public_url": url})
    upgrade(settings.database_url)
    settings.signing_key  # noqa: B018 - make (or read) the development key before serving
    app = create_app(settings)
    print(
        f"AutoScribe is serving at {url}\n"
        f"  GraphiQL:  {url}/graphql (open it in a browser)\n"
        f"  API key:   autoscribe create-clinic --name 'My Clinic'  (in another shell)\n"
        f"  Links:     {settings.public_url}\n  Events:    {settings.events_url}",
        file=sys.stderr,
        flush=True,
    )
    # Everything made so far (modules, the schema, the app) lives as long as the process: keep it out
    # of the collector's full passes, which otherwise rescan it and pause requests for ~100 ms.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # WebSockets: most connections are idle subscriptions, so what each one holds counts.
        # The sans-I/O implementation keeps no tasks per connection (the legacy one keeps three)
        # and measured ~7 KiB less per idle connection; it also leaves websockets' deprecated API.
        ws="websockets-sansio",
        # permessage-deflate keeps a zlib compressor and decompressor per connection that
        # negotiates it (every browser): +41 KiB per idle connection measured, to save a little on
        # payloads of a few hundred bytes.
        ws_per_message_deflate=False,
        # No client message needs more than an HTTP request body may hold (16 MiB by default).
        ws_max_size=settings.max_body_bytes,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=20,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="autoscribe", description="AutoScribe GraphQL server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(run=cmd_migrate)
    clinic = sub.add_parser("create-clinic", help="create a clinic and print its API key as JSON")
    clinic.add_argument("--name", required=True)
    clinic.set_defaults(run=cmd_create_clinic)
    args = parser.parse_args(argv)
    settings = Settings()
    _logging(settings)
    _say_database(settings)
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
