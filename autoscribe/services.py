"""What every operation may use: settings, the database, the signer and the event bus."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from autoscribe.bus import EventBus
from autoscribe.retention import EventPruner
from autoscribe.revocation import revocations
from autoscribe.settings import Settings
from autoscribe.signing import Signer
from db.engine import Database
from db.events import clinic_heads


@dataclass
class Services:
    settings: Settings
    db: Database
    signer: Signer
    bus: Any = None  # autoscribe.bus.EventBus
    extras: dict = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        svc = cls(settings=settings, db=db, signer=Signer(settings.signing_key))
        svc._add_live_events()
        return svc

    def _add_live_events(self) -> None:
        """The event bus (published to after each commit) and the event log's pruning, both
        started and stopped with the app."""
        db, settings = self.db, self.settings

        async def heads(clinic_ids: list[str]) -> dict[str, int]:
            async with db.read() as session:
                return await clinic_heads(session, clinic_ids)

        bus = EventBus(
            settings.events_url,
            channel=settings.events_channel,
            heads=heads,
            check_seconds=settings.events_check_seconds,
            poll_seconds=settings.events_poll_seconds,
        )
        pruner = EventPruner(
            db,
            retention=timedelta(days=settings.event_retention_days),
            interval_seconds=settings.event_prune_interval_seconds,
        )
        self.bus = bus
        # Revocations take effect in this process at once, in the others through the bus.
        revoked = revocations(self)
        db.after_commit.append(revoked.after_commit)
        db.after_commit.append(bus.publish)
        bus.on_revocation = revoked.note
        revoked.on_revoked(lambda revocation: bus.wake_clinic(revocation.clinic_id))
        self.extras.setdefault("on_start", []).extend([lambda _svc: bus.start(), lambda _svc: pruner.start()])
        self.extras.setdefault("on_stop", []).extend([lambda _svc: pruner.stop(), lambda _svc: bus.stop()])
