"""Where the time of a request goes inside `autoscribe serve`: py-spy samples of the server
process while it serves the worklist query (and createStudy), grouped by layer.

py-spy is not a dependency of the project: `pip install py-spy` into the venv to run this figure.
Idle samples are left out (py-spy's default, plus samples waiting in the event loop itself), so the
samples divide the server's CPU time; each layer's share is turned into milliseconds per request
with the CPU time per request measured from /proc over the same window.

SQLAlchemy's async layer runs its work in greenlets, whose stacks py-spy sees without their
callers: the self-time layers count that work correctly, but the inclusive steps (which resolver
it was for) undercount it; the "SQLAlchemy, all" step counts all of it.
"""

from __future__ import annotations

import asyncio
import gc
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import database, servers, worklist, writes
from bench.client import Conn, concurrent, graphql_op, percentile, sequential
from bench.context import Bench
from bench.live import Subscribers, current_cursor
from bench.procs import Proc, cpu_seconds
from bench.report import table
from bench.subscriptions import subscriptions_missing

RATE = 250  # samples per second

# Exclusive ("self") time: a sample counts for the first layer found walking from the innermost
# frame outwards, so time spent inside a library is that library's, whoever called it.
LAYERS: list[tuple[str, Callable[[str], bool]]] = [
    ("JSON encoding (json.dumps of the response)", lambda f: "json/encoder" in f or "dumps (json/" in f),
    ("JSON decoding (request body, jsonb columns)", lambda f: "json/" in f),
    ("asyncpg (wire protocol, row decoding)", lambda f: "asyncpg/" in f),
    ("SQLAlchemy ORM (Session, objects from rows)", lambda f: "sqlalchemy/orm/" in f),
    ("SQLAlchemy Core (compile, execute, results, pool)", lambda f: "sqlalchemy/" in f),
    ("batched loading (operations.batching, operations.loaders)", lambda f: "autoscribe/operations/batching.py" in f or "autoscribe/operations/loaders.py" in f),
    ("signing cursors/tokens (itsdangerous, hmac)", lambda f: "itsdangerous/" in f or "/hmac.py" in f or f.startswith("hmac.py")),
    ("graphql-core (parse, validate, execute, complete values)", lambda f: "graphql/" in f),
    ("Strawberry (schema glue, resolver wrapping, scalars, extensions)", lambda f: "strawberry/" in f),
    ("AutoScribe middleware (RequestLog, BodyLimit)", lambda f: "autoscribe/server/middleware.py" in f),
    ("Starlette (routing, request, CORS middleware)", lambda f: "starlette/" in f),
    ("uvicorn (HTTP protocol)", lambda f: "uvicorn/" in f),
    ("logging", lambda f: "logging/" in f),
    ("AutoScribe code (operations, schema, server, live, core, db)", lambda f: re.search(r"\(autoscribe/[\w/]+\.py", f) is not None),
    # Reached the loop's own frame with no library above it, or no Python frame at all (uvloop's
    # C code, the garbage collector): the loop running callbacks and tasks, and native work.
    ("event loop (asyncio/uvloop), native code, GC", lambda f: True),
]

# Inclusive: share of samples with a frame matching, i.e. time in that step and all it calls.
STEPS: list[tuple[str, Callable[[str], bool]]] = [
    ("HTTP request through middleware (everything)", lambda f: "autoscribe/server/middleware.py" in f),
    ("  Strawberry GraphQL app: parse body .. JSON response", lambda f: "strawberry/http/async_base_view" in f),
    ("    parse (ParserCache)", lambda f: "graphql/language/parser" in f),
    ("    validate (ValidationCache)", lambda f: "graphql/validation/" in f),
    ("    graphql-core execute (all resolvers below)", lambda f: "graphql/execution/execute" in f),
    ("      authenticate the API key (operations.authentication)", lambda f: "autoscribe/operations/authentication.py" in f),
    ("      keyset page query (operations.pagination.paginate)", lambda f: "autoscribe/operations/pagination.py" in f),
    ("        signing 100 row cursors (Signer.sign)", lambda f: "autoscribe/core/signing.py" in f),
    ("      Study.of / StudyReportMetadata.of / User.of", lambda f: re.search(r"\.of \(autoscribe/schema/", f) is not None),
    ("      assignedTo batch (operations.loaders, operations.batching)", lambda f: "autoscribe/operations/loaders.py" in f or "autoscribe/operations/batching.py" in f),
    ("    result post-processing (server.engine.errors.present)", lambda f: "autoscribe/server/engine/errors.py" in f),
    ("    JSON encoding of the response", lambda f: "json/encoder.py" in f or f.startswith("dumps (json/")),
    ("  SQLAlchemy, all (ORM + Core + asyncpg below it)", lambda f: "sqlalchemy/" in f),
    ("  asyncpg, all", lambda f: "asyncpg/" in f),
]


def idle(frames: tuple[str, ...]) -> bool:
    """A sample in the event loop itself with no Python callback running: waiting for I/O.
    py-spy does not always recognise uvloop's wait as idle."""
    leaf = frames[-1] if frames else ""
    return leaf.startswith(("Runner.run (asyncio/runners.py", "BaseEventLoop.run_forever", "run_forever"))


WRITE_STEPS: list[tuple[str, Callable[[str], bool]]] = [
    ("HTTP request through middleware (everything)", lambda f: "autoscribe/server/middleware.py" in f),
    ("  parse (ParserCache)", lambda f: "graphql/language/parser" in f),
    ("  validate (ValidationCache)", lambda f: "graphql/validation/" in f),
    ("  graphql-core execute (all resolvers below)", lambda f: "graphql/execution/execute" in f),
    ("    input coercion (graphql-core values, Strawberry input types)", lambda f: "graphql/execution/values" in f or "graphql/utilities/coerce_input_value" in f or "value_from_ast" in f),
    ("    authenticate the API key (operations.authentication)", lambda f: "autoscribe/operations/authentication.py" in f),
    ("    input validation (operations.validation, pydantic rules)", lambda f: "autoscribe/operations/validation.py" in f or "pydantic" in f),
    ("    operations.studies.create_study", lambda f: "create_study (autoscribe/operations/studies.py" in f),
    ("      append_event (db.events)", lambda f: "autoscribe/db/events.py" in f),
    ("      commit (session.begin exit)", lambda f: "commit (sqlalchemy" in f.lower() or "_commit_impl" in f),
    ("    after-commit bus publish (live.bus)", lambda f: "autoscribe/live/bus.py" in f),
    ("  JSON encoding of the response", lambda f: "json/encoder.py" in f or f.startswith("dumps (json/")),
    ("  SQLAlchemy, all (ORM + Core + asyncpg below it)", lambda f: "sqlalchemy/" in f),
    ("  asyncpg, all", lambda f: "asyncpg/" in f),
    ("broadcaster / event bus, all", lambda f: "broadcaster/" in f or "autoscribe/live/bus" in f),
]


FANOUT_STEPS: list[tuple[str, Callable[[str], bool]]] = [
    ("subscription streams (strawberry graphql_transport_ws handlers)", lambda f: "graphql_transport_ws" in f),
    ("  the live log stream (live.streams)", lambda f: "autoscribe/live/streams.py" in f),
    ("    principal re-check (Context.live_principal -> live.auth_cache)", lambda f: "live_principal" in f or "autoscribe/live/auth_cache.py" in f or "autoscribe/operations/authentication.py" in f),
    ("  Subscription.worklist resolver (schema.subscription)", lambda f: "autoscribe/schema/subscription.py" in f),
    ("  selection set per subscriber (graphql-core execute_subscription_event)", lambda f: "execute_subscription_event" in f),
    ("    of which collecting fields (graphql-core collect_subfields)", lambda f: "graphql/execution/collect_fields" in f),
    ("  result post-processing (server.engine.errors.present)", lambda f: "autoscribe/server/engine/errors.py" in f),
    ("  sending each message (Strawberry send_next: JSON + WebSocket)", lambda f: ".send_next (strawberry/" in f),
    ("  shared results, encoded once and written to each member (server.engine.multicast)", lambda f: "autoscribe/server/engine/multicast.py" in f),
    ("    JSON encoding of each message", lambda f: "json/encoder.py" in f or f.startswith("dumps (json/")),
    ("    WebSocket frames (uvicorn / websockets)", lambda f: "websockets/" in f or "uvicorn/protocols/websockets" in f),
    ("the mutation's operation (operations.studies.update_study)", lambda f: "update_study (autoscribe/operations/studies.py" in f),
    ("SQLAlchemy, all (ORM + Core + asyncpg below it)", lambda f: "sqlalchemy/" in f),
    ("event bus (live.bus)", lambda f: "autoscribe/live/bus" in f),
]


@dataclass
class Profile:
    title: str
    all_stacks: Counter  # tuple of frames (outermost first) -> samples
    requests: int
    cpu_per_request: float  # seconds

    @property
    def stacks(self) -> Counter:
        return Counter({k: v for k, v in self.all_stacks.items() if not idle(k)})

    @property
    def samples(self) -> int:
        return sum(self.stacks.values())

    @property
    def idle_samples(self) -> int:
        return sum(self.all_stacks.values()) - self.samples

    def layers(self) -> list[tuple[str, float]]:
        totals = Counter()
        stacks = self.stacks
        for frames, n in stacks.items():
            label = LAYERS[-1][0]
            for f in reversed(frames):
                if f.startswith("Runner.run (asyncio/runners.py"):
                    break
                found = next((name for name, match in LAYERS[:-1] if match(f)), None)
                if found:
                    label = found
                    break
            totals[label] += n
        return [(name, totals[name] / max(self.samples, 1)) for name, _ in LAYERS]

    def steps(self, steps) -> list[tuple[str, float]]:
        out = []
        stacks = self.stacks
        for name, match in steps:
            hit = sum(n for frames, n in stacks.items() if any(match(f) for f in frames))
            out.append((name, hit / max(self.samples, 1)))
        return out


FANOUT_SUBSCRIBERS = 1_000


async def _fanout_profile(ctx: Bench, server: Proc, duration: float) -> Profile:
    """One worklist event after another to FANOUT_SUBSCRIBERS idle subscribers; per event."""
    tenant = await ctx.tenant("Fan-out clinic", studies=100, radiologists=20)
    study_id = await database.any_study(await ctx.db(), tenant.clinic_id)
    subs = Subscribers(ctx.procs, server.port, tenant.api_key, "ws-profile", ctx.key_maker(tenant))
    conn = Conn("127.0.0.1", server.port)
    try:
        await subs.add(FANOUT_SUBSCRIBERS, await current_cursor(server.port, tenant.api_key, study_id, 1))
        await subs.event(conn, study_id, 2, timeout=300)
        marks = iter(range(3, 10**6))

        async def events() -> int:
            done, deadline = 0, time.monotonic() + duration
            while time.monotonic() < deadline:
                await subs.event(conn, study_id, next(marks), timeout=300)
                done += 1
            return done

        stacks, n, cpu = await _record(ctx, server, "fanout", events)
    finally:
        await subs.close()
        await conn.close()
    return Profile(f"one worklist event to {FANOUT_SUBSCRIBERS:,} subscribers (per event)", stacks, n, cpu)


async def gc_pauses(tenant, n: int, cache: bool) -> dict:
    """The garbage collector during `n` worklist queries on an in-process app (httpx ASGITransport):
    collections, time and longest pause per generation, from gc.callbacks. py-spy cannot show the
    collector: its time lands on whichever allocation triggered it."""
    import httpx

    from autoscribe.server.app import create_app
    from autoscribe.core.settings import Settings

    app = create_app(Settings(database_url=database.SA_URL, secret_key=database.SECRET_KEY, events_url="memory://",
                              **({"response_cache_entries": 0} if cache else {})))
    started: list[float] = []
    pauses: list[tuple[int, float]] = []

    def on_gc(phase, info):
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses.append((info["generation"], time.perf_counter() - started.pop()))

    body = {"query": worklist.QUERY, "variables": {"first": 100}}
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    latencies = []
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            for _ in range(50):
                (await client.post("/graphql", json=body, headers=headers)).raise_for_status()
            tracked = len(gc.get_objects())
            gc.callbacks.append(on_gc)
            try:
                for _ in range(n):
                    t0 = time.perf_counter()
                    (await client.post("/graphql", json=body, headers=headers)).raise_for_status()
                    latencies.append(time.perf_counter() - t0)
            finally:
                gc.callbacks.remove(on_gc)
    return {"tracked": tracked, "latencies": latencies, "pauses": pauses, "n": n}


def py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def parse_raw(path: Path) -> Counter:
    """py-spy's raw (collapsed) format: `frame;frame;...;frame count`, outermost frame first."""
    stacks = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


async def _record(ctx: Bench, server: Proc, name: str, load) -> tuple[Counter, int, float]:
    out = ctx.log_dir / f"{name}.pyspy.txt"
    spy = ctx.procs.start(f"py-spy-{name}", [py_spy(), "record", "--pid", str(server.pid), "--rate", str(RATE),
                                             "--format", "raw", "--output", str(out)])
    await asyncio.sleep(2.0)  # attach
    if not spy.alive():
        raise RuntimeError(f"py-spy exited: {spy.log_tail()}")
    cpu0 = cpu_seconds(server.pid)
    requests = await load()
    cpu1 = cpu_seconds(server.pid)
    spy.popen.send_signal(signal.SIGINT)
    try:
        await asyncio.to_thread(spy.popen.wait, 30)
    except subprocess.TimeoutExpired:
        pass
    ctx.procs.stop(spy)
    if not out.exists():
        raise RuntimeError(f"py-spy wrote nothing: {spy.log_tail()}")
    return parse_raw(out), requests, (cpu1 - cpu0) / max(requests, 1)


async def run(ctx: Bench) -> None:
    exe = py_spy()
    if exe is None:
        ctx.print(table("6. Profile of the worklist query", ["layer", "share", "ms/request"],
                        [["n/a: py-spy not installed (.venv/bin/pip install py-spy)", "-", "-"]]))
        return
    tenant = await ctx.worklist_tenant()
    writer = await ctx.tenant("Southside Radiology (writes)", radiologists=20)
    duration = ctx.scale(20.0, 5.0)
    # The engine's own cost: with a response cache, the repeated query would be answered from it.
    cache = worklist.has_response_cache()
    server = await servers.start_autoscribe(ctx.procs, "autoscribe-profile", **(worklist.NO_CACHE if cache else {}))
    profiles = []
    try:
        target = ("127.0.0.1", server.port)
        op = graphql_op(worklist.QUERY, {"first": 100}, token=tenant.api_key)
        await sequential(target, op, 0, 50)

        async def worklist_load() -> int:
            return (await concurrent([target], lambda _w: op, 1, duration)).ok

        stacks, n, cpu = await _record(ctx, server, "worklist", worklist_load)
        title = "worklist query (first: 100), one connection" + (", response cache off" if cache else "")
        profiles.append(Profile(title, stacks, n, cpu))

        def create_for(w: int):
            async def create(conn: Conn, i: int) -> None:
                uid = f"1.2.826.0.1.3680043.14.{w + 1}.{i + 1}"
                await writes._post(conn, writer.api_key, writes.CREATE, {"in": writes._study_input(uid, None)})

            return create

        async def create_load() -> int:
            return (await concurrent([target], create_for, 4, duration)).ok

        stacks, n, cpu = await _record(ctx, server, "create-study", create_load)
        profiles.append(Profile("createStudy, 4 connections", stacks, n, cpu))

        if subscriptions_missing() is None:
            profiles.append(await _fanout_profile(ctx, server, duration))
    finally:
        ctx.procs.stop(server)

    gc_stats = await gc_pauses(tenant, ctx.scale(300, 100), cache)
    lat = gc_stats["latencies"]
    rows = []
    for gen in (0, 1, 2):
        ps = [d for g, d in gc_stats["pauses"] if g == gen]
        rows.append([f"generation {gen}", len(ps), sum(ps) * 1e3, sum(ps) * 1e3 / gc_stats["n"],
                     max(ps, default=0.0) * 1e3])
    all_pauses = [d for _g, d in gc_stats["pauses"]]
    rows.append(["all", len(all_pauses), sum(all_pauses) * 1e3, sum(all_pauses) * 1e3 / gc_stats["n"],
                 max(all_pauses, default=0.0) * 1e3])
    ctx.print(table(
        "6. Garbage collection during the worklist query (in-process" + (", response cache off)" if cache else ")"),
        ["collections", "count", "total ms", "ms/request", "longest ms"], rows,
        [f"{gc_stats['n']} requests through httpx ASGITransport after 50 warm-up; {gc_stats['tracked']:,} objects"
         f" tracked by the collector after warm-up (thresholds {gc.get_threshold()}).",
         f"Latency in-process: p50 {percentile(lat, 50) * 1e3:.1f} ms, p99 {percentile(lat, 99) * 1e3:.1f} ms,"
         f" max {max(lat) * 1e3:.1f} ms."],
    ))

    for p in profiles:
        ms = p.cpu_per_request * 1e3
        unit = "event" if "event" in p.title else "request"
        notes = [
            f"{p.samples:,} busy samples at {RATE}/s over {p.requests:,} {unit}s ({p.idle_samples:,} idle-loop samples"
            f" left out); server CPU {ms:.1f} ms/{unit} (from /proc), split by sample share.",
        ]
        ctx.print(table(f"6. Profile: {p.title}: self time by layer", ["layer", "share %", f"ms/{unit}"],
                        [[name, share * 100, share * ms] for name, share in p.layers()], notes))
        steps = STEPS if p.title.startswith("worklist") else FANOUT_STEPS if unit == "event" else WRITE_STEPS
        ctx.print(table(f"6. Profile: {p.title}: inclusive time by step", ["step", "share %", f"ms/{unit}"],
                        [[name, share * 100, share * ms] for name, share in p.steps(steps)]))
