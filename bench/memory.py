"""Figure 3: server memory per idle subscription connection, at 1,000 and 10,000 connections.

One fresh `autoscribe serve` (fd limit raised: it inherits this process's raised limit). Its RSS
(from /proc) after warm-up, then after 1,000 and after 10,000 graphql-transport-ws connections,
each with one `worklist` subscription, each proved live by one event, then left idle until the
RSS settles. Also the server's CPU while those subscriptions are idle.
"""

from __future__ import annotations

import asyncio
import time

from bench import database, servers
from bench.client import Conn
from bench.context import Bench
from bench.live import Subscribers, current_cursor
from bench.procs import cpu_seconds, rss_bytes
from bench.report import table
from bench.subscriptions import subscriptions_missing

SIZES = (1_000, 10_000)
HEADERS = ["connections", "RSS MiB", "growth MiB", "KiB per connection", "idle server CPU %", "connect s",
           "live after 1 event"]
TITLE = "3. Server memory per idle subscription connection (one server process)"


async def _settled_rss(pid: int, window: float) -> int:
    """RSS once it changes by less than 1% over `window` seconds (at most 6 windows)."""
    last = rss_bytes(pid)
    for _ in range(6):
        await asyncio.sleep(window)
        now = rss_bytes(pid)
        if abs(now - last) < 0.01 * last:
            return now
        last = now
    return last


async def run(ctx: Bench) -> None:
    why = subscriptions_missing()
    if why:
        ctx.print(table(TITLE, HEADERS, [[n] + ["n/a"] * (len(HEADERS) - 1) for n in SIZES], [f"n/a: {why}"]))
        return
    tenant = await ctx.tenant("Fan-out clinic", studies=100, radiologists=20)
    study_id = await database.any_study(await ctx.db(), tenant.clinic_id)
    server = await servers.start_autoscribe(ctx.procs, "autoscribe-memory")
    conn = Conn("127.0.0.1", server.port)
    subs = Subscribers(ctx.procs, server.port, tenant.api_key, "ws-memory", ctx.key_maker(tenant))
    rows, notes = [], []
    window = ctx.scale(3.0, 2.0)
    try:
        # Warm-up: every code path of a subscription once, then back to no connections.
        warm = Subscribers(ctx.procs, server.port, tenant.api_key, "ws-memory-warm", ctx.key_maker(tenant))
        try:
            await warm.add(20, await current_cursor(server.port, tenant.api_key, study_id, 1))
            await warm.event(conn, study_id, 2)
        finally:
            await warm.close()
        await asyncio.sleep(2.0)
        base = await _settled_rss(server.pid, window)
        rows.append([0, base / 2**20, 0.0, "-", "-", "-", "-"])
        mark = 2
        for n in SIZES:
            mark += 1
            cursor = await current_cursor(server.port, tenant.api_key, study_id, mark)
            t0 = time.monotonic()
            await subs.add(n - subs.connected, cursor)
            opened = time.monotonic() - t0
            mark += 1
            live = "all"
            try:
                await subs.event(conn, study_id, mark, timeout=ctx.scale(300, 120))
            except TimeoutError:
                status = await subs.status()
                live = f"not all in time ({status['open']:,} open, {status['ended']:,} ended)"
            rss = await _settled_rss(server.pid, window)
            c0, w0 = cpu_seconds(server.pid), time.monotonic()
            await asyncio.sleep(10.0)  # two periods of the principal re-checks (5 s by default)
            idle = (cpu_seconds(server.pid) - c0) / (time.monotonic() - w0)
            status = await subs.status()
            connected = subs.connected
            rows.append([connected, rss / 2**20, (rss - base) / 2**20, (rss - base) / connected / 1024, idle * 100,
                         opened, live])
            note = f"{n:,}: {connected:,} connected"
            if subs.failed or subs.retried:
                note += f", {subs.failed:,} failed, {subs.retried:,} attempts retried (first: {subs.first_error})"
            note += f"; after the idle window {status['open']:,} open, {status['ended']:,} subscriptions ended"
            if status["error"]:
                note += f" (first: {status['error'][:160]})"
            notes.append(note + ".")
            print(f"   {connected:,} connections: {(rss - base) / connected / 1024:,.1f} KiB each, "
                  f"idle CPU {idle * 100:.0f}%", flush=True)
    finally:
        await subs.close()
        await conn.close()
        ctx.procs.stop(server)
    ctx.print(table(TITLE, HEADERS, rows, [
        "RSS from /proc/<pid>/statm after it settles; growth and per-connection figures against the warmed-up"
        " server with no connections (first row).",
        "idle server CPU %: of one core, over an idle window with the subscriptions open (principal re-checks,"
        " pings, polls); connect s: time to open and subscribe the added connections (25 handshakes in flight"
        " per client process).",
        *notes,
    ]))
