"""What an operator does beside a running server: a clinic and API keys made straight in its
database, and the `autoscribe` command run against it."""

from __future__ import annotations

import os
import subprocess

from autoscribe.db.engine import Database
from autoscribe.operations.api_keys import new_api_key
from autoscribe.operations.authentication import create_clinic
from tests.support.live_server import AUTOSCRIBE


async def server_clinic(url: str) -> tuple[str, str]:
    """A clinic made in the database at `url` (one a served process uses): (clinic id, API key)."""
    db = Database(url)
    try:
        return await create_clinic(db, "Restart Imaging")
    finally:
        await db.dispose()


async def new_key(database_url: str, clinic_id: str) -> tuple[str, str]:
    """Another API key of the clinic: (key id, key)."""
    db = Database(database_url)
    try:
        return await new_api_key(db, clinic_id, "screen")
    finally:
        await db.dispose()


def revoke_cli(database_url: str, key_id: str, **env) -> subprocess.CompletedProcess:
    """`autoscribe revoke-api-key`, run as an operator would, against the server's database."""
    environ = {**os.environ, "AUTOSCRIBE_DATABASE_URL": database_url, "AUTOSCRIBE_LOG_LEVEL": "WARNING", **env}
    return subprocess.run([str(AUTOSCRIBE), "revoke-api-key", "--id", key_id], env=environ, capture_output=True,
                          text=True, timeout=120)
