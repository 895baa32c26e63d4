"""The services of the live layer: the event bus, the log's pruning, the revocations this process
knows of, the shared reads of the event log and the shared re-checks of connections' principals,
the webhook worker and the PDF renderer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from autoscribe.core.services import Services
from autoscribe.core.settings import Settings
from autoscribe.core.signing import Signer
from autoscribe.db.engine import Database
from autoscribe.db.events import clinic_heads
from autoscribe.live.auth_cache import TTL_SECONDS, AuthCache
from autoscribe.live.bus import EventBus
from autoscribe.live.pdf_renderer import PdfRenderer
from autoscribe.live.retention import EventPruner
from autoscribe.live.revocation import Revocations
from autoscribe.live.streams import LogReads
from autoscribe.live.webhooks import WebhookWorker


@dataclass
class LiveServices(Services):
    bus: EventBus = field(init=False)
    pruner: EventPruner = field(init=False)
    revocations: Revocations = field(init=False)
    reads: LogReads = field(init=False)
    auth: AuthCache = field(init=False)
    webhooks: WebhookWorker = field(init=False)
    pdfs: PdfRenderer = field(init=False)

    def __post_init__(self) -> None:
        db, settings = self.db, self.settings

        async def heads(clinic_ids: list[str]) -> dict[str, int]:
            async with db.read() as session:
                return await clinic_heads(session, clinic_ids)

        self.bus = EventBus(
            settings.events_url,
            channel=settings.events_channel,
            heads=heads,
            check_seconds=settings.events_check_seconds,
            poll_seconds=settings.events_poll_seconds,
        )
        self.pruner = EventPruner(
            db,
            retention=timedelta(days=settings.event_retention_days),
            interval_seconds=settings.event_prune_interval_seconds,
        )
        self.revocations = Revocations()
        self.reads = LogReads(self)
        # The auth cache's TTL never exceeds the re-check interval.
        self.auth = AuthCache(self, min(TTL_SECONDS, settings.live_auth_check_seconds))
        # After each commit: revocations take effect in this process at once, in the others
        # through the bus, which then wakes the clinic's subscribers.
        db.after_commit.append(self.revocations.after_commit)
        db.after_commit.append(self.bus.publish)
        self.webhooks = WebhookWorker(self)
        db.after_commit.append(self.webhooks.after_commit)
        self.pdfs = PdfRenderer(self)
        db.after_commit.append(self.pdfs.after_commit)
        self.bus.on_revocation = self.revocations.note
        self.revocations.on_revoked(lambda revocation: self.bus.wake_clinic(revocation.clinic_id))

    @classmethod
    def from_settings(cls, settings: Settings):
        return cls(settings=settings, db=cls.database(settings), signer=Signer(settings.signing_key))

    async def start(self) -> None:
        await self.bus.start()
        await self.pruner.start()
        await self.webhooks.start()
        await self.pdfs.start()

    async def stop(self) -> None:
        await self.pdfs.stop()
        await self.webhooks.stop()
        await self.pruner.stop()
        await self.bus.stop()


__all__ = ["Database", "LiveServices"]
