"""A burst of new WebSocket connections is followed by one full garbage collection once it has
been quiet for a moment (autoscribe.server.engine.gc_after_bursts); a trickle of connections causes none."""

from __future__ import annotations

import asyncio
import gc

import pytest

from autoscribe.server.engine.gc_after_bursts import CollectAfterBursts

# How many collections the process makes, and when: the whole point is the time they take.
pytestmark = pytest.mark.perf


async def test_one_collection_after_a_burst_and_none_for_a_trickle(monkeypatch):
    collected = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(args) or 0)
    bursts = CollectAfterBursts(quiet_seconds=0.05, min_connections=10)

    for _ in range(25):  # a burst: each connection puts the collection off
        bursts.connected()
        await asyncio.sleep(0.01)
    assert collected == []
    await asyncio.sleep(0.1)
    assert len(collected) == 1 and bursts.collections == 1

    for _ in range(3):  # a trickle after it
        bursts.connected()
        await asyncio.sleep(0.1)
    assert len(collected) == 1


async def test_the_app_counts_accepted_connections(app, ws_url, clinic, monkeypatch):
    from tests.support.ws_client import Closed, GraphQLWS

    counted = CollectAfterBursts(quiet_seconds=60)
    monkeypatch.setattr(app.state.graphql, "bursts", counted)
    async with GraphQLWS.connect(ws_url, token=clinic.key), GraphQLWS.connect(ws_url, token=clinic.key):
        assert counted.new == 2
    try:
        async with GraphQLWS.connect(ws_url, token="ask_not-a-key"):
            pass
    except Closed:
        pass
    assert counted.new == 2  # a refused connection is not one
