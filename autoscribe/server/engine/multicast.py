"""Subscribers that share a document and visibility share one execution per event.

WebSocket subscriptions with the same document, operation name and variables, asked by
principals of the same clinic with the same rights (what can change a payload: Invitation.acceptUrl
is for admins only, for one), form a group: ONE upstream stream, the ordinary Strawberry
subscription, run with a context of the group's own (a principal carrying only those shared rights,
no user, no API key, no connection), and ONE execution of the selection per event, whose result
every member receives.

- A subscription "from now" (no `after` cursor) joins its group at any time: it sees what the
  group executes from then on, which covers every event committed after it joined.
- A subscription with a cursor is its own replay, except that subscriptions of the very same cursor
  may share while their group has delivered nothing yet (and is less than a minute old): until
  then the group's stream is exactly what each of them would have read alone.
- Over graphql-transport-ws the group writes each result to its members' sockets itself (the
  `next` message's payload encoded once): an event costs no task switch per member, and leaves no
  per-member object behind to age into the collector's oldest generation (whose full passes, over
  the objects of thousands of connections, pause the process for hundreds of milliseconds).
  A member whose socket does not take a write at once (flow control) is behind: its results wait
  in its backlog and go out through its own stream, in order, until it has caught up.
- Each member has a bounded backlog. The upstream is paced by the fastest member (a replay reads
  the log no faster than that one takes it); a member that falls MEMBER_BACKLOG results behind is
  dropped with RATE_LIMITED (it resumes with `after` its last cursor); the others go on.
- Each member's access is re-checked at least every settings.live_auth_check_seconds, by its
  group, once per distinct token (autoscribe.live.auth_cache): a revoked member ends alone
  (UNAUTHENTICATED), and a member whose rights changed ends (FORBIDDEN) rather than see a payload
  made for other rights. Idle members hold no timer. A revocation this process learns of
  (autoscribe.live.revocation) drops the members it names at once, and a group looks for revoked
  members before it writes each result: none gets a result committed after its revocation.
- Members leave when their subscription ends; the last one leaving stops the upstream.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    parse,
)
from starlette.websockets import WebSocket
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from autoscribe.core.principal import Principal
from autoscribe.server.context import Context
from autoscribe.core.errors import AppError, Forbidden, RateLimited
from autoscribe.live.revocation import Revocations, revoked_error
from autoscribe.db.events import Revocation

log = logging.getLogger("autoscribe.multicast")

# Results a member may have waiting before it is dropped (they are shared objects: references only).
MEMBER_BACKLOG = 64
# How long a group of subscriptions with a cursor takes new members (while it has delivered nothing).
CURSOR_JOIN_SECONDS = 60.0

_END = object()

# The graphql-transport-ws operation being started in this task (set by the connection's handler,
# engine.ws_limits.TransportWSHandler): its members are written to directly. Per task, because the
# context object is shared by all operations of a connection (engine.upstream says more).
OPERATION: ContextVar[Any] = ContextVar("graphql_transport_ws_operation", default=None)


class SharedPrincipal(Principal):
    """The rights a group's members share, and nothing of who they are."""

    def __init__(self, of: Principal):
        super().__init__(
            clinic_id=of.clinic_id, clinic_name=of.clinic_name, read_only=of.read_only, study_id=of.study_id
        )
        self.rights = visibility(of)

    is_api_key = property(lambda self: self.rights[3])
    is_admin = property(lambda self: self.rights[4])
    can_manage_studies = property(lambda self: self.rights[5])
    can_create_reports = property(lambda self: self.rights[6])
    # A reroute session's own user is part of what it sees (autoscribe.operations.scope); no one else's is.
    user_id = property(lambda self: self.rights[8])


def visibility(p: Principal) -> tuple:
    """Everything of a principal that may change what a subscription's payload shows."""
    return (p.clinic_id, p.clinic_name, p.read_only, p.is_api_key, p.is_admin, p.can_manage_studies,
            p.can_create_reports, p.study_id, p.user_id if p.study_id is not None else None)


class SharedContext(Context):
    """What a group's one execution runs with: no connection, loaders of its own, fixed rights."""

    def __init__(self, svc, principal: Principal, request_id: str):
        super().__init__(svc, None)
        self.request_id = request_id
        self._shared = SharedPrincipal(principal)
        # Each event's selection is answered by its compiled plan when it has one (engine.compiled).
        self.compiled = svc.settings.compiled_queries

    async def principal(self, *, fresh: bool = False) -> Principal:
        return self._shared

    async def live_principal(self) -> Principal:
        # Each member checks its own connection; the group has none.
        return self._shared


class Member:
    """One subscription of a group. Over graphql-transport-ws (a `Sink`), each result is written to
    its socket by the group itself, as the group goes through its members: no task of the member's
    wakes up per event. A result waits in `items` only while the member is behind: its socket would
    not take more yet, or what waits before it has not gone out."""

    __slots__ = ("context", "items", "wake", "sink", "busy", "pending")

    def __init__(self, context: Context, sink: Sink | None = None) -> None:
        self.context = context
        self.items: deque = deque()
        self.wake = asyncio.Event()
        self.sink = sink
        # The member's own stream is sending what it took from `items` (in order, through Strawberry).
        self.busy = False
        # A direct write the socket did not take at once, going on in a task of its own.
        self.pending: asyncio.Task | None = None

    def push(self, item: Any) -> None:
        self.items.append(item)
        self.wake.set()

    def deliver(self, item: Any, payload: Callable[[], str], note: Callable[[Context], Any] | None) -> bool:
        """`item` to this member: written to its socket now when nothing of its waits before it.
        `payload()` is the result's encoding (made once for the group); `note(context)` notes an
        outcome with errors for the member's connection (the access log). True if written."""
        sink = self.sink
        if sink is None or self.busy or self.items or self.pending is not None or not sink.open():
            self.push(item)
            return False
        if note is not None:
            note(self.context)
        try:
            self.pending = sink.write(payload())
        except Exception:  # noqa: BLE001 - the socket is gone: its connection ends the subscription
            self.sink = None
            return False
        if self.pending is not None:
            self.pending.add_done_callback(self._sent)
        return True

    def _sent(self, task: asyncio.Task) -> None:
        if self.pending is task:
            self.pending = None
        if not task.cancelled() and task.exception() is not None:
            self.sink = None  # the socket is gone: its connection ends the subscription
        self.wake.set()  # the member's stream sends what waited meanwhile


class Sink:
    """Where a member's results go when written directly: the graphql-transport-ws operation (its
    id, and whether it is still open) and the connection's WebSocket."""

    __slots__ = ("operation", "websocket", "prefix")

    def __init__(self, operation: Any, websocket: WebSocket) -> None:
        self.operation = operation
        self.websocket = websocket
        self.prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'

    def open(self) -> bool:
        """Strawberry forgets an operation (and cancels its task) when the client completes it or
        the socket ends; until that task has run, nothing more may go out for it."""
        operation = self.operation
        return not operation.completed and operation.handler.operations.get(operation.id) is operation

    def write(self, payload: str) -> asyncio.Task | None:
        """The `next` message, written now; a task finishing it when the socket does not take it at
        once (flow control), else None."""
        send = self.websocket.send({"type": "websocket.send", "text": self.prefix + payload + "}"})
        try:
            waiting_on = send.send(None)
        except StopIteration:
            return None
        except BaseException:
            send.close()
            raise
        return asyncio.ensure_future(_Resumed(send, waiting_on))


class _Resumed:
    """Awaits the rest of a coroutine that was started by hand and is waiting on `waiting_on` (what
    it yielded to the event loop, as a Task would have been given)."""

    __slots__ = ("coroutine", "waiting_on")

    def __init__(self, coroutine, waiting_on) -> None:
        self.coroutine = coroutine
        self.waiting_on = waiting_on

    def __await__(self):
        coroutine, waiting_on = self.coroutine, self.waiting_on
        while True:
            try:
                yield waiting_on
            except BaseException as exc:  # cancelled: into the coroutine, as a Task would
                try:
                    waiting_on = coroutine.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                waiting_on = coroutine.send(None)
            except StopIteration as stop:
                return stop.value


class Group:
    def __init__(self, registry: Groups, key: tuple, cursor: bool, present: Present | None = None):
        self.registry = registry
        self.key = key
        self.cursor = cursor
        self.operation_name = key[1]
        self.present = present or (lambda item, context, name: item)
        self.members: set[Member] = set()
        self.delivered = 0
        self.started = time.monotonic()
        self.closed = False
        self.task: asyncio.Task | None = None
        self.checker: asyncio.Task | None = None
        # Set by a member that has taken all it had.
        self.space = asyncio.Event()
        # The revocations' version when the members were last looked up in them (none had joined).
        self.revocations_seen = registry.revocations.version
        registry.running.add(self)

    def joinable(self) -> bool:
        if self.closed:
            return False
        return not self.cursor or (self.delivered == 0 and time.monotonic() - self.started < CURSOR_JOIN_SECONDS)

    def _note(self, item: Any) -> Callable[[Context], Any]:
        return lambda context: self.present(item, context, self.operation_name)

    def join(self, context: Context, sink: Sink | None = None) -> Member:
        member = Member(context, sink)
        self.members.add(member)
        return member

    def leave(self, member: Member) -> None:
        self.members.discard(member)
        if not self.members:
            self._close()
            for task in (self.task, self.checker):
                if task is not None and not task.done():
                    task.cancel()

    def _end(self, member: Member, error: Exception) -> None:
        self.members.discard(member)
        member.items.clear()
        if member.pending is not None:
            member.pending.cancel()  # a write the socket has not taken: the error goes instead
        member.push(_error(error))
        member.push(_END)

    def drop_revoked(self) -> None:
        """End the members whose access has been revoked, before anything more is written to them."""
        registry = self.registry.revocations
        self.revocations_seen = registry.version
        for member in list(self.members):
            principal = member.context.known_principal()
            if principal is not None and registry.revoked(principal):
                self._end(member, revoked_error())

    async def check(self, interval: float) -> None:
        """Each member's access, re-checked every `interval` seconds: once per distinct token (the
        members of one API key or session share the answer), not once per connection. A member
        whose token no longer stands, or now stands for other rights, ends alone."""
        rights = self.key[3]
        cache = self.registry.svc.auth
        while True:
            await asyncio.sleep(interval * (0.8 + 0.2 * random.random()))
            by_token: dict[str | None, list[Member]] = {}
            for member in self.members:
                by_token.setdefault(member.context.bearer(), []).append(member)
            for token, members in by_token.items():
                try:
                    principal = await cache.authenticate(token)
                    if visibility(principal) != rights:
                        raise Forbidden("The caller's rights changed: subscribe again.")
                except AppError as exc:
                    for member in members:
                        self._end(member, exc)
                except Exception as exc:  # noqa: BLE001 - the check could not be made; try again next time
                    log.warning("re-checking shared subscribers failed (%s: %s)", type(exc).__name__, exc)
            if not self.members:
                self.leave_all()
                return

    def leave_all(self) -> None:
        self._close()
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _close(self) -> None:
        self.closed = True
        self.registry.running.discard(self)
        if self.registry.groups.get(self.key) is self:
            del self.registry.groups[self.key]

    async def run(self, source: AsyncIterator) -> None:
        """The upstream: each result to every member, once."""
        try:
            while True:
                # Paced by the fastest member (a replay reads the log no faster than it is taken).
                while self.members and min(len(m.items) for m in self.members) >= MEMBER_BACKLOG // 2:
                    self.space.clear()
                    await self.space.wait()
                try:
                    item = await anext(source)
                except StopAsyncIteration:
                    break
                if isinstance(item, PreExecutionError):
                    # Refused before it ran (validation, variables, a limit): each member's own
                    # stream hands it to Strawberry as its first result, which goes out as the
                    # protocol's `error` message, not as a `next`.
                    for member in list(self.members):
                        member.push(item)
                    break
                if self.registry.revocations.version != self.revocations_seen:
                    self.drop_revoked()
                self.delivered += 1
                self.registry.executions += 1
                payload = _payload(item)
                note = self._note(item) if item.errors else None
                for member in list(self.members):
                    if len(member.items) >= MEMBER_BACKLOG:
                        self.registry.dropped_members += 1
                        self.registry.dropped += len(member.items) + 1  # its backlog and this result
                        self._end(member, RateLimited(
                            "The subscriber fell too far behind; subscribe again with `after` the last cursor received."))
                    elif member.deliver(item, payload, note):
                        self.registry.written += 1
                if not self.members:
                    break  # its members are gone (one may never have started reading)
        except asyncio.CancelledError:
            raise
        except Exception:  # Strawberry turns a stream's errors into results: this is a bug
            log.exception("a shared subscription's upstream failed")
            for member in self.members:
                member.push(_error(RuntimeError("the shared stream failed")))
        finally:
            self._close()
            if self.checker is not None:
                self.checker.cancel()
            for member in self.members:
                member.push(_END)
            await source.aclose()


class Groups:
    """The process's groups (one registry per Services)."""

    def __init__(self, svc) -> None:
        self.svc = svc
        self.groups: dict[tuple, Group] = {}
        # Every group not yet closed, joinable or not (`groups` holds the joinable ones).
        self.running: set[Group] = set()
        self.revocations = svc.revocations if svc is not None else Revocations()
        self.revocations.on_revoked(self.revoked)
        # Results executed by groups, and results written to members' sockets directly (for the
        # tests and for diagnosis; /metrics shows them, autoscribe.server.metrics).
        self.executions = 0
        self.written = 0
        # Members dropped for falling MEMBER_BACKLOG behind, and the results they never got.
        self.dropped_members = 0
        self.dropped = 0

    def revoked(self, revocation: Revocation) -> None:
        """A principal of the clinic was revoked: its members leave their groups now."""
        for group in list(self.running):
            if group.key[3][0] == revocation.clinic_id:
                group.drop_revoked()
                if not group.members:
                    group.leave_all()


class SharedJson:
    """graphql-transport-ws `next` messages encoded once per result: the members of a group get the
    same result object, so its data is encoded for the first and only the envelope for the rest."""

    def __init__(self, size: int = 16):
        self._size = size
        self._encoded: dict[int, tuple[Any, str]] = {}

    def encode(self, message: Any) -> str | None:
        """The message as json.dumps(message, separators=(",", ":")) would write it; None when it is
        not a plain `next` message (encode it as usual then)."""
        if not isinstance(message, dict) or list(message) != ["id", "type", "payload"] or message["type"] != "next":
            return None
        payload = message["payload"]
        if not isinstance(payload, dict) or list(payload) != ["data"]:
            return None
        data = payload["data"]
        hit = self._encoded.get(id(data))
        if hit is None or hit[0] is not data:
            hit = (data, json.dumps(data, separators=(",", ":")))
            self._encoded.pop(id(data), None)
            self._encoded[id(data)] = hit
            while len(self._encoded) > self._size:
                del self._encoded[next(iter(self._encoded))]
        return '{"id":' + json.dumps(message["id"]) + ',"type":"next","payload":{"data":' + hit[1] + "}}"


def _error(exc: Exception) -> ExecutionResult:
    extensions = exc.extensions if isinstance(exc, AppError) else None
    message = exc.message if isinstance(exc, AppError) else str(exc)
    return ExecutionResult(data=None, errors=[GraphQLError(message, original_error=exc, extensions=extensions)])


def _payload(result: ExecutionResult) -> Callable[[], str]:
    """The `next` message's payload for `result`, as Strawberry's send_next makes it, encoded once
    and only when a member is written to directly."""
    encoded: list[str] = []

    def payload() -> str:
        if not encoded:
            body: dict[str, Any] = {"data": result.data}
            if result.errors:
                body["errors"] = [e.formatted for e in result.errors]
            if result.extensions:
                body["extensions"] = result.extensions
            encoded.append(json.dumps(body, separators=(",", ":")))
        return encoded[0]

    return payload


@functools.lru_cache(maxsize=256)
def _parse(query: str) -> DocumentNode | None:
    try:
        return parse(query)
    except GraphQLError:
        return None


def operation_of(query: Any, operation_name: str | None) -> tuple[str, str | None]:
    """The operation's kind ("query", "mutation" or "subscription"; "unknown" for a document that
    does not parse or has no such operation, refused as such) and its name (the document's, when
    the request names none)."""
    document = _parse(query) if isinstance(query, str) else None
    if document is None:
        return "unknown", operation_name
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition.operation.value, definition.name.value if definition.name else None
    return "unknown", operation_name


def shareable(query: Any, variables: dict | None, operation_name: str | None) -> tuple[bool, bool] | None:
    """None unless the operation is a subscription that may share; else (True, has a cursor)."""
    if not isinstance(query, str):
        return None
    document = _parse(query)
    if document is None:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.SUBSCRIPTION:
        return None
    operation = operations[0]
    defaults = {d.variable.name.value: d.default_value for d in operation.variable_definitions or ()}
    cursor = False
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            return None  # fragments at the root: not worth the analysis
        for argument in selection.arguments or ():
            if argument.name.value != "after":
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                name = value.name.value
                if variables and name in variables:
                    cursor = cursor or variables[name] is not None
                else:
                    default = defaults.get(name)
                    cursor = cursor or (default is not None and not isinstance(default, NullValueNode))
            elif not isinstance(value, NullValueNode):
                cursor = True
    return True, cursor


Present = Callable[[Any, Any, str | None], Any]
Upstream = Callable[[Context], Awaitable[AsyncIterator]]


async def stream(
    context: Any, query: Any, variables: dict | None, operation_name: str | None, upstream: Upstream, present: Present
) -> AsyncIterator | None:
    """The member's stream of a shared subscription, or None when this one is not to be shared
    (then the caller runs it alone)."""
    if not isinstance(context, Context) or not isinstance(context.request, WebSocket):
        return None
    found = shareable(query, variables, operation_name)
    if found is None:
        return None
    _, cursor = found
    try:
        principal = await context.live_principal()
    except Exception:  # noqa: BLE001 - alone, the subscription reports this the usual way
        return None
    try:
        variables_key = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None
    key = (query, operation_name, variables_key, visibility(principal))
    groups = context.svc.groups
    group = groups.groups.get(key)
    if group is None or not group.joinable():
        shared = SharedContext(context.svc, principal, context.request_id)
        source = _presented(await upstream(shared), shared, operation_name, present)
        group = groups.groups.get(key)  # one may have been started meanwhile
        if group is None or not group.joinable():
            group = Group(groups, key, cursor, present)
            groups.groups[key] = group
            group.task = asyncio.create_task(group.run(source), name="shared-subscription")
            group.checker = asyncio.create_task(
                group.check(context.svc.settings.live_auth_check_seconds), name="shared-subscription-check")
        else:
            await source.aclose()
    operation = OPERATION.get()
    sink = Sink(operation, context.request) if operation is not None else None
    member = group.join(context, sink)
    return _member(group, member, context, operation_name, present)


async def _presented(source: AsyncIterator, context, name, present: Present) -> AsyncIterator:
    """Errors presented once, for the group (logged once, with the group's request ID)."""
    try:
        async for item in source:
            yield present(item, context, name)
    finally:
        await source.aclose()


async def _member(group: Group, member: Member, context: Context, name, present: Present):
    """A member's results that were not written directly (all of them without a sink; with one,
    those that waited while the member was behind), and its end. It waits without a timer: its
    access is re-checked by its group."""
    try:
        while True:
            if not member.items or member.pending is not None:
                member.busy = False
                group.space.set()
                member.wake.clear()
                await member.wake.wait()
                continue
            member.busy = True
            item = member.items.popleft()
            if item is _END:
                return
            # Already presented for the group: this notes the outcome for this connection.
            yield present(item, context, name)
    finally:
        member.busy = True  # nothing more is written for it
        if member.pending is not None:
            member.pending.cancel()
        group.leave(member)
        group.space.set()
