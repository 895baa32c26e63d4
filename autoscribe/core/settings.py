"""Settings from the environment (prefix AUTOSCRIBE_)."""

from __future__ import annotations

import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url


def default_data_dir() -> Path:
    """Per user, never per folder: every command finds the same embedded database wherever it is run
    from ($XDG_DATA_HOME/autoscribe, else ~/.local/share/autoscribe)."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "autoscribe"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOSCRIBE_", extra="ignore")

    # Where the embedded default database (and its development secret key) lives.
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty: the SQLite file autoscribe.db in data_dir.
    database_url: str = ""
    events_url: str = "memory://"
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    viewer_url: str | None = None
    # Comma-separated (or a JSON list); NoDecode, or pydantic-settings would JSON-decode the value
    # first and fail on the comma-separated form.
    cors_origins: Annotated[list[str], NoDecode] = []
    log_level: str = "INFO"
    # "text": one human-readable line per record; "json": one JSON object per line (time, level,
    # logger, message, request_id and the record's extra fields), for a log collector.
    log_format: Literal["text", "json"] = "text"
    # /metrics: with a token, only requests bearing it (Authorization: Bearer <token>); without one,
    # only clients on the loopback (a Prometheus beside the process, or an SSH tunnel).
    metrics_token: str | None = None
    # OpenTelemetry traces are exported to this OTLP/HTTP collector (e.g. http://collector:4318);
    # unset, nothing of OpenTelemetry is imported.
    otlp_endpoint: str | None = None
    event_retention_days: int = 7
    # Old events are pruned this often (every process prunes; the deletes are idempotent).
    event_prune_interval_seconds: float = 3600
    # The bus channel all processes of one deployment share.
    events_channel: str = "autoscribe.events"
    # How often the bus checks its backend connection with a round trip.
    events_check_seconds: float = 5
    # How often the log is polled for events whose wake-up never came (a failed publish).
    events_poll_seconds: float = 5
    # How often a WebSocket's principal is re-checked, so that revoked access ends subscriptions.
    live_auth_check_seconds: float = 5
    max_subscriptions_per_connection: int = 100
    # Open WebSockets per API key (or per user, for session tokens) in one process.
    max_connections_per_key: int = 200
    # A WebSocket that has not sent connection_init this long after opening is closed (4408).
    ws_init_timeout_seconds: float = 5
    # WebSockets still waiting for their connection_init, per client address in one process.
    max_pending_connections_per_address: int = 20
    # Query answers kept per process (autoscribe.response_cache); 0 turns the cache off.
    response_cache_entries: int = 256
    # ... and their total size: an answer over a quarter of it is not kept at all.
    response_cache_bytes: int = 64 * 1024 * 1024
    # Queries the compiled execution can plan (autoscribe.server.engine.compiled) run that way;
    # false runs every query through the standard executor.
    compiled_queries: bool = True
    reroute_ttl_seconds: int = 3600
    pdf_url_ttl_seconds: int = 3600
    invitation_ttl_days: int = 7
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    # What a query may cost (schema.cost: a field 1, a list's selection times its page). The
    # bench's worklist (100 studies of 22 fields) costs 2,405 and the README's 36: ten times the
    # bench's leaves room for a richer screen (a page of 100 with their reports: ~15,000), while
    # 100 studies each with 100 of its radiologist's studies (~40,000) is refused.
    max_query_cost: int = 25_000
    max_body_bytes: int = 1_000_000
    # Webhooks (live.webhooks): receivers on private or loopback addresses are refused unless this
    # is set (a development machine, the tests).
    webhooks_allow_private: bool = False
    # Whether this process sends webhooks; false for one that only serves requests while others
    # send them (every process may: each delivery is claimed by one).
    webhook_worker: bool = True
    # The first retry waits this long, each next one twice as long, up to the max; after the
    # window (a day) a delivery that never got a 2xx answer is FAILED.
    webhook_retry_base_seconds: float = 30
    webhook_retry_max_seconds: float = 3600
    webhook_retry_window_seconds: float = 86400
    # A receiver gets this long to answer (connect, send, read) before the attempt counts as failed.
    webhook_timeout_seconds: float = 10
    # At most this many requests in flight to one endpoint from one process.
    webhook_concurrency_per_endpoint: int = 4
    # The event log and the due retries are looked at this often even when no commit woke the worker.
    webhook_poll_seconds: float = 5
    # Report PDFs (live.pdf_renderer): rendered in worker processes of the server, never in the
    # serving process itself. Whether this process renders queued PDFs in the background (a
    # download renders a missing one either way; every process may: each render is claimed by one).
    pdf_worker: bool = True
    # Worker processes per server process, and their niceness (below the serving process's CPU).
    pdf_render_processes: int = Field(default=1, ge=1)
    pdf_render_nice: int = Field(default=10, ge=0, le=19)
    # While this process is busy serving (its CPU over the last quarter second at least this share
    # of a core), a due render waits, so that rendering does not slow the answers: until the process
    # is quieter, or until the render has been due this long (0: never wait). A download of a PDF not
    # rendered yet renders it at once either way.
    pdf_render_busy_share: float = Field(default=0.5, gt=0)
    pdf_render_defer_seconds: float = Field(default=30, ge=0)
    # A render taking longer is killed and tried again later.
    pdf_render_timeout_seconds: float = 60
    # The queue is looked at this often even when no signing in this process woke the renderer.
    pdf_poll_seconds: float = 5
    # A download of a PDF not rendered yet waits this long for it before answering 503.
    pdf_download_wait_seconds: float = 30
    db_pool_size: int = 5
    db_max_overflow: int = 10

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str) and value.strip().startswith("["):
            return json.loads(value)
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_token", "otlp_endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value):
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir.expanduser().resolve() / 'autoscribe.db'}"
        return self

    @property
    def database_label(self) -> str:
        """Which database this is, for people: the SQLite file's absolute path, or the URL without
        its password."""
        if self.is_sqlite:
            return f"SQLite {self.sqlite_file or ':memory:'}"
        return make_url(self.database_url).render_as_string(hide_password=True)

    @property
    def sqlite_file(self) -> Path | None:
        """The SQLite database's file, absolute; None when the database is not a SQLite file."""
        path = make_url(self.database_url).database if self.is_sqlite else None
        return Path(path).resolve() if path and path != ":memory:" else None

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @cached_property
    def signing_key(self) -> str:
        """The configured SECRET_KEY, or one generated once and kept beside the SQLite file."""
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise RuntimeError("AUTOSCRIBE_SECRET_KEY must be set when the database is not SQLite")
        key_file = self.sqlite_file.parent / "secret_key" if self.sqlite_file else None
        if key_file is None:
            return secrets.token_urlsafe(48)
        if key_file.exists():
            return key_file.read_text().strip()
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
