"""Load test: mixed queries and mutations while 500 live subscribers watch, for a few minutes.

    .venv/bin/python -m bench.load [--seconds 180] [--subscribers 500] [--writers 8]

One `autoscribe serve` on the bench database. The subscribers all follow
worklist(filter: {isCancelled: false}); the writers run a mix of worklist queries (60%),
createStudy (20%) and updateStudy (20%), none of which cancels, so every committed change is an
event that every subscriber must receive. At the end it checks, for every subscriber, that it
received exactly the events of the log since it subscribed, in order, each once; that no request
failed; and it prints the server's memory over the run, which must stay flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

import websockets

from autoscribe.core.signing import Signer
from bench.client import Conn
from bench.database import SA_URL, SECRET_KEY, add_studies, add_tenant, lock_for_run, reset
from bench.procs import Procs, rss_bytes
from bench.servers import start_autoscribe
from bench.wsclient import raise_fd_limit
from autoscribe.db.engine import Database

SUBSCRIPTION = "subscription { worklist(filter: {isCancelled: false}) { cursor type study { id severity } } }"
WORKLIST = "{ studies(first: 50, orderBy: PRIORITY) { totalCount nodes { id severity assignedTo { id } } } }"
CREATE = "mutation($i: CreateStudyInput!) { createStudy(input: $i) { id } }"
UPDATE = "mutation($id: ID!, $s: Severity!) { updateStudy(id: $id, input: {severity: $s}) { id } }"
SIGNER = Signer(SECRET_KEY)


class Subscriber:
    def __init__(self):
        self.seqs: list[int] = []
        self.errors: list[str] = []
        self.ready = asyncio.Event()

    async def run(self, url: str, token: str, stop: asyncio.Event) -> None:
        try:
            async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=60,
                                          max_size=None) as ws:
                await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
                assert json.loads(await ws.recv())["type"] == "connection_ack"
                await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
                self.ready.set()
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 1)
                    except TimeoutError:
                        continue
                    msg = json.loads(raw)
                    if msg["type"] == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif msg["type"] == "next" and not msg["payload"].get("errors"):
                        self.seqs.append(SIGNER.verify("event-cursor", msg["payload"]["data"]["worklist"]["cursor"])["s"])
                    elif msg["type"] != "next" or msg["payload"].get("errors"):
                        self.errors.append(str(msg)[:300])
        except Exception as exc:  # noqa: BLE001 - counted, reported
            self.errors.append(f"{type(exc).__name__}: {exc}")
            self.ready.set()


async def writer(port: int, token: str, study_ids: list[str], stop: asyncio.Event, stats: dict, rng: random.Random):
    conn = Conn("127.0.0.1", port)
    await conn.open()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    try:
        while not stop.is_set():
            pick = rng.random()
            if pick < 0.6:
                kind, body = "query", {"query": WORKLIST}
            elif pick < 0.8:
                n = stats["created"] = stats.get("created", 0) + 1
                kind, body = "create", {"query": CREATE, "variables": {"i": {
                    "studyInstanceUid": f"2.25.{int(time.time())}.{n}.{rng.randrange(10**9)}",
                    "studyDescription": "Load CT", "severity": rng.choice(["STAT", "HIGH", "NORMAL"]),
                    "reportMetadata": {"patientName": "Load^Test"}}}}
            else:
                kind, body = "update", {"query": UPDATE, "variables": {
                    "id": rng.choice(study_ids), "s": rng.choice(["STAT", "HIGH", "NORMAL"])}}
            started = time.perf_counter()
            status, data = await conn.request("POST", "/graphql", json.dumps(body).encode(), headers)
            stats.setdefault("latency", []).append(time.perf_counter() - started)
            stats[kind] = stats.get(kind, 0) + 1
            if status != 200 or b'"errors"' in data:
                stats.setdefault("failures", []).append(f"{kind}: HTTP {status} {data[:200]!r}")
    finally:
        await conn.close()


async def main(seconds: float, subscribers: int, writers: int) -> int:
    raise_fd_limit()
    lock = await lock_for_run()
    procs = Procs(Path(tempfile.mkdtemp(prefix="autoscribe-load-")))
    try:
        await reset()
        db = Database(SA_URL)
        tenant = await add_tenant(db, "Load Imaging", 10)
        await add_studies(db, tenant, 500)
        async with db.read() as session:
            from sqlalchemy import select

            from autoscribe.db.models import Clinic, Study
            study_ids = list((await session.scalars(select(Study.id).where(Study.clinic_id == tenant.clinic_id))).all())
        server = await start_autoscribe(procs, "server", max_connections_per_key=str(subscribers + 10))
        url = f"ws://127.0.0.1:{server.port}/graphql"
        stop_subs = asyncio.Event()
        subs = [Subscriber() for _ in range(subscribers)]
        tasks = []
        for i, sub in enumerate(subs):
            tasks.append(asyncio.create_task(sub.run(url, tenant.api_key, stop_subs)))
            if i % 25 == 24:
                await asyncio.sleep(0.05)
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 120)
        await asyncio.sleep(1)
        async with db.read() as session:
            start_seq = await session.scalar(select(Clinic.event_seq).where(Clinic.id == tenant.clinic_id))
        print(f"{subscribers} subscribers connected; load for {seconds:.0f} s with {writers} writers", flush=True)

        rss = [(0.0, rss_bytes(server.pid))]
        stats: dict = {}
        stop = asyncio.Event()
        rng = random.Random(7)
        load = [asyncio.create_task(writer(server.port, tenant.api_key, study_ids, stop, stats, random.Random(rng.random())))
                for _ in range(writers)]
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            await asyncio.sleep(min(10, seconds))
            rss.append((time.monotonic() - began, rss_bytes(server.pid)))
            print(f"  {rss[-1][0]:5.0f} s: {stats.get('query', 0)} queries, {stats.get('create', 0)} creates, "
                  f"{stats.get('update', 0)} updates, RSS {rss[-1][1] / 2**20:.0f} MiB", flush=True)
        stop.set()
        await asyncio.gather(*load)
        async with db.read() as session:
            end_seq = await session.scalar(select(Clinic.event_seq).where(Clinic.id == tenant.clinic_id))
        expected = list(range(start_seq + 1, end_seq + 1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(s.seqs[-1:] != expected[-1:] for s in subs if not s.errors):
            await asyncio.sleep(0.5)
        stop_subs.set()
        await asyncio.gather(*tasks)
        await db.dispose()

        exact = sum(1 for s in subs if s.seqs == expected)
        lost = sum(len(set(expected) - set(s.seqs)) for s in subs)
        doubled = sum(len(s.seqs) - len(set(s.seqs)) for s in subs)
        sub_errors = [e for s in subs for e in s.errors]
        failures = stats.get("failures", [])
        lat = sorted(stats.get("latency", [0]))
        steady = [b for t, b in rss if t >= min(30, seconds / 3)] or [rss[-1][1]]
        growth = (rss[-1][1] - steady[0]) / 2**20
        print()
        print("Load test (one process, PostgreSQL)")
        print("===================================")
        rows = [
            ("duration s", f"{seconds:.0f}"),
            ("subscribers", subscribers),
            ("requests", f"{len(lat)} ({stats.get('query', 0)} queries, {stats.get('create', 0)} creates, "
                         f"{stats.get('update', 0)} updates)"),
            ("requests/s", f"{len(lat) / seconds:.1f}"),
            ("latency p50 / p99 ms", f"{lat[len(lat) // 2] * 1000:.1f} / {lat[int(len(lat) * 0.99)] * 1000:.1f}"),
            ("failed requests", len(failures)),
            ("events committed", len(expected)),
            ("subscribers with exactly those, in order", f"{exact} of {subscribers}"),
            ("events lost / doubled (all subscribers)", f"{lost} / {doubled}"),
            ("subscriber errors", len(sub_errors)),
            ("server RSS start / end / max MiB", f"{rss[0][1] / 2**20:.0f} / {rss[-1][1] / 2**20:.0f} / "
                                                 f"{max(b for _, b in rss) / 2**20:.0f}"),
            ("RSS growth after warm-up MiB", f"{growth:.1f}"),
        ]
        width = max(len(k) for k, _ in rows)
        for k, v in rows:
            print(f"{k:<{width}}  {v}")
        for line in (failures + sub_errors)[:5]:
            print("  e.g.", line)
        ok = not failures and not sub_errors and exact == subscribers
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        procs.stop_all()
        await lock.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    raise SystemExit(asyncio.run(main(args.seconds, args.subscribers, args.writers)))
