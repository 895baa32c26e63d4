"""A shared subscription's members whose sockets stop taking data (schema.multicast): the group
writes to each member's socket directly; a member whose socket is full gets its results later, in
order, and never holds up the others; one too far behind ends alone with RATE_LIMITED."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from strawberry.types import ExecutionResult

from autoscribe.server.engine import multicast


class Socket:
    """What a member writes to: Starlette's WebSocket.send, which waits while the transport is full
    (as uvicorn's does), then writes."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, message: dict) -> None:
        await self.writable.wait()
        self.sent.append(json.loads(message["text"]))

    def data(self) -> list:
        return [m["payload"]["data"]["n"] for m in self.sent]


class Subscriber:
    """One member, with what Strawberry does with its stream: each result the stream yields is
    written to the same socket as a `next` message, unless the operation was completed."""

    def __init__(self, group: multicast.Group, op_id: str) -> None:
        self.socket = Socket()
        handler = SimpleNamespace(operations={})
        operation = SimpleNamespace(id=op_id, completed=False, handler=handler, operation_name=None)
        handler.operations[op_id] = operation
        context = SimpleNamespace(request=None)
        self.member = group.join(context, multicast.Sink(operation, self.socket))
        self.errors: list[dict] = []
        stream = multicast._member(group, self.member, context, None, lambda item, ctx, name: item)
        self.operation = operation
        self.task = asyncio.create_task(self._strawberry(stream, op_id))

    async def _strawberry(self, stream, op_id: str) -> None:
        async for result in stream:
            if self.operation.completed:
                continue  # Strawberry sends nothing more for a completed operation
            if result.errors:
                self.errors.extend(e.formatted for e in result.errors)
            else:
                await self.socket.send({"text": json.dumps({"id": op_id, "type": "next", "payload": {"data": result.data}})})


async def _group(count: int):
    group = multicast.Group(multicast.Groups(svc=None), ("q", None, "{}", ("clinic",)), cursor=False)
    subscribers = [Subscriber(group, str(i)) for i in range(count)]
    results: asyncio.Queue = asyncio.Queue()

    async def source():
        while True:
            yield await results.get()

    group.task = asyncio.create_task(group.run(source()))

    async def emit(*numbers: int) -> None:
        for n in numbers:
            await results.put(ExecutionResult(data={"n": n}, errors=None))
        for _ in range(20):
            await asyncio.sleep(0)

    return group, subscribers, emit


async def test_a_full_socket_gets_its_results_later_in_order_and_the_others_at_once():
    group, (fast, slow), emit = await _group(2)
    await emit(1)
    assert fast.socket.data() == slow.socket.data() == [1]
    slow.socket.writable.clear()
    await emit(2, 3, 4)
    assert fast.socket.data() == [1, 2, 3, 4]
    assert slow.socket.data() == [1]
    assert slow.member.pending is not None and len(slow.member.items) == 2  # 2 being written, 3 and 4 waiting
    slow.socket.writable.set()
    await emit()
    assert slow.socket.data() == [1, 2, 3, 4]
    assert slow.member.pending is None and not slow.member.items and not slow.member.busy
    await emit(5)
    assert fast.socket.data() == slow.socket.data() == [1, 2, 3, 4, 5]
    written = group.registry.written
    assert written == 5 + 3  # all of fast's; slow's 1, 2 (finished later) and 5; its 3 and 4 went through its stream
    group.leave_all()


async def test_a_member_too_far_behind_ends_alone_with_rate_limited():
    group, (fast, stuck), emit = await _group(2)
    stuck.socket.writable.clear()
    await emit(*range(1, multicast.MEMBER_BACKLOG + 3))
    assert fast.socket.data() == list(range(1, multicast.MEMBER_BACKLOG + 3))
    await asyncio.wait_for(stuck.task, 5)
    assert [e["extensions"]["code"] for e in stuck.errors] == ["RATE_LIMITED"]
    assert stuck.socket.data() == []  # its blocked write was withdrawn: the error goes instead
    assert stuck.member not in group.members and fast.member in group.members
    await emit(1000)
    assert fast.socket.data()[-1] == 1000
    group.leave_all()


async def test_a_completed_operation_is_not_written_to():
    group, (kept, completed), emit = await _group(2)
    completed.operation.completed = True
    await emit(1)
    assert kept.socket.data() == [1]
    assert completed.socket.sent == []
    assert group.registry.written == 1
    group.leave_all()
