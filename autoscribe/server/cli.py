"""The `autoscribe` command: serve, migrate, create-clinic, and the API key lifecycle
(create-api-key, list-api-keys, revoke-api-key)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from autoscribe.core.settings import Settings
from autoscribe.db.migrate import upgrade

log = logging.getLogger("autoscribe.cli")


def _logging(settings: Settings) -> None:
    from autoscribe.server.logs import configure

    configure(settings.log_level, settings.log_format)


def _say(settings: Settings, text: str) -> None:
    """A word to the operator on stderr: a log record when the logs are JSON (every line one object)."""
    if settings.log_format == "json":
        log.info(text)
    else:
        print(text, file=sys.stderr, flush=True)


def _say_database(settings: Settings) -> None:
    """Every command says which database it uses, and whether it is about to create it: a command
    run with other settings must not go unnoticed on a database of its own."""
    file = settings.sqlite_file
    new = " (new: it does not exist yet)" if file is not None and not file.exists() else ""
    _say(settings, f"autoscribe: database {settings.database_label}{new}")


def served_url(host: str, port: int) -> str:
    """The base URL of what `serve` listens on (a wildcard address is reached on the loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def cmd_migrate(settings: Settings, _args) -> int:
    upgrade(settings.database_url)
    print("database is up to date", file=sys.stderr)
    return 0


def _on_database(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Migrate, then run `work(db)` on a connection of the command's own; its result."""
    from autoscribe.db.engine import Database

    upgrade(settings.database_url)

    async def run():
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _refused(message: str) -> int:
    print(f"autoscribe: {message}", file=sys.stderr)
    return 1


def cmd_create_clinic(settings: Settings, args) -> int:
    from autoscribe.operations.authentication import open_clinic

    clinic_id, key_id, key = _on_database(settings, lambda db: open_clinic(db, args.name))
    print(json.dumps({"clinicId": clinic_id, "apiKeyId": key_id, "apiKey": key}))
    return 0


def cmd_create_api_key(settings: Settings, args) -> int:
    from autoscribe.operations.api_keys import UnknownId, new_api_key

    try:
        key_id, key = _on_database(settings, lambda db: new_api_key(db, args.clinic_id, args.name))
    except UnknownId as unknown:
        return _refused(str(unknown))
    print(json.dumps({"apiKeyId": key_id, "apiKey": key}))
    return 0


def cmd_list_api_keys(settings: Settings, args) -> int:
    from autoscribe.operations.api_keys import UnknownId, described, list_api_keys

    try:
        keys = _on_database(settings, lambda db: list_api_keys(db, args.clinic_id))
    except UnknownId as unknown:
        return _refused(str(unknown))
    for key in keys:
        print(json.dumps(described(key)))
    return 0


def cmd_revoke_api_key(settings: Settings, args) -> int:
    from autoscribe.operations.api_keys import UnknownId, revoke_api_key

    async def revoke(db):
        committed: list = []

        async def collect(events: list) -> None:
            committed.extend(events)

        db.after_commit.append(collect)
        key = await revoke_api_key(db, args.id)
        await _tell_servers(settings, committed)
        return key

    try:
        key = _on_database(settings, revoke)
    except UnknownId as unknown:
        return _refused(str(unknown))
    print(json.dumps({"apiKeyId": key.id, "revokedAt": key.revoked_at.isoformat()}))
    return 0


async def _tell_servers(settings: Settings, events: list) -> None:
    """Publish the revocation on the servers' event bus, so that they end the key's subscriptions
    at once. Without it (memory://, or a bus that cannot be reached) they learn of it from the
    database: at their next poll of the event log (AUTOSCRIBE_EVENTS_POLL_SECONDS) or re-check
    of the connection (AUTOSCRIBE_LIVE_AUTH_CHECK_SECONDS), whichever comes first."""
    if not events:
        return  # revoked before: nothing new to tell
    if settings.events_url.startswith("memory://"):
        log.info("no shared event bus: servers end the key's subscriptions within %ss (their log poll)",
                 settings.events_poll_seconds)
        return
    from autoscribe.live.bus import EventBus

    async def no_heads(_clinic_ids: list[str]) -> dict[str, int]:
        return {}

    bus = EventBus(settings.events_url, channel=settings.events_channel, heads=no_heads)
    await bus.start()
    try:
        await bus.publish_now(events)
    except Exception as exc:  # noqa: BLE001 - the revocation stands; the servers find it in the log
        log.warning("could not publish the revocation on the event bus (%s); servers find it in the "
                    "database within %ss", exc, settings.events_poll_seconds)
    finally:
        await bus.stop()


def cmd_serve(settings: Settings, args) -> int:
    import uvicorn

    from autoscribe.server.app import create_app

    url = served_url(args.host, args.port)
    if "public_url" not in settings.model_fields_set:
        # The links the API hands out (invitations, reroute, PDFs) point at this server.
        settings = settings.model_copy(update={"public_url": url})
    upgrade(settings.database_url)
    settings.signing_key  # noqa: B018 - make (or read) the development key before serving
    app = create_app(settings)
    _say(
        settings,
        f"AutoScribe is serving at {url}\n"
        f"  GraphiQL:  {url}/graphql (open it in a browser)\n"
        f"  API key:   autoscribe create-clinic --name 'My Clinic'  (in another shell)\n"
        f"  Links:     {settings.public_url}\n  Events:    {settings.events_url}",
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
        # JSON logs: uvicorn's records go through the root logger's JSON handler, not its own format.
        **({"log_config": None} if settings.log_format == "json" else {}),
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
    new_key = sub.add_parser("create-api-key", help="create an API key for a clinic and print it as JSON")
    new_key.add_argument("--clinic-id", required=True)
    new_key.add_argument("--name", default="default")
    new_key.set_defaults(run=cmd_create_api_key)
    keys = sub.add_parser("list-api-keys", help="print a clinic's API keys, one JSON object a line (never the key)")
    keys.add_argument("--clinic-id", required=True)
    keys.set_defaults(run=cmd_list_api_keys)
    revoke = sub.add_parser("revoke-api-key", help="revoke an API key at once, its open subscriptions included")
    revoke.add_argument("--id", required=True)
    revoke.set_defaults(run=cmd_revoke_api_key)
    args = parser.parse_args(argv)
    settings = Settings()
    _logging(settings)
    _say_database(settings)
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
