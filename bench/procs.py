"""The processes a benchmark run starts, and the measurements taken of them from /proc.

Every child is started in its own session (process group) and registered here; `Procs.stop_all`
ends each group it started, by its ID: SIGTERM, then SIGKILL after a grace period. `__main__`
calls it in a `finally`, so servers never outlive the run, even on an error or Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (its children not included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path
    port: int | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Procs:
    """Starts children and stops every one of them."""

    log_dir: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, argv: list[str], *, env: dict | None = None, cwd: str | None = None,
              port: int | None = None, pipes: bool = False) -> Proc:
        """Start `argv` in its own process group; its output goes to <log_dir>/<name>.log, or with
        `pipes` its stdin and stdout are pipes to this process (stderr still to the log)."""
        log_path = self.log_dir / f"{name}.log"
        log = open(log_path, "ab")
        try:
            popen = subprocess.Popen(
                argv,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
                stdout=subprocess.PIPE if pipes else log,
                stderr=log if pipes else subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        proc = Proc(name, popen, log_path, port)
        self.procs.append(proc)
        return proc

    def wait_http(self, proc: Proc, path: str, timeout: float = 60.0, post_json: bytes | None = None) -> None:
        """Until http://127.0.0.1:<port><path> answers 200 (to a GET, or to a POST of `post_json`),
        or fail with the process's log."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{proc.port}{path}"
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}:\n{proc.log_tail()}")
            request = urllib.request.Request(url)
            if post_json is not None:
                request = urllib.request.Request(url, data=post_json, headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{proc.name} did not answer {url} within {timeout:.0f} s:\n{proc.log_tail()}")

    def stop(self, proc: Proc, grace: float = 5.0) -> None:
        if proc in self.procs:
            self.procs.remove(proc)
        if proc.popen.stdin is not None:
            # A worker on pipes ends by itself when its stdin closes.
            try:
                proc.popen.stdin.close()
                proc.popen.wait(grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if proc.popen.poll() is not None:
            return
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.popen.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.popen.wait(5)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                print(f"could not stop {proc.name} (pid {proc.pid}): {exc}")


def _signal_group(pgid: int, sig: int) -> None:
    """Signal the process group that one of our children leads (its ID is the child's PID).

    Only called while that child is not yet reaped, so the ID cannot have been reused."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
