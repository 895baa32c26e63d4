"""The settings every test app runs with, and the databases it runs on: SQLite always, PostgreSQL
too when AUTOSCRIBE_TEST_DATABASE_URL names one."""

from __future__ import annotations

import os

from autoscribe.core.settings import Settings

PG_URL = os.environ.get("AUTOSCRIBE_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_SECRET = "test-secret-key"


def settings_for(url: str, **overrides) -> Settings:
    """The test app's settings on the database at `url`, with any of them overridden."""
    values = dict(
        database_url=url,
        secret_key=TEST_SECRET,
        public_url="http://testserver",
        events_url="memory://",
        cors_origins=["https://app.example.com"],
        # Receivers in tests are on 127.0.0.1; the shared app sends none (tests/test_webhooks.py
        # runs the servers that do, so that it knows which process delivered).
        webhooks_allow_private=True,
        webhook_worker=False,
    )
    values.update(overrides)
    return Settings(**values)
