"""Subscribers that share a document and visibility share one execution per event; re-checks of
their principals are shared per token (schema.multicast, autoscribe.auth_cache)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from autoscribe.schema import subscription
from autoscribe.server.engine import multicast
from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import WORKLIST, create, cursor_at, worklist_of
from tests.support.live_server import app_server
from tests.support.settings import settings_for
from tests.support.ws_client import GraphQLWS

REVOKE = "mutation($id: ID!) { revokeUserAccess(id: $id) { status } }"
LIVE = {"f": {"isCancelled": False}}


@pytest.fixture
def executions(monkeypatch):
    """How many times a subscription's selection was resolved, per study."""
    counts: dict[str, int] = {}
    original = subscription._current_study

    async def counting(info, change):
        counts[change.study_id] = counts.get(change.study_id, 0) + 1
        return await original(info, change)

    monkeypatch.setattr(subscription, "_current_study", counting)
    return counts


async def members_of(services, clinic_id: str, want: int, timeout: float = 5) -> list[int]:
    """Member counts of the clinic's groups, once they add up to `want` subscriptions."""
    deadline = time.monotonic() + timeout
    while True:
        sizes = sorted(len(g.members) for g in services.groups.groups.values()
                       if g.key[3][0] == clinic_id)
        if sum(sizes) >= want or time.monotonic() > deadline:
            return sizes
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def connections(url: str, tokens: list[str]):
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(GraphQLWS.connect(url, token=t)) for t in tokens]


@pytest.mark.perf
async def test_identical_subscribers_share_one_execution_per_event(ws_url, api, services, clinic, executions):
    async with connections(ws_url, [clinic.key] * 5) as wss:
        subs = [await ws.subscribe(WORKLIST, LIVE) for ws in wss]
        assert await members_of(services, clinic.id, 5) == [5]
        s = await create(api, clinic.key, "9.1")
        got = [await sub.next() for sub in subs]
        assert all(g == got[0] for g in got) and worklist_of([got[0]]) == [("ADDED", s)]
        assert executions == {s: 1}


async def test_different_variables_visibility_or_cursor_do_not_share(ws_url, api, services, clinic, executions):
    user = await add_user(services, clinic.id)
    tokens = [clinic.key, clinic.key, clinic.key, clinic.key, session_token(services, user)]
    async with connections(ws_url, tokens) as wss:
        subs = [
            await wss[0].subscribe(WORKLIST, LIVE),
            await wss[1].subscribe(WORKLIST, LIVE),  # the same as the first: shares with it
            await wss[2].subscribe(WORKLIST, {}),  # other variables
            await wss[3].subscribe(WORKLIST, {**LIVE, "a": cursor_at(clinic.id, 0)}),  # a cursor
            await wss[4].subscribe(WORKLIST, LIVE),  # a user with fewer rights than the API key
        ]
        assert await members_of(services, clinic.id, 5) == [1, 1, 1, 2]
        s = await create(api, clinic.key, "9.2")
        for sub in subs:
            assert worklist_of([await sub.next()]) == [("ADDED", s)]
        assert executions == {s: 4}


@pytest.mark.perf
async def test_subscribers_of_one_cursor_share_until_their_group_delivers(ws_url, api, services, clinic, executions):
    cursor = {**LIVE, "a": cursor_at(clinic.id, 0)}
    async with connections(ws_url, [clinic.key] * 3) as wss:
        first = [await wss[0].subscribe(WORKLIST, cursor), await wss[1].subscribe(WORKLIST, cursor)]
        assert await members_of(services, clinic.id, 2) == [2]
        s = await create(api, clinic.key, "9.3")
        assert [worklist_of([await sub.next()]) for sub in first] == [[("ADDED", s)]] * 2
        # The group has delivered: a later subscriber of the same cursor replays on its own.
        late = await wss[2].subscribe(WORKLIST, cursor)
        assert worklist_of([await late.next()]) == [("ADDED", s)]
        assert executions == {s: 2}  # once for the two, once for the late one
        t = await create(api, clinic.key, "9.3.1")
        for sub in [*first, late]:
            assert worklist_of([await sub.next()]) == [("ADDED", t)]
        assert executions == {s: 2, t: 2}


async def test_a_member_leaving_does_not_end_the_others(ws_url, api, services, clinic, executions):
    async with connections(ws_url, [clinic.key] * 2) as wss:
        subs = [await wss[0].subscribe(WORKLIST, LIVE), await wss[1].subscribe(WORKLIST, LIVE)]
        async with GraphQLWS.connect(ws_url, token=clinic.key) as leaving:
            await leaving.subscribe(WORKLIST, LIVE)
            assert await members_of(services, clinic.id, 3) == [3]
        await subs[0].complete()
        deadline = time.monotonic() + 5
        while await members_of(services, clinic.id, 0) != [1] and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert await members_of(services, clinic.id, 0) == [1]
        s = await create(api, clinic.key, "9.4")
        assert worklist_of([await subs[1].next()]) == [("ADDED", s)]
        assert executions == {s: 1}
        await subs[1].complete()
        deadline = time.monotonic() + 5
        while await members_of(services, clinic.id, 0) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert await members_of(services, clinic.id, 0) == []  # the last one out stopped the upstream


async def test_another_clinic_never_receives_the_groups_events(ws_url, api, services, clinic, other_clinic, executions):
    async with connections(ws_url, [clinic.key, clinic.key, other_clinic.key]) as wss:
        ours = [await wss[0].subscribe(WORKLIST, LIVE), await wss[1].subscribe(WORKLIST, LIVE)]
        theirs = await wss[2].subscribe(WORKLIST, LIVE)
        assert await members_of(services, clinic.id, 2) == [2]
        assert await members_of(services, other_clinic.id, 1) == [1]
        s = await create(api, clinic.key, "9.5")
        for sub in ours:
            assert worklist_of([await sub.next()]) == [("ADDED", s)]
        await theirs.nothing(0.5)
        t = await create(api, other_clinic.key, "9.5.1")
        assert worklist_of([await theirs.next()]) == [("ADDED", t)]
        for sub in ours:
            await sub.nothing(0.3)
        assert executions == {s: 1, t: 1}


def test_visibility_tells_admins_and_read_only_sessions_apart():
    from autoscribe.core.principal import Principal
    from autoscribe.db import enums
    from autoscribe.db.models import User

    def user(level, read_only=False):
        u = User(id="user_x", clinic_id="clinic_1", level=level, can_create_reports=True, can_manage_studies=False)
        return Principal(clinic_id="clinic_1", clinic_name="C", user=u, read_only=read_only)

    member, admin = user(enums.UserLevel.MEMBER), user(enums.UserLevel.ADMIN)
    reader = user(enums.UserLevel.ADMIN, read_only=True)
    keys = {multicast.visibility(p) for p in (member, admin, reader)}
    assert len(keys) == 3
    shared = multicast.SharedPrincipal(admin)
    assert shared.is_admin and shared.user_id is None and shared.api_key_id is None
    assert multicast.visibility(shared) == multicast.visibility(admin)


@pytest.fixture
async def recheck_server(database_url):
    async with app_server(settings_for(database_url, live_auth_check_seconds=0.3)) as server:
        yield server


async def test_a_revoked_member_ends_alone(recheck_server, services, clinic):
    host, svc, api = recheck_server
    admin = await add_user(services, clinic.id, level="ADMIN", has_dashboard_access=True)
    revoked, staying = await add_user(services, clinic.id), await add_user(services, clinic.id)
    url = f"ws://{host}/graphql"
    # The revoked user subscribes first: the group's execution must not depend on its connection.
    async with connections(url, [session_token(services, revoked), session_token(services, staying)]) as wss:
        gone = await wss[0].subscribe(WORKLIST, LIVE)
        await members_of(svc, clinic.id, 1)
        stays = await wss[1].subscribe(WORKLIST, LIVE)
        assert await members_of(svc, clinic.id, 2) == [2]
        await api.ok(REVOKE, {"id": revoked.id}, token=session_token(services, admin))
        assert (await gone.error(timeout=5))["code"] == "UNAUTHENTICATED"
        s = await create(api, clinic.key, "9.6")
        assert worklist_of([await stays.next()]) == [("ADDED", s)]
        await stays.nothing(0.8)  # several re-check intervals: still subscribed
        assert await members_of(svc, clinic.id, 0) == [1]


@pytest.mark.perf
async def test_connections_of_one_token_share_their_rechecks_and_revocation_stays_prompt(recheck_server, services,
                                                                                          clinic):
    host, svc, api = recheck_server
    admin = await add_user(services, clinic.id, level="ADMIN", has_dashboard_access=True)
    user = await add_user(services, clinic.id)
    token = session_token(services, user)
    cache = svc.auth
    async with connections(f"ws://{host}/graphql", [token] * 10) as wss:
        subs = [await ws.subscribe(WORKLIST, {"f": {"isCancelled": False}, "a": cursor_at(clinic.id, i)})
                for i, ws in enumerate(wss)]  # distinct cursors: ten subscriptions running alone
        await asyncio.sleep(0.2)
        misses, t0 = cache.misses, time.monotonic()
        await asyncio.sleep(1.5)
        # Without the cache: 10 connections x one check per 0.24-0.3 s = 50 or more queries.
        rounds = (time.monotonic() - t0) / cache.ttl
        assert cache.misses - misses <= rounds + 2, (cache.misses - misses, rounds)
        await api.ok(REVOKE, {"id": user.id}, token=session_token(services, admin))
        revoked_at = time.monotonic()
        for sub in subs:
            assert (await sub.error(timeout=5))["code"] == "UNAUTHENTICATED"
        # Within the re-check interval plus the cache's TTL (and some slack for a loaded machine).
        assert time.monotonic() - revoked_at <= 0.3 + cache.ttl + 1.0


@pytest.mark.perf
def test_a_shared_result_is_encoded_once_and_exactly_as_json_would():
    import json

    encoder = multicast.SharedJson(size=2)
    data = {"worklist": {"cursor": 'a"b', "n": 1, "none": None, "list": [1, {"ü": "é"}]}}
    for op_id in ("1", 'x"y', "7"):
        message = {"id": op_id, "type": "next", "payload": {"data": data}}
        assert encoder.encode(message) == json.dumps(message, separators=(",", ":"))
    assert len(encoder._encoded) == 1
    for other in ({"id": "1", "type": "next", "payload": {"data": None, "errors": []}}, {"type": "connection_ack"}):
        assert encoder.encode(other) is None


@pytest.mark.perf
async def test_shared_results_are_written_directly_and_match_an_unshared_subscription(ws_url, api, services, clinic):
    # A fragment at the root keeps a subscription out of any group: Strawberry sends its results.
    alone = WORKLIST.replace("{\n  worklist", "{ ...W }\nfragment W on Subscription {\n  worklist", 1)
    assert "...W" in alone
    groups = services.groups
    async with connections(ws_url, [clinic.key] * 3) as wss:
        shared = [await wss[0].subscribe(WORKLIST, LIVE), await wss[1].subscribe(WORKLIST, LIVE)]
        unshared = await wss[2].subscribe(alone, LIVE)
        assert await members_of(services, clinic.id, 2) == [2]
        written = groups.written
        s = await create(api, clinic.key, "9.6")
        reference = await unshared.next()
        assert worklist_of([reference]) == [("ADDED", s)]
        for sub in shared:
            assert await sub.message() == {"id": sub.id, "type": "next", "payload": {"data": reference}}
        assert groups.written - written == 2  # both members, straight to their sockets
