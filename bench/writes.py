"""Figure 4: writes per second: createStudy, and the report cycle createStudy (assigned) ->
startReport -> signReport, with one and two `autoscribe serve` processes on one database."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench import database, servers
from bench.client import Conn, HttpError, Run, concurrent
from bench.context import Bench
from bench.procs import Proc, cpu_seconds
from bench.report import table

TARGET_CREATES_PER_SECOND = 500
CONCURRENCY = 16
# The event bus of the two processes (several processes need a shared one).
EVENTS_URL = servers.BUS_URL

CREATE = """mutation Create($in: CreateStudyInput!) { createStudy(input: $in) { id studyReportStatus } }"""
START = """mutation Start($study: ID!, $user: ID!) { startReport(studyId: $study, userId: $user) { id status } }"""
SIGN = """mutation Sign($id: ID!, $text: String!) {
  signReport(id: $id, isCritical: false, plainText: $text) { id status signedAt } }"""
REPORT_TEXT = (
    "FINDINGS: No acute intracranial hemorrhage, mass effect or midline shift. Ventricles and sulci are "
    "normal for age. IMPRESSION: No acute intracranial abnormality."
)


def cycle_missing() -> str | None:
    """None when the schema has startReport and signReport, else why the cycle cannot run."""
    sdl = Path(__file__).resolve().parent.parent / "schema.graphql"
    try:
        text = sdl.read_text()
    except OSError:
        return "no schema.graphql"
    missing = [m for m in ("startReport(", "signReport(") if m not in text]
    return f"not built ({', '.join(m[:-1] for m in missing)} missing from schema.graphql)" if missing else None


def _study_input(uid: str, assigned_to: str | None) -> dict:
    data = {
        "studyInstanceUid": uid,
        "studyDescription": "CT Head without contrast",
        "severity": "NORMAL",
        "modality": "CT",
        "clinicalIndication": "Headache.",
        "reportMetadata": {
            "patientName": "Doe^Jane", "mrn": "MRN0000001", "dateOfBirth": "1970-01-01", "sex": "FEMALE",
            "studyDate": "2024-05-01", "studyTime": "09:30",
        },
    }
    if assigned_to:
        data["assignedTo"] = assigned_to
    return data


async def _post(conn: Conn, token: str, query: str, variables: dict) -> dict:
    status, data = await conn.post_json("/graphql", {"query": query, "variables": variables},
                                        {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise HttpError(f"HTTP {status}: {data[:200]!r}")
    doc = json.loads(data)
    if doc.get("errors"):
        raise HttpError(json.dumps(doc["errors"])[:300])
    return doc["data"]


@dataclass
class Phase:
    label: str
    processes: int
    run: Run
    cpu_per_op: float
    db_cpu_per_op: float
    client_cpu_per_op: float


async def _phase(ctx: Bench, label: str, procs: list[Proc], op_for, pg: database.PgBackends) -> Phase:
    duration = ctx.scale(10.0, 3.0)
    cpu0, db0, me0 = sum(cpu_seconds(p.pid) for p in procs), await pg.snapshot(), time.process_time()
    run = await concurrent([("127.0.0.1", p.port) for p in procs], op_for, CONCURRENCY, duration, warmup=1.0)
    cpu1, db1, me1 = sum(cpu_seconds(p.pid) for p in procs), await pg.snapshot(), time.process_time()
    # CPU over warm-up and measurement: divide by every op done in that time (estimated from the rate).
    total_ops = max(run.rate * (duration + 1.0), 1)
    return Phase(label, len(procs), run, (cpu1 - cpu0) / total_ops, pg.used(db0, db1) / total_ops,
                 (me1 - me0) / total_ops)


async def run(ctx: Bench) -> None:
    tenant = await ctx.tenant("Southside Radiology (writes)", radiologists=20)
    # For the diagnostic row: one clinic per client connection.
    spread = [await ctx.tenant(f"Writes clinic {k + 1}", radiologists=0) for k in range(CONCURRENCY)]
    why_no_cycle = cycle_missing()
    started: list[Proc] = []
    phases: list[Phase] = []
    bus = EVENTS_URL
    try:
        for i in range(2):
            started.append(await servers.start_autoscribe(ctx.procs, f"autoscribe-writes-{i + 1}", events_url=bus))
        pg = await database.PgBackends.open()
        try:
            for n_proc in (1, 2):
                tag = f"{n_proc}{os.getpid() % 100000}"

                def create_for(w: int, tag=tag):
                    async def op(conn: Conn, i: int) -> None:
                        uid = f"1.2.826.0.1.3680043.11.{tag}.{w + 1}.{i + 1}"
                        await _post(conn, tenant.api_key, CREATE, {"in": _study_input(uid, None)})

                    return op

                phases.append(await _phase(ctx, "createStudy", started[:n_proc], create_for, pg))

            def spread_for(w: int):
                key = spread[w].api_key

                async def op(conn: Conn, i: int) -> None:
                    uid = f"1.2.826.0.1.3680043.13.{os.getpid() % 100000}.{w + 1}.{i + 1}"
                    await _post(conn, key, CREATE, {"in": _study_input(uid, None)})

                return op

            phases.append(await _phase(ctx, f"createStudy, {CONCURRENCY} clinics", started, spread_for, pg))

            for n_proc in (1, 2):
                if why_no_cycle:
                    break
                tag = f"{n_proc}{os.getpid() % 100000}"

                def cycle_for(w: int, tag=tag):
                    user = tenant.radiologists[w % len(tenant.radiologists)]

                    async def op(conn: Conn, i: int) -> None:
                        uid = f"1.2.826.0.1.3680043.12.{tag}.{w + 1}.{i + 1}"
                        study = (await _post(conn, tenant.api_key, CREATE, {"in": _study_input(uid, user)}))["createStudy"]
                        report = (await _post(conn, tenant.api_key, START, {"study": study["id"], "user": user}))["startReport"]
                        signed = (await _post(conn, tenant.api_key, SIGN, {"id": report["id"], "text": REPORT_TEXT}))["signReport"]
                        if signed["status"] != "COMPLETED":
                            raise HttpError(f"signed report is {signed['status']}")

                    return op

                phases.append(await _phase(ctx, "report cycle", started[:n_proc], cycle_for, pg))
        finally:
            await pg.close()
    finally:
        for p in started:
            ctx.procs.stop(p)

    cores = os.cpu_count() or 1
    rows = []
    for ph in phases:
        cpu = ph.cpu_per_op + ph.db_cpu_per_op + ph.client_cpu_per_op
        rows.append([ph.label, ph.processes, ph.run.rate, ph.run.pct(50) * 1e3, ph.run.pct(99) * 1e3,
                     ph.cpu_per_op * 1e3, ph.db_cpu_per_op * 1e3, ph.client_cpu_per_op * 1e3,
                     ph.run.rate * cpu, cores / cpu if cpu else "-", ph.run.errors])
    if why_no_cycle:
        rows += [["report cycle", n, f"n/a: {why_no_cycle}"] + ["-"] * 8 for n in (1, 2)]
    two = next((ph for ph in phases if ph.label == "createStudy" and ph.processes == 2), None)
    met = two is not None and two.run.rate >= TARGET_CREATES_PER_SECOND
    notes = [
        f"Concurrency {CONCURRENCY} (connections spread over the processes), {ctx.scale(10, 3)} s each after 1 s warm-up;"
        " one clinic; event bus " + bus + ".",
        f"'createStudy, {CONCURRENCY} clinics' (diagnostic): each connection writes to its own clinic, so the per-clinic"
        " event-sequence row lock is not shared.",
        "report cycle = createStudy(assignedTo) -> startReport(userId) -> signReport (3 requests; the PDF is"
        " rendered by the server's worker process after signReport answers); rate in cycles/s.",
        "CPU ms/op: all server processes of the row, the bench DB backends, and the load generator, per operation.",
        f"cores busy: ops/s x those three CPU figures; CPU ceiling: the rate at which they would use all {cores}"
        " cores of this machine (what no tuning of locks or concurrency can pass without less CPU per operation).",
        f"Target >= {TARGET_CREATES_PER_SECOND} createStudy/s with two processes: "
        + (f"MET ({two.run.rate:,.0f}/s)" if met else f"NOT MET ({two.run.rate:,.0f}/s)" if two else "not measured"),
    ]
    for ph in phases:
        if ph.run.first_error:
            notes.append(f"{ph.label} x{ph.processes} first error: {ph.run.first_error}")
    ctx.print(table(
        "4. Writes (PostgreSQL, HTTP loopback)",
        ["operation", "processes", "ops/s", "p50 ms", "p99 ms", "server CPU ms/op", "DB CPU ms/op",
         "client CPU ms/op", "cores busy", "CPU ceiling ops/s", "errors"],
        rows, notes,
    ))
