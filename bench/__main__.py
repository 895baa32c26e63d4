"""python -m bench [--only worklist,writes] [--quick]: run the benchmarks and print their tables."""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import fanout, memory, profile, signoffs, worklist, writes
from bench.context import Bench
from bench.procs import Procs

# In the order they run; `profile` attaches py-spy to a server and breaks down the worklist query.
FIGURES = {
    "worklist": worklist.run,
    "fanout": fanout.run,
    "memory": memory.run,
    "writes": writes.run,
    "signoffs": signoffs.run,
    "profile": profile.run,
}


def _revision() -> str:
    """The commit measured, and whether the working tree differs from it (servers run the tree)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                 capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (f" + uncommitted changes to {len(changed)} tracked file(s)" if changed else "")


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _interrupt(_signum, _frame):
    """Ctrl-C and SIGTERM: leave the event loop at once, whatever it awaits, to stop the children.
    (asyncio's own Ctrl-C handling only cancels the main task, which an await may swallow.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


async def _main(ctx: Bench, names: list[str]) -> None:
    try:
        for name in names:
            started = time.monotonic()
            print(f"-- {name} ...", flush=True)
            await FIGURES[name](ctx)
            print(f"-- {name} done in {time.monotonic() - started:.0f} s\n", flush=True)
    finally:
        await ctx.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(FIGURES),
                        help=f"comma-separated figures to run, of: {', '.join(FIGURES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="shorter runs, for checking that it works")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}; known: {', '.join(FIGURES)}")
    names = [n for n in FIGURES if n in names]

    _raise_fd_limit()
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    log_dir = Path(tempfile.mkdtemp(prefix="autoscribe-bench-"))
    procs = Procs(log_dir)
    ctx = Bench(procs, quick=args.quick)
    print(f"bench: figures {', '.join(names)}{' (quick)' if args.quick else ''}; server logs in {log_dir}",
          flush=True)
    ctx.out.append(f"code measured: {_revision()}\n")
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    try:
        with runner:
            try:
                runner.run(_main(ctx, names))
            finally:
                # Before the runner closes: it waits for worker threads, which may be polling a server.
                procs.stop_all()
    except KeyboardInterrupt:
        print("\ninterrupted: the servers it started are stopped", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
    print("\n".join(ctx.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
