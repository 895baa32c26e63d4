"""Running servers for the live tests: the app under uvicorn in this process, `autoscribe serve`
as a subprocess, and a private redis-server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn

from autoscribe.server.app import create_app
from autoscribe.server.services import ServerServices
from autoscribe.core.settings import Settings
from tests.support.api import Api
from tests.support.settings import TEST_SECRET

AUTOSCRIBE = Path(sys.executable).with_name("autoscribe")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(app, port: int | None = None) -> AsyncIterator[str]:
    """Serve an app whose lifespan is already running (on `port`, else a free one); yields "127.0.0.1:<port>"."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def app_server(settings: Settings) -> AsyncIterator[tuple[str, ServerServices, Api]]:
    """A whole app of its own (its own bus) served in this process: (host:port, services, api)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with serving(app) as host:
            async with httpx.AsyncClient(base_url=f"http://{host}", timeout=30) as http:
                yield host, app.state.services, Api(http)


class ServeProcess:
    """`autoscribe serve` in a subprocess, configured through the environment as in production.

    `database_url=None` leaves the database to the default; `env` sets (a value of None: unsets)
    further environment variables; `cwd` is the folder it is started from."""

    def __init__(self, database_url: str | None, *, events_url: str = "memory://", log: Path,
                 env: dict[str, str | None] | None = None, cwd: Path | None = None, **settings):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "AUTOSCRIBE_DATABASE_URL": database_url,
            "AUTOSCRIBE_EVENTS_URL": events_url,
            "AUTOSCRIBE_SECRET_KEY": TEST_SECRET,
            "AUTOSCRIBE_LOG_LEVEL": "WARNING",
            **{f"AUTOSCRIBE_{k.upper()}": str(v) for k, v in settings.items()},
            **(env or {}),
        }
        self.env = {k: v for k, v in self.env.items() if v is not None}
        self.cwd = cwd
        self.log = log
        self.proc: subprocess.Popen | None = None

    async def start(self) -> ServeProcess:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [str(AUTOSCRIBE), "serve", "--port", str(self.port)], env=self.env, cwd=self.cwd,
                stdout=out, stderr=out,
            )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"autoscribe serve exited: {self.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://{self.host}/readyz")).status_code == 200:
                        return self
                if time.monotonic() > deadline:
                    raise TimeoutError(f"autoscribe serve did not become ready: {self.log.read_text()[-3000:]}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """Gone at once, as in a crash: no graceful shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.asynccontextmanager
async def api_at(host: str) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=f"http://{host}", timeout=30) as http:
        yield Api(http)


class RedisServer:
    """A redis-server of the test's own on a free port, so that the shared one is never disturbed."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    async def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
