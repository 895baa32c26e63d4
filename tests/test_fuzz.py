"""Generated operations from our own schema (hypothesis-graphql), against the app and against a real
`autoscribe serve` process: queries and mutations over HTTP, subscriptions over WebSocket. Whatever is asked, by whomever: no INTERNAL_SERVER_ERROR, no 5xx, a
SPEC §6 code on every error (BAD_USER_INPUT from a field names the input at fault), and nothing of
the server's insides (tracebacks, SQL, driver names, the secret key) in any response.

Bounded and reproducible for CI: a fixed number of examples (AUTOSCRIBE_FUZZ_EXAMPLES scales it)
drawn with derandomize=True; the IDs and strings the operations use come from data seeded for the
run, so that mutations get past ID lookups into the code behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json

import httpx
import pytest

from tests.support.generated_operations import operations, seed, subscriptions, with_variables
from tests.support.live_server import ServeProcess
from tests.support.settings import TEST_SECRET
from tests.support.ws_client import Closed, GraphQLWS

CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "CURSOR_EXPIRED", "RATE_LIMITED"}
LEAKS = ("Traceback", "sqlalchemy", "SELECT ", "asyncpg", "sqlite3", "aiosqlite", 'File "', TEST_SECRET)


async def run_subscriptions(url: str, api, data: dict, docs: list[str]) -> list[str]:
    """Subscribe to every document (spread over one connection per token), make a change so that
    live ones have something to say, and check every message that arrives within a second."""
    found: list[str] = []
    tokens = [t for t in dict.fromkeys(data["tokens"]) if t]
    async with contextlib.AsyncExitStack() as stack:
        subs = []
        for i, token in enumerate(tokens):
            try:
                ws = await stack.enter_async_context(GraphQLWS.connect(url, token=token))
            except Closed as refused:  # a user the generated mutations revoked
                assert refused.code == 4403, refused
                continue
            for doc in docs[i::len(tokens)][:90]:
                subs.append((doc, token, await ws.subscribe(doc)))
        await api("mutation($id: ID!) { updateStudy(id: $id, input: {studyDescription: \"CT Head\"}) { id } }",
                  {"id": data["ids"][-1]}, token=data["tokens"][0])
        await asyncio.sleep(1)
        for doc, token, sub in subs:
            while not sub.messages.empty():
                message = sub.messages.get_nowait()
                text = json.dumps(message)
                if message["type"] == "closed":
                    found.append(f"connection closed {message}\n  operation: {doc}")
                    break
                errors = message.get("payload") if message["type"] == "error" else (message.get("payload") or {}).get(
                    "errors")
                found.extend(violations(doc, token, 200, json.dumps({"errors": errors or []}), text))
    return found


def violations(operation: str, token: str | None, status: int, text: str, whole: str | None = None,
               sent: str | None = None) -> list[str]:
    """What is wrong with one response (empty when nothing is); `whole` is what to search for
    leaks when `text` is only its errors. `sent` is the whole request (`operation` by default): what
    it carries itself may come back quoted in an error and is no leak (hypothesis draws strings from
    our own source, "SELECT 1" among them)."""
    found = []
    where = f"\n  operation: {operation}\n  as: {(token or 'anonymous')[:4]}\n  response {status}: {text[:800]}"
    if status >= 500:
        found.append(f"status {status}{where}")
    leaked = [s for s in LEAKS if s in (whole or text) and s not in (sent or operation)]
    if leaked:
        found.append(f"leaked {leaked}{where}")
    try:
        body = json.loads(text)
    except ValueError:
        return found + [f"not JSON{where}"]
    for error in body.get("errors") or []:
        ext = error.get("extensions") or {}
        code = ext.get("code")
        if code not in CODES:
            found.append(f"code {code!r}: {error.get('message')}{where}")
        elif code == "BAD_USER_INPUT" and not ext.get("field") and (
            error.get("path") or error.get("message", "").startswith("Variable '$")
        ):
            found.append(f"BAD_USER_INPUT without a field: {error.get('message')}{where}")
    return found


async def run(client: httpx.AsyncClient, ops: list, tokens: list[str | None], concurrency: int = 8) -> list[str]:
    """Send every operation (a document, or a document and its variables), each as one of the
    tokens in turn; the violations found."""
    found: list[str] = []
    queue = list(zip(ops, itertools.cycle(tokens)))

    async def worker():
        while queue:
            operation, token = queue.pop()
            query, variables = operation if isinstance(operation, tuple) else (operation, None)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {"query": query} if variables is None else {"query": query, "variables": variables}
            response = await client.post("/graphql", json=body, headers=headers)
            shown = query if variables is None else f"{query}\n  variables: {json.dumps(variables)[:400]}"
            found.extend(violations(shown, token, response.status_code, response.text, sent=json.dumps(body)))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return found


def report(found: list[str], total: int) -> str:
    return f"{len(found)} violations in {total} operations; the first ones:\n" + "\n".join(found[:8])


# Hundreds of generated requests: over a minute on a busy 2-core machine.
@pytest.mark.timeout(600)
async def test_generated_operations_against_the_app(api, http, services, clinic):
    data = await seed(api, services, clinic)
    ops = operations(data, 400, 600, 150) + with_variables(data, 300)
    found = await run(http, ops, data["tokens"])
    assert not found, report(found, len(ops))


# Hundreds of generated requests: over a minute on a busy 2-core machine.
@pytest.mark.timeout(600)
async def test_generated_subscriptions_over_websocket(api, services, clinic, ws_url):
    data = await seed(api, services, clinic)
    docs = subscriptions(data, 300)
    found = await run_subscriptions(ws_url, api, data, docs)
    assert not found, report(found, len(docs))


# Hundreds of generated requests: over a minute on a busy 2-core machine.
@pytest.mark.timeout(600)
async def test_generated_operations_against_a_served_process(database_url, api, services, clinic, tmp_path):
    data = await seed(api, services, clinic)
    server = await ServeProcess(database_url, log=tmp_path / "serve.log", public_url="http://testserver").start()
    try:
        ops = operations(data, 400, 600, 150)[::3] + with_variables(data, 300)[::3]
        async with httpx.AsyncClient(base_url=f"http://{server.host}", timeout=30) as client:
            found = await run_subscriptions(f"ws://{server.host}/graphql", api, data, subscriptions(data, 300)[::3])
            found += await run(client, ops, data["tokens"])
    finally:
        server.stop()
    assert not found, report(found, len(ops))
