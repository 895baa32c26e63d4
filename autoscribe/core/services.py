"""What every operation may use: the settings, the database and the signer.

The live layer extends this record with the event bus and what rides on it
(autoscribe.live.services.LiveServices), and the server with the GraphQL engine's own parts
(autoscribe.server.services.ServerServices); each layer sees the fields it knows the types of.
"""

from __future__ import annotations

from dataclasses import dataclass

from autoscribe.core.settings import Settings
from autoscribe.core.signing import Signer
from autoscribe.db.engine import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    signer: Signer

    @staticmethod
    def database(settings: Settings) -> Database:
        return Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)
