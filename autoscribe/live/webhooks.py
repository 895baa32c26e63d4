"""The webhook worker: deliveries made from the clinics' event logs and sent, signed the Standard
Webhooks way, at least once.

Nothing is delivered from memory. Each endpoint keeps a cursor into its clinic's log; the worker
reads the events after it, writes one delivery row per matching event and moves the cursor in the
same transaction (a conditional UPDATE: of several processes scanning at once, one wins). Due
deliveries are claimed in the database (claimed_by, claimed_until, a conditional UPDATE checked by
its rowcount) before they are sent, so with several processes each attempt is made by one of them,
and a claim left by a process that died expires. A delivery is retried with exponential backoff on
a timeout, a connection error or a non-2xx answer, for a day (settings.webhook_retry_*); its
webhook-id stays the same and every attempt is signed with a fresh timestamp (receivers refuse
ones older than five minutes).

Work stays off the request path: a commit only wakes the worker (db.after_commit), which also
polls. Sends run as tasks of their own, at most `webhook_concurrency_per_endpoint` per endpoint,
each bounded by `webhook_timeout_seconds`, so a slow or dead receiver holds up only its own slots.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import and_, insert, or_, select, update
from standardwebhooks import Webhook

from autoscribe.core.services import Services
from autoscribe.db.enums import WebhookDeliveryStatus as Status
from autoscribe.db.events import read_events
from autoscribe.db.ids import new_id
from autoscribe.db.models import Clinic, WebhookDelivery, WebhookEndpoint
from autoscribe.db.types import utcnow
from autoscribe.db.versions import touch
from autoscribe.live.passes import cancel_and_wait, run_passes
from autoscribe.operations.webhooks import SOURCE_KINDS, event_id, event_payload, is_private_address

log = logging.getLogger("autoscribe.webhooks")

# Events read from a log per statement, and due deliveries looked at per pass.
SCAN_BATCH = 500
DUE_BATCH = 200
# How long a claim outlives an attempt's time limit: time to write down the outcome.
CLAIM_GRACE_SECONDS = 10


def backoff(settings, attempts: int) -> float:
    """Seconds until the next try after `attempts` failed ones: base, 2×base, 4×base, … up to the max."""
    return min(settings.webhook_retry_base_seconds * 2 ** max(attempts - 1, 0), settings.webhook_retry_max_seconds)


class WebhookWorker:
    def __init__(self, svc: Services):
        self.svc = svc
        self.name = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()
        self._in_flight: dict[str, int] = {}
        self._client: httpx.AsyncClient | None = None
        # Clinics with an enabled endpoint, as of the last pass (None before the first): a commit of
        # any other clinic has nothing to deliver, so it does not wake the worker (at hundreds of
        # commits a second each wake-up would cost a pass of queries). A clinic whose first
        # endpoint is new is picked up by the next poll.
        self._clinics: set[str] | None = None
        # Attempts made by this process, by outcome: delivered, retrying (to be tried again), failed.
        self.attempts: dict[str, int] = {"delivered": 0, "retrying": 0, "failed": 0}

    async def after_commit(self, events: list) -> None:
        """A commit with events of a clinic that has endpoints: look at the log now rather than at
        the next poll."""
        clinics = self._clinics
        if clinics is None or any(event.clinic_id in clinics for event in events):
            self._wake.set()

    async def start(self) -> None:
        if not self.svc.settings.webhook_worker:
            return
        timeout = self.svc.settings.webhook_timeout_seconds
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=20),
        )
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    async def stop(self) -> None:
        if self._client is None:
            return
        await cancel_and_wait([t for t in (self._task, *self._sends) if t is not None])
        self._task = None
        # Attempts cut short are taken up again at once (by another process, or after a restart).
        with contextlib.suppress(Exception):
            async with self.svc.db.write() as session:
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.claimed_by == self.name, WebhookDelivery.status == Status.PENDING)
                    .values(claimed_by=None, claimed_until=None)
                )
        await self._client.aclose()
        self._client = None

    async def _run(self) -> None:
        async def one_pass() -> None:
            await self.scan()
            await self.dispatch()

        await run_passes(one_pass, self._wake, self.svc.settings.webhook_poll_seconds, log, "webhook")

    # Making deliveries from the log ---------------------------------------------------------------

    async def scan(self) -> None:
        """Deliveries for every enabled endpoint behind its clinic's log."""
        enabled = select(WebhookEndpoint.clinic_id).where(WebhookEndpoint.enabled.is_(True)).distinct()
        self._clinics = set((await self.svc.db.fetch(enabled)).scalars().all())
        if not self._clinics:
            return
        behind = (
            select(WebhookEndpoint.id, WebhookEndpoint.clinic_id, WebhookEndpoint.cursor, WebhookEndpoint.event_types)
            .join(Clinic, Clinic.id == WebhookEndpoint.clinic_id)
            .where(WebhookEndpoint.enabled.is_(True), WebhookEndpoint.cursor < Clinic.event_seq)
        )
        for endpoint_id, clinic_id, cursor, event_types in (await self.svc.db.fetch(behind)).all():
            while cursor is not None:
                cursor = await self._scan_batch(endpoint_id, clinic_id, cursor, set(event_types or ()))

    async def _scan_batch(self, endpoint_id: str, clinic_id: str, cursor: int, types: set[str]) -> int | None:
        """One batch of the log after `cursor`; the new cursor if there may be more, else None."""
        async with self.svc.db.read() as session:
            events = await read_events(session, clinic_id, after=cursor, limit=SCAN_BATCH)
        if not events:
            return None
        now = utcnow()
        rows = [
            dict(
                id=new_id("webhook_delivery"), clinic_id=clinic_id, endpoint_id=endpoint_id,
                event_id=event_id(clinic_id, e.seq), event_seq=e.seq, event_type=SOURCE_KINDS[e.kind],
                report_id=e.report_id, status=Status.PENDING, attempts=0, next_attempt_at=now, created_at=now,
            )
            for e in events
            if e.kind in SOURCE_KINDS and SOURCE_KINDS[e.kind] in types and e.report_id
        ]
        async with self.svc.db.write() as session:
            moved = await session.execute(
                update(WebhookEndpoint)
                .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.cursor == cursor)
                .values(cursor=events[-1].seq)
            )
            if moved.rowcount != 1:
                return None  # another process made this batch (or the endpoint is gone)
            if rows:
                await session.execute(insert(WebhookDelivery), rows)
                touch(session, clinic_id)  # webhookDeliveries answers change: cached ones are stale
        return events[-1].seq if len(events) == SCAN_BATCH else None

    # Sending ---------------------------------------------------------------------------------------

    async def dispatch(self) -> None:
        """Claim the due deliveries this process has room for, and send each in a task of its own."""
        limit = self.svc.settings.webhook_concurrency_per_endpoint
        now = utcnow()
        due = (
            select(WebhookDelivery.id, WebhookDelivery.endpoint_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == Status.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(DUE_BATCH)
        )
        for delivery_id, endpoint_id in (await self.svc.db.fetch(due)).all():
            if self._in_flight.get(endpoint_id, 0) >= limit:
                continue
            if not await self._claim(delivery_id):
                continue
            self._in_flight[endpoint_id] = self._in_flight.get(endpoint_id, 0) + 1
            task = asyncio.create_task(self._send(delivery_id, endpoint_id), name=f"webhook-{delivery_id}")
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _claim(self, delivery_id: str) -> bool:
        now = utcnow()
        until = now + timedelta(seconds=self.svc.settings.webhook_timeout_seconds + CLAIM_GRACE_SECONDS)
        async with self.svc.db.write() as session:
            result = await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.status == Status.PENDING,
                    or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
                )
                .values(claimed_by=self.name, claimed_until=until)
            )
            return result.rowcount == 1

    async def _send(self, delivery_id: str, endpoint_id: str) -> None:
        try:
            await self._attempt(delivery_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the claim expires and the delivery is tried again
            log.exception("webhook delivery %s failed unexpectedly", delivery_id)
        finally:
            left = self._in_flight.get(endpoint_id, 1) - 1
            if left:
                self._in_flight[endpoint_id] = left
            else:
                self._in_flight.pop(endpoint_id, None)
            self._wake.set()  # a slot is free: the endpoint's next due delivery can go

    async def _attempt(self, delivery_id: str) -> None:
        async with self.svc.db.read() as session:
            delivery = await session.get(WebhookDelivery, delivery_id)
            endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
            payload = await event_payload(self.svc, session, delivery) if endpoint else None
        if delivery is None or endpoint is None or delivery.claimed_by != self.name:
            return
        if payload is None:
            await self._record(delivery, None, "The report is gone.", final=True)
            return
        code, error = await self._post(endpoint, delivery.event_id, json.dumps(payload, separators=(",", ":")))
        await self._record(delivery, code, error, final=False)

    async def _post(self, endpoint: WebhookEndpoint, message_id: str, body: str) -> tuple[int | None, str | None]:
        """(status code, error): the receiver's answer, or why there was none."""
        settings = self.svc.settings
        try:
            # UTC: sign() replaces the time zone rather than converting to it.
            timestamp = utcnow()
            headers = {
                "content-type": "application/json",
                "user-agent": "AutoScribe-Webhooks/1",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(timestamp.timestamp())),
                "webhook-signature": Webhook(endpoint.secret).sign(message_id, timestamp, body),
            }
            async with asyncio.timeout(settings.webhook_timeout_seconds):
                if not settings.webhooks_allow_private:
                    await self._refuse_private(endpoint.url)
                async with self._client.stream("POST", endpoint.url, content=body.encode(), headers=headers) as answer:
                    code = answer.status_code  # the body is never read: a receiver cannot make us hold it
            return code, None if 200 <= code < 300 else f"HTTP {code}"
        except (TimeoutError, httpx.TimeoutException):
            return None, "Timed out."
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        except _Refused as exc:
            return None, str(exc)

    async def _refuse_private(self, url: str) -> None:
        """A name that resolves to a private or loopback address is refused as such a URL is."""
        parts = urlsplit(url)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {parts.hostname}: {exc}") from None
        if any(is_private_address(info[4][0]) for info in infos):
            raise _Refused("Refused: the receiver's address is private or loopback.")

    async def _record(self, delivery: WebhookDelivery, code: int | None, error: str | None, *, final: bool) -> None:
        settings = self.svc.settings
        now = utcnow()
        attempts = delivery.attempts + 1
        values = dict(attempts=attempts, last_attempt_at=now, last_status_code=code, last_error=error,
                      claimed_by=None, claimed_until=None)
        if error is None:
            values.update(status=Status.DELIVERED, delivered_at=now, next_attempt_at=None)
            outcome = "delivered"
        else:
            next_at = now + timedelta(seconds=backoff(settings, attempts))
            if final or next_at > delivery.created_at + timedelta(seconds=settings.webhook_retry_window_seconds):
                values.update(status=Status.FAILED, next_attempt_at=None)
                outcome = "failed"
            else:
                values.update(next_attempt_at=next_at)
                outcome = "retrying"
        self.attempts[outcome] += 1
        async with self.svc.db.write() as session:
            await session.execute(
                update(WebhookDelivery)
                .where(and_(WebhookDelivery.id == delivery.id, WebhookDelivery.claimed_by == self.name))
                .values(**values)
            )
            touch(session, delivery.clinic_id)


class _Refused(Exception):
    """The receiver's address is not one a delivery may go to."""
