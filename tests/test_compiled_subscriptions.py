"""A shared subscription's events are answered by the compiled plan of its selection, planned once
per group, byte for byte as the standard executor answers them (every `next` frame the same); a
selection the planner cannot plan is executed the standard way, whole; a revoked member ends as
it always did."""

from __future__ import annotations

import contextlib
import json

import pytest

from autoscribe.server.engine.compiled import planner
from autoscribe.server.engine.execution import COMPILED
from tests.support.clinics import add_user, session_token
from tests.support.compiled_seed import EVERY_FIELD, _seed
from tests.support.differential import two_servers
from tests.support.live_helpers import create, cursor_at
from tests.support.reports_helpers import signed_report
from tests.support.ws_client import GraphQLWS

REVOKE = "mutation($id: ID!) { revokeUserAccess(id: $id) { status } }"

EVERYTHING = f"""subscription($a: String) {{
  worklist(after: $a) {{ __typename cursor occurredAt type study {{ {EVERY_FIELD} }} }}
}}"""
# Aliases, named and inline fragments, __typename, @skip/@include by variables with a default.
SHAPED = """subscription W($a: String, $yes: Boolean!, $no: Boolean = false) {
  w: worklist(after: $a) {
    c: cursor kind: type __typename ...E
    study @include(if: $yes) { ...S assignedTo @skip(if: $no) { __typename id lastName } }
  }
}
fragment E on WorklistEvent { occurredAt study { id ... on Study { severity } ... { isCancelled } } }
fragment S on Study { id studyDescription @include(if: $no) reportMetadata { patientName height { value unit } } }"""
STATUS = """subscription($a: String) {
  reportStatusChanged(after: $a) {
    __typename cursor occurredAt studyReportStatus previousStudyReportStatus
    study { id studyReportStatus assignedTo { id email } createdByUser { firstName } }
    report { __typename id studyId userId status isAddendum isCritical createdAt updatedAt signedAt plainText
             snapshotMetadata { patientName mrn } }
  }
}"""
FILTERED = """subscription($a: String, $f: StudyFilter) {
  worklist(after: $a, filter: $f) { type study { id severity assignedTo { firstName } } }
}"""
# Fields the planner does not plan (a list of the study's reports, a report's author): the standard way.
UNPLANNED = """subscription($a: String) {
  reportStatusChanged(after: $a) { cursor study { id reports { id status } } report { id author { id } } }
}"""


async def _frames(url: str, token: str, query: str, variables: dict, count: int | None = None) -> list[str]:
    """Every frame of one subscription replayed from the clinic's first event (see _drained)."""
    async with GraphQLWS.connect(url, token=token) as ws:
        sub = await ws.subscribe(query, variables)
        await _drained(sub, count)
        return list(sub.frames)


async def _drained(sub, count: int | None = None) -> None:
    """`count` messages and then nothing more; without a count, the first and all that follow
    until it goes quiet."""
    if count is None:
        await sub.message()
        with contextlib.suppress(TimeoutError):
            while True:
                await sub.message(3)
    else:
        for _ in range(count):
            await sub.message()
        await sub.nothing(0.5)


async def _both(fast: str, standard: str, token: str, query: str, variables: dict) -> tuple[list[str], list[str]]:
    """The frames of the same subscription on each server: the standard one's first, then as many
    of the compiled one's."""
    theirs = await _frames(standard, token, query, variables)
    return await _frames(fast, token, query, variables, len(theirs)), theirs


async def _history(api, services, clinic) -> None:
    """Studies of every kind (assigned or not, full and empty metadata, one cancelled), and a report
    started and signed: the events of both subscriptions, with values and with nulls."""
    await _seed(api, services, clinic)
    await signed_report(api, services, clinic)


@pytest.fixture
def plannings(monkeypatch) -> list[str]:
    """The subscription root fields planned (the planner's event_root calls), with no plan kept
    from earlier tests (the same document text parses to the same document, whose plan is kept)."""
    made: list[str] = []
    original = planner.Planner.event_root
    monkeypatch.setattr(planner, "_PLANS", type(planner._PLANS)())

    def counting(self, key, details):
        made.append(key)
        return original(self, key, details)

    monkeypatch.setattr(planner.Planner, "event_root", counting)
    return made


@pytest.mark.parametrize("query, variables, way", [
    (EVERYTHING, {}, "compiled"),
    (SHAPED, {"yes": True}, "compiled"),
    (SHAPED, {"yes": True, "no": True}, "compiled"),
    (SHAPED, {"yes": False}, "compiled"),
    (STATUS, {}, "compiled"),
    (FILTERED, {"f": {"severity": ["STAT", "HIGH"]}}, "compiled"),
    (UNPLANNED, {}, "unplannable"),
], ids=["every-field", "shaped", "shaped-skip", "shaped-no-study", "status", "filtered", "unplanned"])
async def test_each_event_answers_as_the_standard_executor(database_url, api, services, clinic, plannings,
                                                           query, variables, way):
    await _history(api, services, clinic)
    variables = {**variables, "a": cursor_at(clinic.id, 0)}
    async with two_servers(database_url) as ((fast, _), (standard, _)):
        before = COMPILED.copy()
        ours, theirs = await _both(fast, standard, clinic.key, query, variables)
        went = COMPILED - before
    assert len(ours) >= 4 and all('"type":"next"' in frame for frame in ours)
    assert ours == theirs
    assert went == {way: len(ours)}
    # Planned (or found unplannable) once for the group, however many events it answered.
    assert plannings == [next(iter(_data(ours[0])))]


def _data(frame: str) -> dict:
    return json.loads(frame)["payload"]["data"]


async def test_nulls_and_users_come_out_as_the_standard_way_has_them(database_url, api, services, clinic):
    await _history(api, services, clinic)
    variables = {"a": cursor_at(clinic.id, 0)}
    async with two_servers(database_url) as ((fast, _), (standard, _)):
        ours, theirs = await _both(fast, standard, clinic.key, STATUS, variables)
    assert ours == theirs
    events = [_data(frame)["reportStatusChanged"] for frame in ours]
    assert any(e["report"] is None for e in events) and any(e["report"] is not None for e in events)
    assert any(e["previousStudyReportStatus"] is None for e in events)
    assert {e["study"]["assignedTo"]["email"] for e in events if e["study"]["assignedTo"]} != set()
    signed = [e["report"] for e in events if e["report"] and e["report"]["status"] == "COMPLETED"]
    assert signed and signed[0]["signedAt"] is not None and signed[0]["plainText"]


async def test_a_revoked_member_ends_the_same_way(database_url, api, services, clinic):
    await _history(api, services, clinic)
    user = await add_user(services, clinic.id)
    token = session_token(services, user)
    variables = {"a": cursor_at(clinic.id, 0)}
    # No periodic re-check within the test: each server ends the member on learning of the revocation,
    # the one that revoked at once, the other when a write of its own wakes it to read the log.
    async with two_servers(database_url, live_auth_check_seconds=600) as ((fast, fast_api), (standard, standard_api)):
        async with GraphQLWS.connect(fast, token=token) as ws_fast, GraphQLWS.connect(standard, token=token) as ws_std:
            theirs = await ws_std.subscribe(EVERYTHING, variables)
            await _drained(theirs)
            ours = await ws_fast.subscribe(EVERYTHING, variables)
            await _drained(ours, len(theirs.frames))
            await fast_api.ok(REVOKE, {"id": user.id}, token=clinic.key)
            await create(standard_api, clinic.key, "9.99")
            ended = [await sub.error() for sub in (ours, theirs)]
    assert ended[0]["code"] == "UNAUTHENTICATED" and ended[0] == ended[1]
    assert ours.frames == theirs.frames and len(ours.frames) >= 6
