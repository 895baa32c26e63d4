"""Starting the servers under test: `autoscribe serve`, the raw baseline, and PostGraphile 4."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.database import DSN, SA_URL, SECRET_KEY
from bench.procs import Proc, Procs, free_port

POSTGRAPHILE_DIR = Path(os.environ.get("BENCH_POSTGRAPHILE_DIR", "/tmp/bench-postgraphile"))
POSTGRAPHILE_CLI = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js"


def autoscribe_argv() -> list[str]:
    script = Path(sys.executable).parent / "autoscribe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "autoscribe.server.cli"]


async def start_autoscribe(procs: Procs, name: str, **settings: str) -> Proc:
    """`autoscribe serve` on a free port against the bench database. `settings` are extra
    AUTOSCRIBE_* variables (lowercase names without the prefix)."""
    port = free_port()
    env = {
        "AUTOSCRIBE_DATABASE_URL": SA_URL,
        "AUTOSCRIBE_SECRET_KEY": SECRET_KEY,
        "AUTOSCRIBE_EVENTS_URL": "memory://",
        # Keep this run's wake-ups off the channel that other deployments on the same Redis use.
        "AUTOSCRIBE_EVENTS_CHANNEL": f"bench.{os.getpid()}.events",
        "AUTOSCRIBE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    env.update({f"AUTOSCRIBE_{k.upper()}": str(v) for k, v in settings.items()})
    proc = procs.start(name, [*autoscribe_argv(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                       env=env, port=port)
    await asyncio.to_thread(procs.wait_http, proc, "/readyz")
    return proc


async def start_raw(procs: Procs, name: str = "raw", database_url: str = SA_URL) -> Proc:
    port = free_port()
    proc = procs.start(name, [sys.executable, "-m", "bench.raw_app", "--port", str(port), "--database-url", database_url],
                       port=port)
    await asyncio.to_thread(procs.wait_http, proc, "/healthz")
    return proc


async def ensure_postgraphile(procs: Procs) -> str | None:
    """Install PostGraphile 4 outside the repository if it is not there; None when it is ready,
    else why it cannot be."""
    if POSTGRAPHILE_CLI.exists():
        return None
    if not shutil.which("npm") or not shutil.which("node"):
        return "node/npm not installed"
    POSTGRAPHILE_DIR.mkdir(parents=True, exist_ok=True)
    package = POSTGRAPHILE_DIR / "package.json"
    if not package.exists():
        package.write_text('{"name": "bench-postgraphile", "private": true}\n')
    print(f"installing postgraphile@4 into {POSTGRAPHILE_DIR} ...", flush=True)
    proc = procs.start("npm-install", ["npm", "install", "--no-audit", "--no-fund", "postgraphile@4"],
                       cwd=str(POSTGRAPHILE_DIR))
    try:
        await asyncio.to_thread(proc.popen.wait, 600)
    except subprocess.TimeoutExpired:
        procs.stop(proc)
        return "npm install timed out"
    procs.stop(proc)
    if not POSTGRAPHILE_CLI.exists():
        return f"npm install failed:\n{proc.log_tail()}"
    return None


async def start_postgraphile(procs: Procs, name: str = "postgraphile", dsn: str = DSN) -> Proc:
    port = free_port()
    argv = [
        shutil.which("node") or "node", str(POSTGRAPHILE_CLI),
        "--connection", dsn, "--schema", "public", "--dynamic-json",
        "--host", "127.0.0.1", "--port", str(port), "--disable-query-log",
    ]
    proc = procs.start(name, argv, env={"NODE_ENV": "production"}, port=port, cwd=str(POSTGRAPHILE_DIR))
    await asyncio.to_thread(procs.wait_http, proc, "/graphql", post_json=b'{"query": "{ __typename }"}')
    return proc
