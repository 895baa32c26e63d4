"""Figure 1: the worklist query side by side: AutoScribe, PostGraphile 4, and the raw baseline."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import event

from bench import database, servers
from bench.client import Conn, HttpError, Run, concurrent, graphql_op
from bench.pgwire import CountingProxy
from bench.context import WORKLIST_STUDIES, Bench
from bench.procs import cpu_seconds
from bench.report import ratio, table, x

STUDY_FIELDS = """
      id studyInstanceUid studyDescription severity studyReportStatus isCancelled
      createdAt updatedAt modality clinicalIndication externalPatientId isCritical"""

# 22 leaf fields per study, as a worklist screen asks for them.
QUERY = """query Worklist($first: Int!) {
  studies(first: $first, orderBy: PRIORITY) {
    pageInfo { hasNextPage endCursor }
    nodes {%s
      assignedTo { id firstName lastName email }
      reportMetadata { patientName mrn dateOfBirth sex studyDate studyTime }
    }
  }
}""" % STUDY_FIELDS

# The same through PostGraphile's generated names: the `studies` table, its columns, and the
# assigned user through the foreign key studies.assigned_to_id -> users.id. `reportMetadata` is a
# jsonb column: PostGraphile returns it whole (with --dynamic-json, as a JSON object).
POSTGRAPHILE_QUERY = """query Worklist($clinic: String!, $first: Int!) {
  allStudies(condition: {clinicId: $clinic}, first: $first, orderBy: [SEVERITY_RANK_ASC, CREATED_AT_ASC, ID_ASC]) {
    pageInfo { hasNextPage endCursor }
    nodes {%s
      userByAssignedToId { id firstName lastName email }
      reportMetadata
    }
  }
}""" % STUDY_FIELDS

# PostGraphile 5 (amber preset) on the same tables: `id` is its global Node ID there and the row's
# own key is `rowId`, so the query aliases `rowId` as `id` (study and user); the primary-key order
# is PRIMARY_KEY_ASC. Otherwise the same names, columns and order as for PostGraphile 4.
POSTGRAPHILE5_QUERY = """query Worklist($clinic: String!, $first: Int!) {
  allStudies(condition: {clinicId: $clinic}, first: $first, orderBy: [SEVERITY_RANK_ASC, CREATED_AT_ASC, PRIMARY_KEY_ASC]) {
    pageInfo { hasNextPage endCursor }
    nodes {%s
      userByAssignedToId { id: rowId firstName lastName email }
      reportMetadata
    }
  }
}""" % STUDY_FIELDS.replace(" id ", " id: rowId ", 1)

# Each PostGraphile version with its query.
PEERS = ((servers.POSTGRAPHILE_5, POSTGRAPHILE5_QUERY), (servers.POSTGRAPHILE_4, POSTGRAPHILE_QUERY))


def has_response_cache() -> bool:
    """Whether the server has a response cache (autoscribe.server.engine.response_cache) that can be turned off."""
    from autoscribe.core.settings import Settings

    return "response_cache_entries" in Settings.model_fields


# What `autoscribe serve` gets for the uncached path (the engine's own cost), when there is a cache.
NO_CACHE = {"response_cache_entries": "0"}
OURS = "AutoScribe"
OURS_HIT = "AutoScribe, cache hit"


@dataclass
class Target:
    name: str
    port: int
    pid: int
    op: object  # bench.client.Op
    path: str
    body: dict
    token: str | None = None


@dataclass
class Result:
    name: str
    latency: Run
    load: Run
    cpu_per_req: float  # seconds
    db_cpu_per_req: float
    bytes: int


def _nodes(name: str, doc: dict) -> list[dict]:
    if doc.get("errors"):
        raise HttpError(f"{name}: {json.dumps(doc['errors'])[:500]}")
    data = doc["data"]
    return (data.get("studies") or data.get("allStudies"))["nodes"]


async def _fetch(target: Target) -> tuple[dict, int]:
    conn = Conn("127.0.0.1", target.port)
    try:
        hdrs = {"Authorization": f"Bearer {target.token}"} if target.token else {}
        status, data = await conn.post_json(target.path, target.body, hdrs)
    finally:
        await conn.close()
    if status != 200:
        raise HttpError(f"{target.name}: HTTP {status}: {data[:300]!r}")
    return json.loads(data), len(data)


ROUNDS = 10


async def _measure(ctx: Bench, targets: list[Target], pg: database.PgBackends) -> list[Result]:
    """Each target's latency at one connection, and the CPU of the server and of the database over
    exactly those requests, measured in turns: ROUNDS rounds, each a block of requests to every
    target in turn (on one keep-alive connection per target), so that a slow spell of the shared
    machine falls on every server alike instead of on whichever was being measured then. Then
    each target's load at 8 connections, one after another."""
    n, warmup = ctx.scale(600, 60), ctx.scale(50, 10)
    rounds = ctx.scale(ROUNDS, 2)
    duration = ctx.scale(10.0, 3.0)
    sizes = [(await _fetch(t))[1] for t in targets]
    conns = [Conn("127.0.0.1", t.port) for t in targets]
    runs = [Run() for _ in targets]
    cpu = [0.0] * len(targets)
    db_cpu = [0.0] * len(targets)
    try:
        for target, conn in zip(targets, conns, strict=True):
            for i in range(warmup):
                await target.op(conn, -1 - i)
        for r in range(rounds):
            block = n // rounds + (1 if r < n % rounds else 0)
            for k, (target, conn, run) in enumerate(zip(targets, conns, runs, strict=True)):
                cpu0, db0 = cpu_seconds(target.pid), await pg.snapshot()
                started = time.perf_counter()
                for i in range(block):
                    t0 = time.perf_counter()
                    try:
                        await target.op(conn, i)
                    except Exception as exc:  # noqa: BLE001 - counted and reported
                        run.errors += 1
                        run.first_error = run.first_error or repr(exc)[:300]
                        continue
                    run.latencies.append(time.perf_counter() - t0)
                run.elapsed += time.perf_counter() - started
                cpu[k] += cpu_seconds(target.pid) - cpu0
                db_cpu[k] += pg.used(db0, await pg.snapshot())
    finally:
        for conn in conns:
            await conn.close()
    results = []
    for k, target in enumerate(targets):
        load = await concurrent([("127.0.0.1", target.port)], lambda _w, t=target: t.op, 8, duration, warmup=1.0)
        done = max(runs[k].ok, 1)
        results.append(Result(target.name, runs[k], load, cpu[k] / done, db_cpu[k] / done, sizes[k]))
    return results


async def count_statements(tenant: database.Tenant, cache: bool) -> dict[str, dict[int, tuple[int, int]]]:
    """SQL statements and pool checkouts per request, for page sizes 10 and 100, counted with
    SQLAlchemy events on an in-process instance of each Python app (the servers are unchanged)."""
    from autoscribe.server.app import create_app
    from autoscribe.core.settings import Settings
    from bench import raw_app

    out: dict[str, dict[int, tuple[int, int]]] = {}

    def counters(engines) -> dict:
        c = {"statements": 0, "checkouts": 0}

        def on_execute(*_args):
            c["statements"] += 1

        def on_checkout(*_args):
            c["checkouts"] += 1

        for engine in {id(e): e for e in engines}.values():
            event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
            event.listen(engine.sync_engine, "checkout", on_checkout)
        return c

    async def per_request(client: httpx.AsyncClient, c: dict, make) -> dict[int, tuple[int, int]]:
        result = {}
        for first in (10, 100):
            method, url, kwargs = make(first)
            (await client.request(method, url, **kwargs)).raise_for_status()  # warm
            c["statements"] = c["checkouts"] = 0
            response = await client.request(method, url, **kwargs)
            response.raise_for_status()
            nodes = _nodes("count", response.json())
            assert len(nodes) == first, len(nodes)
            result[first] = (c["statements"], c["checkouts"])
        return result

    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    app = create_app(Settings(database_url=database.SA_URL, secret_key=database.SECRET_KEY, events_url="memory://",
                              **({"response_cache_entries": 0} if cache else {})))
    db = app.state.services.db
    c = counters([db.engine, db.read_engine])
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            out[OURS] = await per_request(
                client, c,
                lambda first: ("POST", "/graphql", {"json": {"query": QUERY, "variables": {"first": first}}, "headers": headers}),
            )

    raw = raw_app.create_app()
    c = counters([raw.state.engine])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=raw), base_url="http://bench") as client:
            out["raw"] = await per_request(client, c, lambda first: ("POST", f"/worklist?first={first}", {"headers": headers}))
    finally:
        await raw.state.engine.dispose()
    return out


async def count_on_wire(ctx: Bench, tenant: database.Tenant, peers: list[tuple[servers.PostGraphile, str]],
                        cache: bool) -> dict[str, dict[int, dict]]:
    """Executes and round trips to PostgreSQL per request for page sizes 10 and 100, counted by a
    proxy (bench.pgwire) in front of PostgreSQL, with a second instance of each server behind it.
    Each figure is the least of 5 requests, so that a background query (e.g. the event bus's
    periodic poll) does not count."""
    proxy = CountingProxy()
    port = await proxy.start()
    started = []
    out: dict[str, dict[int, dict]] = {}
    try:
        sa_url = f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{database.DB_NAME}"
        # The bus straight to PostgreSQL, not through the proxy: only the requests' statements count.
        ours = await servers.start_autoscribe(ctx.procs, "autoscribe-wire", database_url=sa_url,
                                              events_url=servers.BUS_URL, **(NO_CACHE if cache else {}))
        started.append(ours)
        raw = await servers.start_raw(ctx.procs, "raw-wire", sa_url)
        started.append(raw)
        targets = {
            OURS: lambda first: Target(OURS, ours.port, ours.pid, None, "/graphql",
                                       {"query": QUERY, "variables": {"first": first}}, tenant.api_key),
        }
        if cache:
            hit = await servers.start_autoscribe(ctx.procs, "autoscribe-wire-cache", database_url=sa_url,
                                                 events_url=servers.BUS_URL)
            started.append(hit)
            targets[OURS_HIT] = lambda first: Target(OURS_HIT, hit.port, hit.pid, None, "/graphql",
                                                     {"query": QUERY, "variables": {"first": first}}, tenant.api_key)
        targets["raw"] = lambda first: Target("raw", raw.port, raw.pid, None, f"/worklist?first={first}", {},
                                              tenant.api_key)
        for version, query in peers:
            pgl = await servers.start_postgraphile(ctx.procs, f"{version.directory.name}-wire",
                                                   f"postgres://postgres@127.0.0.1:{port}/{database.DB_NAME}", version)
            started.append(pgl)
            targets[version.label] = lambda first, pgl=pgl, version=version, query=query: Target(
                version.label, pgl.port, pgl.pid, None, "/graphql",
                {"query": query, "variables": {"clinic": tenant.clinic_id, "first": first}})
        for name, make in targets.items():
            out[name] = {}
            for first in (10, 100):
                target = make(first)
                await _fetch(target)  # warm: connections made, statements prepared
                seen = []
                for _ in range(5):
                    proxy.reset()
                    doc, _size = await _fetch(target)
                    assert len(_nodes(name, doc)) == first
                    seen.append(proxy.snapshot())
                out[name][first] = {k: min(s[k] for s in seen) for k in seen[0]}
    finally:
        for p in started:
            ctx.procs.stop(p)
        await proxy.stop()
    return out


async def run(ctx: Bench) -> None:
    tenant = await ctx.worklist_tenant()
    procs = ctx.procs
    started = []
    try:
        cache = has_response_cache()
        # As deployed on PostgreSQL: with its event bus there (an API key's lookup is then kept for
        # 2 s, autoscribe.live.auth_cache; the bus carries its revocation).
        ours = await servers.start_autoscribe(procs, "autoscribe-worklist", events_url=servers.BUS_URL,
                                              **(NO_CACHE if cache else {}))
        started.append(ours)
        ours_hit = None
        if cache:
            ours_hit = await servers.start_autoscribe(procs, "autoscribe-worklist-cache", events_url=servers.BUS_URL)
            started.append(ours_hit)
        raw = await servers.start_raw(procs)
        started.append(raw)
        # The PostGraphile versions that run here, and why the others do not.
        peers, why_no_pg = [], {}
        for version, query in PEERS:
            why = await servers.ensure_postgraphile(procs, version)
            if why is None:
                pgl = await servers.start_postgraphile(procs, version.directory.name, version=version)
                started.append(pgl)
                peers.append((version, query, pgl))
            else:
                why_no_pg[version.label] = why

        first = 100
        targets = [
            Target(OURS, ours.port, ours.pid,
                   graphql_op(QUERY, {"first": first}, token=tenant.api_key),
                   "/graphql", {"query": QUERY, "variables": {"first": first}}, tenant.api_key),
        ]
        if ours_hit is not None:
            targets.append(Target(OURS_HIT, ours_hit.port, ours_hit.pid,
                                  graphql_op(QUERY, {"first": first}, token=tenant.api_key),
                                  "/graphql", {"query": QUERY, "variables": {"first": first}}, tenant.api_key))
        pg_vars = {"clinic": tenant.clinic_id, "first": first}
        for version, query, pgl in peers:
            targets.append(Target(version.label, pgl.port, pgl.pid, graphql_op(query, pg_vars, token="none"),
                                  "/graphql", {"query": query, "variables": pg_vars}))
        raw_headers = {"Authorization": f"Bearer {tenant.api_key}"}

        async def raw_op(conn: Conn, _i: int) -> None:
            status, data = await conn.request("POST", f"/worklist?first={first}", b"", raw_headers)
            if status != 200:
                raise HttpError(f"HTTP {status}")

        targets.append(Target("raw (Core + json)", raw.port, raw.pid, raw_op, f"/worklist?first={first}", {},
                              tenant.api_key))

        # The same 100 studies in the same order from every server.
        reference = None
        for t in targets:
            doc, _size = await _fetch(t)
            nodes = _nodes(t.name, doc)
            ids = [n["id"] for n in nodes]
            assigned = sum(1 for n in nodes if n.get("assignedTo") or n.get("userByAssignedToId"))
            if len(ids) != first or assigned == 0:
                raise RuntimeError(f"{t.name}: {len(ids)} studies, {assigned} assigned")
            if reference is None:
                reference = ids
            elif ids != reference:
                raise RuntimeError(f"{t.name} returns other studies than {targets[0].name}")

        pg = await database.PgBackends.open()
        try:
            results = await _measure(ctx, targets, pg)
        finally:
            await pg.close()
    finally:
        for p in started:
            procs.stop(p)

    counts = await count_statements(tenant, cache)
    wire = await count_on_wire(ctx, tenant, [(version, query) for version, query, _proc in peers], cache)
    _print(ctx, results, counts, wire, why_no_pg, cache)


def _print(ctx: Bench, results: list[Result], counts: dict, wire: dict, why_no_pg: dict[str, str], cache: bool) -> None:
    n = results[0].latency.ok + results[0].latency.errors
    rows = []
    for r in results:
        rows.append([
            r.name, r.latency.pct(50) * 1e3, r.latency.pct(99) * 1e3, r.load.rate, r.load.pct(50) * 1e3,
            r.load.pct(99) * 1e3, r.cpu_per_req * 1e3, r.db_cpu_per_req * 1e3, r.bytes / 1024,
            r.latency.errors + r.load.errors,
        ])
    notes = [
        f"{WORKLIST_STUDIES:,} studies of one clinic on PostgreSQL; studies(first: 100, orderBy: PRIORITY), "
        "22 fields incl. assignedTo and reportMetadata.",
        f"c=1: {n} requests per server on one keep-alive connection after warm-up, in {ctx.scale(ROUNDS, 2)} rounds"
        " of a block per server in turn; c=8: 8 connections for "
        f"{ctx.scale(10, 3)} s, one server after another. CPU/req: server process (and bench DB backends) over the"
        " c=1 requests.",
        "raw = API-key lookup + page + users with SQLAlchemy Core, json.dumps, same uvicorn setup.",
        f"{OURS} runs as deployed on PostgreSQL, with its event bus there ({servers.BUS_URL.split('@')[-1]}):"
        " an API key's lookup is kept for 2 s while the bus, which carries revocations, is connected.",
    ]
    if cache:
        notes.append(f"{OURS}: AUTOSCRIBE_RESPONSE_CACHE_ENTRIES=0 (every request executed); {OURS_HIT}: default"
                     " settings, the same query repeated with no write in between, so answered from the cache.")
    for label, why in why_no_pg.items():
        notes.append(f"{label}: n/a: {why}")
    for r in results:
        if r.latency.first_error or r.load.first_error:
            notes.append(f"{r.name} error: {r.latency.first_error or r.load.first_error}")
    ctx.print(table(
        "1. Worklist query (HTTP, loopback)",
        ["server", "p50 ms c=1", "p99 ms c=1", "req/s c=8", "p50 ms c=8", "p99 ms c=8",
         "CPU ms/req", "DB CPU ms/req", "KiB/resp", "errors"],
        rows, notes,
    ))

    by = {r.name: r for r in results}
    # Each AutoScribe row against PostGraphile 5, 4 and raw; then each PostGraphile against raw.
    raw = by["raw (Core + json)"]
    bases = [(version.label, by.get(version.label)) for version, _query in PEERS] + [("raw", raw)]
    pairs = [(by[n], name, base) for n in (OURS, OURS_HIT) if n in by for name, base in bases]
    pairs += [(peer, "raw", raw) for _name, peer in bases[:-1] if peer]
    metrics = [
        ("server CPU per request", lambda r: r.cpu_per_req),
        ("p50 latency c=1", lambda r: r.latency.pct(50)),
        ("p99 latency c=1", lambda r: r.latency.pct(99)),
        ("requests/s c=8 (higher is better)", lambda r: r.load.rate),
    ]
    rows = [[label] + [x(ratio(get(top), get(base))) if base else "n/a" for top, _name, base in pairs]
            for label, get in metrics]
    headers = ["metric"] + [f"{top.name} / {name}" for top, name, _base in pairs]
    ctx.print(table("1. Worklist ratios", headers, rows))

    rows = []
    for name in wire:
        app = counts.get(name)
        w = wire[name]
        rows.append([
            name, app[10][0] if app else "-", app[100][0] if app else "-", app[100][1] if app else "-",
            w[10]["executes"], w[100]["executes"], w[10]["round_trips"], w[100]["round_trips"],
        ])
    grows = any(per[100][0] > per[10][0] for per in counts.values()) or any(
        w[100]["executes"] > w[10]["executes"] for w in wire.values())
    ctx.print(table(
        "1. SQL per worklist request (page sizes 10 and 100)",
        ["server", "app stmts 10", "app stmts 100", "pool checkouts", "wire executes 10", "wire executes 100",
         "round trips 10", "round trips 100"],
        rows,
        [
            "app stmts / pool checkouts: SQLAlchemy before_cursor_execute / checkout events on an in-process instance"
            " (httpx ASGITransport)" + (", response cache off." if cache else "."),
            "wire: frontend messages seen by a counting proxy in front of PostgreSQL: executes = Query + Execute"
            " (incl. BEGIN/ROLLBACK and pool pre-pings), round trips = Query + Sync.",
            "Grows with the page size: " + ("YES (N+1)" if grows else "no"),
        ],
    ))

