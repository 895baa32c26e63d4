"""Figure 5: the worklist's p99 on one server with and without a burst of sign-offs on the same
server (each sign-off has a PDF rendered), and whether every signed report got its PDF."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from bench import servers
from bench.client import Conn, Run, concurrent, graphql_op, percentile
from bench.context import WORKLIST_STUDIES, Bench
from bench.report import ratio, table, x
from bench.worklist import NO_CACHE, QUERY, has_response_cache
from bench.writes import CREATE, SIGN, START, REPORT_TEXT, _post, _study_input

CONCURRENCY = 4  # worklist connections
SIGNOFFS_PER_SECOND = 8  # a busy clinic's end of shift, paced (open loop)
SIGN_CONNECTIONS = 4
TARGET_RATIO = 1.5
PDF_WAIT_SECONDS = 120


async def _prepare(port: int, token: str, radiologists: list[str], n: int, tag: str) -> list[str]:
    """`n` reports in progress (a study assigned to a radiologist, started for them), made through
    the server: what the burst signs."""
    conn = Conn("127.0.0.1", port)
    reports = []
    try:
        for i in range(n):
            user = radiologists[i % len(radiologists)]
            uid = f"1.2.826.0.1.3680043.14.{tag}.{i + 1}"
            study = (await _post(conn, token, CREATE, {"in": _study_input(uid, user)}))["createStudy"]
            report = (await _post(conn, token, START, {"study": study["id"], "user": user}))["startReport"]
            reports.append(report["id"])
    finally:
        await conn.close()
    return reports


async def _sign_paced(port: int, token: str, reports: list[str], rate: float, stop: asyncio.Event,
                      latencies: list[float], signed: list[str], errors: list[str]) -> None:
    """Sign `reports` one every 1/rate s until `stop` (or none is left), each on a free connection of a
    small pool, without waiting for the previous one to answer."""
    pool: asyncio.Queue[Conn] = asyncio.Queue()
    conns = [Conn("127.0.0.1", port) for _ in range(SIGN_CONNECTIONS)]
    for c in conns:
        pool.put_nowait(c)
    tasks = []

    async def one(report_id: str) -> None:
        conn = await pool.get()
        t0 = time.perf_counter()
        try:
            await _post(conn, token, SIGN, {"id": report_id, "text": REPORT_TEXT})
        except Exception as exc:  # noqa: BLE001 - counted and reported
            errors.append(repr(exc)[:300])
            await conn.close()
        else:
            latencies.append(time.perf_counter() - t0)
            signed.append(report_id)
        finally:
            pool.put_nowait(conn)

    started = time.perf_counter()
    try:
        for k, report_id in enumerate(reports):
            delay = started + k / rate - time.perf_counter()
            if delay > 0:
                try:
                    async with asyncio.timeout(delay):
                        await stop.wait()
                except TimeoutError:
                    pass
            if stop.is_set():
                break
            tasks.append(asyncio.create_task(one(report_id)))
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in conns:
            await c.close()


async def _pdfs_kept(ctx: Bench, report_ids: list[str]) -> int:
    from autoscribe.db.models import ReportPdf

    if not report_ids:
        return 0
    db = await ctx.db()
    async with db.read() as session:
        return await session.scalar(
            select(func.count()).select_from(ReportPdf).where(ReportPdf.report_id.in_(report_ids))
        )


@dataclass
class Phase:
    """One server's worklist alone, then during the burst."""

    label: str
    quiet: Run
    busy: Run
    sign_latencies: list[float]
    signed: list[str]
    sign_errors: list[str]
    burst_seconds: float
    kept: int
    drained: float


async def _measure(ctx: Bench, tenant, label: str, tag: str, **settings: str) -> Phase:
    duration = ctx.scale(10.0, 4.0)
    warmup = 1.0
    server = await servers.start_autoscribe(ctx.procs, f"autoscribe-signoffs-{tag}",
                                            **(NO_CACHE if has_response_cache() else {}), **settings)
    try:
        n_reports = int(SIGNOFFS_PER_SECOND * (duration + warmup + 1)) + 4
        reports = await _prepare(server.port, tenant.api_key, tenant.radiologists, n_reports,
                                 f"{tag}{server.pid % 100000}")
        target = [("127.0.0.1", server.port)]
        op = graphql_op(QUERY, {"first": 100}, token=tenant.api_key)

        quiet = await concurrent(target, lambda _w: op, CONCURRENCY, duration, warmup=warmup)

        stop = asyncio.Event()
        sign_latencies: list[float] = []
        signed: list[str] = []
        sign_errors: list[str] = []
        burst = asyncio.create_task(_sign_paced(server.port, tenant.api_key, reports, SIGNOFFS_PER_SECOND, stop,
                                                sign_latencies, signed, sign_errors))
        try:
            busy = await concurrent(target, lambda _w: op, CONCURRENCY, duration, warmup=warmup)
        finally:
            stop.set()
            await burst

        waited = time.monotonic()
        kept = await _pdfs_kept(ctx, signed)
        while kept < len(signed) and time.monotonic() - waited < PDF_WAIT_SECONDS:
            await asyncio.sleep(0.2)
            kept = await _pdfs_kept(ctx, signed)
        drained = time.monotonic() - waited
        if not server.alive():
            raise RuntimeError(f"the server died:\n{server.log_tail()}")
    finally:
        ctx.procs.stop(server)
    return Phase(label, quiet, busy, sign_latencies, signed, sign_errors, duration + warmup, kept, drained)


async def _drop_queued_renders(ctx: Bench) -> int:
    """Drop the renders still queued by earlier figures (the report cycles of `writes`): otherwise
    this figure's servers would render that backlog, first, during both of its phases."""
    from autoscribe.db.models import PdfRender

    db = await ctx.db()
    async with db.write() as session:
        return (await session.execute(delete(PdfRender))).rowcount


async def run(ctx: Bench) -> None:
    tenant = await ctx.tenant("Eastside Imaging (sign-offs)", studies=WORKLIST_STUDIES)
    dropped = await _drop_queued_renders(ctx)
    # As deployed (a due render waits while the server is busy), then with renders started at once.
    phases = [
        await _measure(ctx, tenant, "renders wait while busy (default)", "1"),
        await _measure(ctx, tenant, "renders at once (pdf_render_defer_seconds=0)", "2",
                       pdf_render_defer_seconds="0"),
    ]
    _print(ctx, phases, dropped)


def _print(ctx: Bench, phases: list[Phase], dropped: int) -> None:
    rows = []
    for p in phases:
        rows.append([f"{p.label}: worklist alone", p.quiet.rate, p.quiet.pct(50) * 1e3, p.quiet.pct(99) * 1e3,
                     max(p.quiet.latencies, default=0) * 1e3, "-", "-", "-", p.quiet.errors])
        rows.append([f"{p.label}: worklist during sign-offs", p.busy.rate, p.busy.pct(50) * 1e3,
                     p.busy.pct(99) * 1e3, max(p.busy.latencies, default=0) * 1e3, len(p.signed) / p.burst_seconds,
                     percentile(p.sign_latencies, 50) * 1e3, percentile(p.sign_latencies, 99) * 1e3,
                     p.busy.errors + len(p.sign_errors)])
    notes = [
        f"One autoscribe serve (response cache off) per row pair, {WORKLIST_STUDIES:,} studies of one clinic;"
        f" worklist = studies(first: 100, orderBy: PRIORITY) with 22 fields on {CONCURRENCY} connections for"
        f" {ctx.scale(10, 4)} s after 1 s warm-up, first alone, then while signReport is sent"
        f" {SIGNOFFS_PER_SECOND} times a second (open loop, up to {SIGN_CONNECTIONS} in flight) to the same server.",
        "Each sign-off queues its PDF, rendered in the server's worker process (niced); by default a due render"
        " waits while the serving process is busy (pdf_render_busy_share of a core), at most"
        " pdf_render_defer_seconds (30 s).",
        f"Renders still queued by earlier figures, dropped before: {dropped:,} (so that only this figure's"
        " sign-offs are rendered).",
    ]
    for i, p in enumerate(phases):
        p99 = ratio(p.busy.pct(99), p.quiet.pct(99))
        verdict = ""
        if i == 0:
            met = p99 is not None and p99 <= TARGET_RATIO
            verdict = f"; target <= {TARGET_RATIO}x: {'MET' if met else 'NOT MET'}"
        notes.append(f"{p.label}: p99 during sign-offs / alone: {x(p99)}{verdict}; PDFs kept for the"
                     f" {len(p.signed)} signed reports: {p.kept}, {p.drained:.1f} s after the burst ended.")
        notes += [f"{p.label}: sign-off error: {e}" for e in p.sign_errors[:3]]
        for label, r in (("alone", p.quiet), ("during sign-offs", p.busy)):
            if r.first_error:
                notes.append(f"{p.label}: worklist {label} first error: {r.first_error}")
    ctx.print(table(
        "5. Worklist p99 during a burst of sign-offs (PostgreSQL, HTTP loopback)",
        ["phase", "worklist req/s", "p50 ms", "p99 ms", "max ms", "sign-offs/s", "sign p50 ms", "sign p99 ms",
         "errors"],
        rows, notes,
    ))
