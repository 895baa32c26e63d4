"""Figure 2: subscription fan-out: one worklist event to 100 / 1,000 / 5,000 subscribers.

One `autoscribe serve` process; N graphql-transport-ws connections (client processes of
bench.wsclient, 2,500 connections each, fd limits raised on both sides), each subscribed to the
same `worklist` subscription of one clinic. Then, repeatedly: one mutation (updateStudy of a study
in the filter) and the time from sending it until the last subscriber has its event; p50/p99 over
the repetitions, and the server's CPU time per event.

Idle subscriptions cost CPU too (each connection re-checks its principal every
live_auth_check_seconds), so the server's CPU rate while idle is measured first and the figure
"net" of it is given beside the gross one.
"""

from __future__ import annotations

import asyncio
import time

from bench import database, servers
from bench.client import Conn, percentile
from bench.context import Bench
from bench.live import Subscribers, current_cursor
from bench.procs import cpu_seconds
from bench.report import table
from bench.subscriptions import subscriptions_missing

SIZES = (100, 1_000, 5_000)
HEADERS = ["subscribers", "p50 ms to last", "p99 ms to last", "max ms", "server CPU ms/event",
           "net of idle ms/event", "net µs/subscriber", "idle server CPU %", "client CPU ms/event"]
TITLE = "2. Subscription fan-out (one worklist event to N subscribers, one server process)"


async def run(ctx: Bench) -> None:
    why = subscriptions_missing()
    if why:
        ctx.print(table(TITLE, HEADERS, [[n] + ["n/a"] * (len(HEADERS) - 1) for n in SIZES], [f"n/a: {why}"]))
        return
    tenant = await ctx.tenant("Fan-out clinic", studies=100, radiologists=20)
    study_id = await database.any_study(await ctx.db(), tenant.clinic_id)
    rows, notes = [], []
    server = await servers.start_autoscribe(ctx.procs, "autoscribe-fanout")
    conn = Conn("127.0.0.1", server.port)
    mark = 0
    try:
        for n in SIZES:
            repeats = ctx.scale({100: 50, 1_000: 30, 5_000: 15}[n], 5)
            subs = Subscribers(ctx.procs, server.port, tenant.api_key, f"ws-fanout-{n}", ctx.key_maker(tenant))
            try:
                mark += 1
                cursor = await current_cursor(server.port, tenant.api_key, study_id, mark)
                t_open = time.monotonic()
                await subs.add(n, cursor)
                opened = time.monotonic() - t_open
                if subs.failed:
                    raise RuntimeError(f"{subs.failed:,} of {n:,} subscribers could not connect: {subs.first_error}")
                # The first event proves every subscription live (and warms the server); not counted.
                mark += 1
                await subs.event(conn, study_id, mark, timeout=300)
                # The server's CPU rate with these subscribers idle.
                # Two periods of the principal re-checks (every 5 s by default), which come in waves.
                idle_window = 10.0
                c0, t0 = cpu_seconds(server.pid), time.monotonic()
                await asyncio.sleep(idle_window)
                idle_rate = (cpu_seconds(server.pid) - c0) / (time.monotonic() - t0)

                latencies = []
                cpu0, client0, w0 = cpu_seconds(server.pid), subs.cpu(), time.monotonic()
                for _ in range(repeats):
                    mark += 1
                    latencies.append(await subs.event(conn, study_id, mark, timeout=300))
                    await asyncio.sleep(0.05)
                wall = time.monotonic() - w0
                gross = (cpu_seconds(server.pid) - cpu0) / repeats
                net = max(gross - idle_rate * wall / repeats, 0.0)
                client = (subs.cpu() - client0) / repeats
                status = await subs.status()
            finally:
                await subs.close()
            await asyncio.sleep(2.0)  # let the server drop the closed connections
            rows.append([n, percentile(latencies, 50) * 1e3, percentile(latencies, 99) * 1e3,
                         max(latencies) * 1e3, gross * 1e3, net * 1e3, net / n * 1e6, idle_rate * 100,
                         client * 1e3])
            note = f"{n:,}: {repeats} events; connections opened and subscribed in {opened:.1f} s"
            if subs.retried:
                note += f"; {subs.retried:,} connection attempts failed and were retried (first: {subs.first_error})"
            if status["ended"] or status["open"] < n:
                note += f"; at the end {status['open']:,} open, {status['ended']:,} subscriptions ended ({status['error']})"
            notes.append(note + ".")
            print(f"   {n:,} subscribers: p50 {rows[-1][1]:,.0f} ms, p99 {rows[-1][2]:,.0f} ms", flush=True)
    finally:
        await conn.close()
        ctx.procs.stop(server)
    ctx.print(table(TITLE, HEADERS, rows, [
        "Time from sending updateStudy until the last subscriber has received its event (the mutation's own"
        " time included); worklist(filter: {isCancelled: false}) selecting 14 fields incl. assignedTo.",
        "Server CPU per event over the repetitions (incl. the mutation); net: minus the idle rate measured just"
        " before with the same subscribers (idle server CPU %: of one core); client: the subscriber processes,"
        " on the same cores.",
        *notes,
    ]))
