"""The event bus: after a commit, wake that clinic's subscribers in every server process.

A message is a wake-up, `{"c": clinic, "s": seq}`, or a revocation, `{"r": "key"|"user", "i": ID,
"e": epoch, "c": clinic}` (autoscribe.revocation: that principal's subscriptions end at once); the
event log in the database is the truth (a revocation is in it too, before any later event). Subscribers read the log after each wake-up, so a lost message costs latency, never an
event: on (re)connecting every subscriber is woken, and a periodic poll of the clinics' last
seq wakes anyone whose wake-up never came (a publish that failed in some process).

broadcaster's traps, and what is done about them here: one broadcaster subscription per process,
fanned out in-process to per-clinic listeners (no concurrent-subscribe race, no unbounded queue
per subscriber); publishes serialised (the PostgreSQL backend has one connection); a round trip
through the backend every few seconds, since its listener dies silently when the connection
drops; then a reconnect with backoff.

Every wait here is bounded with `asyncio.timeout()`, never `asyncio.wait_for`: on Python 3.11 a
cancellation that arrives just as wait_for's inner future completes is swallowed, and the
cancelled task runs on (a stop that waits for it would wait for ever). `stop` itself is bounded
too, so a task that does not end cannot hold up a server's shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

from broadcaster import Broadcast

from autoscribe.live.bus_redis import RedisPubSubBackend
from autoscribe.db.events import CommittedEvent, Revocation

log = logging.getLogger("autoscribe.bus")

# Given clinic IDs, their last committed seqs (db.events.clinic_heads over a session).
Heads = Callable[[list[str]], Awaitable[dict[str, int]]]

MIN_BACKOFF = 0.25
MAX_BACKOFF = 5.0
# How long `stop` waits for the bus's tasks to end before abandoning them.
STOP_SECONDS = 5.0


class BusDown(Exception):
    pass


class Listener:
    """One subscriber's wake-up signal.

    Wake-ups coalesce into one flag: each means "read the log from where you are", so however
    slow the subscriber, it holds one flag and never a queue, and loses nothing.
    """

    def __init__(self) -> None:
        self._flag = asyncio.Event()

    def wake(self) -> None:
        self._flag.set()

    async def wait(self, timeout: float) -> None:
        """Until woken or `timeout` seconds have passed; then the flag is cleared."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._flag.wait()
        self._flag.clear()


def _broadcaster_url(url: str) -> str:
    """broadcaster hands PostgreSQL URLs to asyncpg, which knows no SQLAlchemy driver suffix."""
    for prefix in ("postgresql+asyncpg://", "postgres+asyncpg://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


class EventBus:
    def __init__(
        self,
        url: str,
        *,
        channel: str,
        heads: Heads,
        check_seconds: float = 5.0,
        poll_seconds: float = 5.0,
        timeout: float = 5.0,
        stop_seconds: float = STOP_SECONDS,
    ):
        self.url = _broadcaster_url(url)
        self.channel = channel
        self._heads = heads
        self._check_seconds = check_seconds
        self._poll_seconds = poll_seconds
        self._timeout = timeout
        self._stop_seconds = stop_seconds
        self._listeners: dict[str, set[Listener]] = {}
        # Goes up before every wake-up: a read of the log begun at generation g has seen every
        # event whose wake-up came before it (see resolvers.live.LogReads).
        self.generation = 0
        # Per clinic with listeners: the highest seq its listeners were woken for.
        self._known: dict[str, int] = {}
        # Wake-ups not yet published, coalesced per clinic (the highest seq is all that matters).
        self._pending: dict[str, int] = {}
        # Revocations not yet published, in commit order: each goes out before any later wake-up.
        self._pending_revocations: list[Revocation] = []
        self._has_pending = asyncio.Event()
        # Given each revocation received from the bus (autoscribe.revocation.Revocations.note).
        self.on_revocation: Callable[[Revocation], object] | None = None
        self._connected = asyncio.Event()
        # Called (synchronously) each time the bus is connected, again after a loss: whatever was
        # published meanwhile may have been missed (autoscribe.live.auth_cache forgets what it kept).
        self.on_connected: list[Callable[[], object]] = []
        self._broken = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._broadcast: Broadcast | None = None
        self._receiver: asyncio.Task | None = None
        self._pings: dict[str, asyncio.Future] = {}
        self._tasks: list[asyncio.Task] = []

    # Lifecycle

    async def start(self) -> None:
        """Connect in the background; wait a little for the first connection, but never fail."""
        self._tasks = [
            asyncio.create_task(self._run(), name="bus-connection"),
            asyncio.create_task(self._publish_loop(), name="bus-publisher"),
            asyncio.create_task(self._poll_loop(), name="bus-poll"),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._timeout):
                await self._connected.wait()

    async def stop(self) -> None:
        """Cancel the bus's tasks and wait for them to end, but no longer than `stop_seconds`: a
        task still running then is abandoned with a warning, so that a shutdown always finishes."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        done, pending = await asyncio.wait(tasks, timeout=self._stop_seconds)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.debug("event bus: %s ended with %s", task.get_name(), _describe(task.exception()))
        for task in pending:
            log.warning("event bus: %s did not stop within %.1fs; abandoned", task.get_name(), self._stop_seconds)

    async def healthy(self) -> bool:
        """Connected, with the last round trip through the backend answered."""
        return self._connected.is_set()

    @property
    def reaches_other_processes(self) -> bool:
        """Whether what is published now reaches every process on the bus (and the command line's
        revocations reach this one): a Redis or PostgreSQL bus, connected. memory:// reaches no one."""
        return self._connected.is_set() and not self.url.startswith("memory:")

    @property
    def state(self) -> str:
        """"connected", "reconnecting" (started, the connection lost or not yet made), or "stopped"."""
        if self._connected.is_set():
            return "connected"
        return "reconnecting" if self._tasks else "stopped"

    # Subscribers

    @contextlib.contextmanager
    def listen(self, clinic_id: str) -> Iterator[Listener]:
        """A wake-up signal for the clinic's events, for as long as the block runs."""
        listener = Listener()
        self._listeners.setdefault(clinic_id, set()).add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners.get(clinic_id, set())
            listeners.discard(listener)
            if not listeners:
                self._listeners.pop(clinic_id, None)
                self._known.pop(clinic_id, None)

    def _announce(self, clinic_id: str, seq: int) -> None:
        """Seq is committed in the clinic: wake its listeners unless they were woken for it already."""
        listeners = self._listeners.get(clinic_id)
        if not listeners or seq <= self._known.get(clinic_id, 0):
            return
        self._known[clinic_id] = seq
        self.generation += 1
        for listener in listeners:
            listener.wake()

    def wake_clinic(self, clinic_id: str) -> None:
        """Wake the clinic's listeners now (something other than an event concerns them)."""
        listeners = self._listeners.get(clinic_id)
        if not listeners:
            return
        self.generation += 1
        for listener in listeners:
            listener.wake()

    def _wake_all(self) -> None:
        self.generation += 1
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.wake()

    # Publishing

    async def publish(self, events: list[CommittedEvent]) -> None:
        """The after-commit hook: queue a wake-up per clinic. Never raises, never waits on the bus."""
        for event in events:
            if event.revocation is not None:
                self._pending_revocations.append(event.revocation)
            if event.seq > self._pending.get(event.clinic_id, 0):
                self._pending[event.clinic_id] = event.seq
        self._has_pending.set()

    async def publish_now(self, events: list[CommittedEvent]) -> None:
        """Send the events' revocations and wake-ups at once, waiting for the connection (for a
        process that serves nothing and exits next: the command line). Raises if it cannot."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._connected.wait()
        except TimeoutError:
            raise BusDown("not connected") from None
        for message in _messages([e.revocation for e in events if e.revocation], _heads_of(events)):
            await self._send(message)

    async def _publish_loop(self) -> None:
        while True:
            await self._has_pending.wait()
            await self._connected.wait()
            self._has_pending.clear()
            batch, self._pending = self._pending, {}
            revoked, self._pending_revocations = self._pending_revocations, []
            messages = _messages(revoked, batch)
            for i, message in enumerate(messages):
                try:
                    await self._send(message)
                except Exception as exc:  # noqa: BLE001 - the commit stands; resend after reconnecting
                    log.warning("event bus: publish failed (%s); will resend after reconnecting", _describe(exc))
                    unsent = messages[i:]
                    self._pending_revocations[:0] = [_revocation(m) for m in unsent if "r" in m]
                    for m in unsent:
                        if "s" in m:
                            self._pending[m["c"]] = max(self._pending.get(m["c"], 0), m["s"])
                    self._has_pending.set()
                    self._connected.clear()
                    self._broken.set()
                    break

    async def _send(self, message: dict) -> None:
        async with self._send_lock:
            broadcast = self._broadcast
            if broadcast is None:
                raise BusDown("not connected")
            payload = json.dumps(message, separators=(",", ":"))
            async with asyncio.timeout(self._timeout):
                await broadcast.publish(self.channel, payload)

    # Receiving

    async def _receive(self, broadcast: Broadcast, subscribed: asyncio.Event) -> None:
        async with broadcast.subscribe(self.channel) as subscriber:
            subscribed.set()
            async for event in subscriber:
                self._on_message(event.message)

    def _on_message(self, raw: str) -> None:
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            log.warning("event bus: ignored a message that is not JSON")
            return
        if not isinstance(message, dict):
            return
        if "ping" in message:
            future = self._pings.get(message["ping"])
            if future is not None and not future.done():
                future.set_result(None)
            return
        if "r" in message:
            revocation = _revocation(message)
            if revocation is not None and self.on_revocation is not None:
                self.on_revocation(revocation)
            return
        clinic_id, seq = message.get("c"), message.get("s")
        if isinstance(clinic_id, str) and isinstance(seq, int):
            self._announce(clinic_id, seq)

    # The connection: connect, watch, reconnect

    async def _run(self) -> None:
        delay = MIN_BACKOFF
        while True:
            try:
                await self._connect()
                delay = MIN_BACKOFF
                await self._watch()
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
                log.warning("event bus %s: %s; reconnecting in %.2fs", self._safe_url(), _describe(exc), delay)
            finally:
                self._connected.clear()
                await self._disconnect()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF)

    async def _connect(self) -> None:
        self._broken.clear()
        redis = self.url.startswith(("redis://", "rediss://"))
        broadcast = Broadcast(backend=RedisPubSubBackend(self.url)) if redis else Broadcast(self.url)
        self._broadcast = broadcast
        async with asyncio.timeout(self._timeout):
            await broadcast.connect()
        subscribed = asyncio.Event()
        self._receiver = asyncio.create_task(self._receive(broadcast, subscribed), name="bus-receiver")
        async with asyncio.timeout(self._timeout):
            await subscribed.wait()
        await self._ping()
        self._connected.set()
        for hook in self.on_connected:
            hook()
        log.info("event bus %s: connected", self._safe_url())
        # Whatever was published while no one listened is in the log: let everyone read it.
        self._wake_all()

    async def _watch(self) -> None:
        """Return (raise) when the connection is found broken."""
        assert self._receiver is not None
        while True:
            broken = asyncio.ensure_future(self._broken.wait())
            try:
                await asyncio.wait(
                    {self._receiver, broken}, timeout=self._check_seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                broken.cancel()
            if self._receiver.done():
                exc = None if self._receiver.cancelled() else self._receiver.exception()
                raise BusDown(f"the listener stopped ({_describe(exc) if exc else 'no error'})")
            if self._broken.is_set():
                raise BusDown("a publish failed")
            await self._ping()

    async def _ping(self) -> None:
        """A round trip through the backend: proves both publishing and listening work."""
        nonce = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._pings[nonce] = future
        try:
            await self._send({"ping": nonce})
            try:
                async with asyncio.timeout(self._timeout):
                    await future
            except TimeoutError:
                raise BusDown("no answer to a ping") from None
        finally:
            self._pings.pop(nonce, None)

    async def _disconnect(self) -> None:
        broadcast, self._broadcast = self._broadcast, None
        receiver, self._receiver = self._receiver, None
        if receiver is not None:
            await _cancel(receiver, self._timeout)
        if broadcast is not None:
            try:
                async with asyncio.timeout(self._timeout):
                    await broadcast.disconnect()
            except Exception as exc:  # noqa: BLE001 - the connection is being dropped anyway
                log.debug("event bus: disconnect: %s", _describe(exc))

    # The safety poll

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            clinic_ids = list(self._listeners)
            if not clinic_ids:
                continue
            try:
                heads = await self._heads(clinic_ids)
            except Exception as exc:  # noqa: BLE001 - try again next time
                log.warning("event bus: polling the event log failed: %s", _describe(exc))
                continue
            for clinic_id, seq in heads.items():
                self._announce(clinic_id, seq)

    def _safe_url(self) -> str:
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


async def _cancel(task: asyncio.Task, timeout: float) -> None:
    """Cancel the task and give it `timeout` seconds to finish its cleanup."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
    elif not task.cancelled() and task.exception() is not None:
        log.debug("event bus: listener ended with %s", _describe(task.exception()))


def _heads_of(events: list[CommittedEvent]) -> dict[str, int]:
    heads: dict[str, int] = {}
    for event in events:
        heads[event.clinic_id] = max(heads.get(event.clinic_id, 0), event.seq)
    return heads


def _messages(revoked: list[Revocation], heads: dict[str, int]) -> list[dict]:
    """What to send, in order: revocations first (committed before the events woken for after
    them), then one wake-up per clinic."""
    return [{"r": r.kind, "i": r.id, "e": r.epoch, "c": r.clinic_id} for r in revoked] + [
        {"c": clinic_id, "s": seq} for clinic_id, seq in heads.items()
    ]


def _revocation(message: dict) -> Revocation | None:
    kind, id, epoch, clinic_id = message.get("r"), message.get("i"), message.get("e", 0), message.get("c")
    if kind not in ("key", "user") or not isinstance(id, str) or not isinstance(epoch, int) \
            or not isinstance(clinic_id, str):
        return None
    return Revocation(clinic_id, kind, id, epoch)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
