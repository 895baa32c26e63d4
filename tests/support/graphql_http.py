"""The npm package graphql-http (the GraphQL-over-HTTP spec's audit suite), installed outside the
repository by .ci/run, and a run of its server audits with Node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

# Where .ci/run installs it (`npm install --prefix`); AUTOSCRIBE_GRAPHQL_HTTP_DIR names another folder.
DEFAULT_DIR = "/tmp/autoscribe-graphql-http"
SCRIPT = Path(__file__).with_name("graphql_http_audit.mjs")


def audit_suite() -> Path:
    """The folder whose node_modules holds graphql-http. Outside CI, a missing one skips the test;
    in CI (CI set) it fails it: the audit must run there."""
    folder = Path(os.environ.get("AUTOSCRIBE_GRAPHQL_HTTP_DIR", DEFAULT_DIR))
    missing = []
    if shutil.which("node") is None:
        missing.append("node is not on PATH")
    if not (folder / "node_modules" / "graphql-http" / "package.json").is_file():
        missing.append(f"graphql-http is not installed in {folder} (npm install --prefix {folder} graphql-http)")
    if missing:
        reason = "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"the GraphQL-over-HTTP audit cannot run in CI: {reason}")
        pytest.skip(reason)
    return folder


async def audit(folder: Path, url: str, token: str | None = None) -> list[dict]:
    """graphql-http's auditServer against `url` (every request with `token`, if given): its results."""
    args = [str(SCRIPT), str(folder), url] + ([token] if token else [])
    proc = await asyncio.create_subprocess_exec(
        "node", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    return json.loads(out)
