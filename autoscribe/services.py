"""What every operation may use: settings, the database, the signer and the event bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autoscribe.settings import Settings
from autoscribe.signing import Signer
from db.engine import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    signer: Signer
    bus: Any = None  # autoscribe.bus.EventBus once started
    extras: dict = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        return cls(settings=settings, db=db, signer=Signer(settings.signing_key))
