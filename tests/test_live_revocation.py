"""Revocation at once: when a user's access or an API key is revoked, its open subscriptions end
with UNAUTHENTICATED before any later event reaches them, shared or alone, whoever revoked it (a
mutation in the same process, or the command line in another one); the periodic re-check is set
far out here, so that only revocation itself can end them in time."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import WORKLIST, create, cursor_at, worklist_of
from tests.support.live_server import app_server
from tests.support.operator import new_key, revoke_cli
from tests.support.people_helpers import REVOKE_USER
from tests.support.settings import TEST_SECRET, settings_for
from tests.support.ws_client import GraphQLWS

# The same subscription with a fragment at its root: not shared (schema.multicast), so it runs alone.
WORKLIST_ALONE = """subscription($f: StudyFilter, $a: String) { ...W }
fragment W on Subscription {
  worklist(filter: $f, after: $a) { cursor occurredAt type study { id studyReportStatus isCancelled assignedTo { id } } }
}"""
STUDIES = "{ studies(first: 1) { nodes { id } } }"
# The periodic re-check: never within a test.
NO_RECHECK = 600


@pytest.fixture
async def server(database_url):
    async with app_server(settings_for(database_url, live_auth_check_seconds=NO_RECHECK,
                                       events_poll_seconds=0.2)) as served:
        yield served


@pytest.mark.parametrize("query", [WORKLIST, WORKLIST_ALONE], ids=["shared", "alone"])
async def test_a_revoked_users_subscription_ends_before_the_next_event(server, services, clinic, query):
    host, _svc, api = server
    user = await add_user(services, clinic.id)
    colleague = await add_user(services, clinic.id)
    cursor = cursor_at(clinic.id, 0)
    async with GraphQLWS.connect(f"ws://{host}/graphql", token=session_token(services, user)) as ws, \
            GraphQLWS.connect(f"ws://{host}/graphql", token=session_token(services, colleague)) as other:
        sub, kept = await ws.subscribe(query, {"a": cursor}), await other.subscribe(query, {"a": cursor})
        first = await create(api, clinic.key, "7.1")
        for s in (sub, kept):
            assert worklist_of([await s.next()]) == [("ADDED", first)]

        await api.ok(REVOKE_USER, {"id": user.id}, token=clinic.key)
        later = await create(api, clinic.key, "7.2")
        err = await sub.error(timeout=3)  # the next message: no event before it
        assert err["code"] == "UNAUTHENTICATED"
        await sub.nothing(0.3)
        # The colleague, on the same shared stream, goes on.
        assert worklist_of([await kept.next()]) == [("ADDED", later)]
        # The connection can start nothing more.
        assert (await (await ws.subscribe(query)).error())["code"] == "UNAUTHENTICATED"


async def test_a_revoked_users_idle_subscription_ends_at_once(server, services, clinic):
    host, _svc, api = server
    user = await add_user(services, clinic.id)
    async with GraphQLWS.connect(f"ws://{host}/graphql", token=session_token(services, user)) as ws:
        subs = [await ws.subscribe(q, {"a": cursor_at(clinic.id, 0)}) for q in (WORKLIST, WORKLIST_ALONE)]
        s = await create(api, clinic.key, "7.3")
        for sub in subs:
            assert worklist_of([await sub.next()]) == [("ADDED", s)]
        await api.ok(REVOKE_USER, {"id": user.id}, token=clinic.key)
        for sub in subs:
            assert (await sub.error(timeout=1))["code"] == "UNAUTHENTICATED"


async def test_a_key_revoked_on_the_command_line_ends_its_subscriptions_and_requests(
    server, database_url, clinic
):
    host, _svc, api = server
    key_id, key = await new_key(database_url, clinic.id)
    async with GraphQLWS.connect(f"ws://{host}/graphql", token=key) as ws:
        subs = [await ws.subscribe(q, {"a": cursor_at(clinic.id, 0)}) for q in (WORKLIST, WORKLIST_ALONE)]
        s = await create(api, key, "7.4")
        for sub in subs:
            assert worklist_of([await sub.next()]) == [("ADDED", s)]
        assert (await api.ok(STUDIES, token=key))["studies"]["nodes"]

        # memory:// reaches no other process: the server learns of it from the database.
        done = await asyncio.to_thread(revoke_cli, database_url, key_id, AUTOSCRIBE_SECRET_KEY=TEST_SECRET)
        assert done.returncode == 0, done.stderr
        assert (await api.error(STUDIES, token=key))["code"] == "UNAUTHENTICATED"
        await create(api, clinic.key, "7.5")
        for sub in subs:
            assert (await sub.error(timeout=3))["code"] == "UNAUTHENTICATED"
    # The clinic's other key goes on working.
    assert (await api.ok(STUDIES, token=clinic.key))["studies"]["nodes"]
