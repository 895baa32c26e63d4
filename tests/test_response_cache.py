"""The response cache: an unchanged worklist is answered without executing, and never stale."""

import contextlib

import httpx
import pytest
from sqlalchemy import update

from autoscribe.server.app import create_app
from autoscribe.operations.authentication import create_clinic
from autoscribe.db.models import Study
from autoscribe.operations import projected, studies
from tests.support.api import Api
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import UPDATE_USER
from tests.support.reports_helpers import signed_report
from tests.support.settings import settings_for
from tests.support.studies_helpers import create_study

WORKLIST = """query($first: Int) { studies(first: $first, orderBy: PRIORITY) {
  totalCount nodes { id studyDescription severity assignedTo { id firstName } } } }"""


def count_calls(monkeypatch, module, name: str) -> list:
    """A list that gains an item each time the resolver function `module.name` really runs."""
    calls = []
    real = getattr(module, name)

    async def counted(*args, **kwargs):
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@contextlib.asynccontextmanager
async def own_app(database_url: str, **settings):
    """An app instance of its own on the test database (as another server process would be): (app, api)."""
    app = create_app(settings_for(database_url, **settings))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield app, Api(c)


@pytest.fixture
def executions(monkeypatch):
    """How many times the studies query really ran (the standard way or compiled)."""
    calls = count_calls(monkeypatch, studies, "list_studies")
    compiled = count_calls(monkeypatch, projected, "study_rows")
    return _Both(calls, compiled)


class _Both:
    """The calls of both ways of running the studies query, counted as one list."""

    def __init__(self, *lists: list):
        self._lists = lists

    def __len__(self) -> int:
        return sum(len(calls) for calls in self._lists)


@pytest.mark.perf
async def test_unchanged_worklist_is_served_without_executing(api, clinic, executions):
    await create_study(api, clinic.key, uid="9.1")
    first = await api.ok(WORKLIST, {"first": 10}, token=clinic.key)
    again = await api.ok(WORKLIST, {"first": 10}, token=clinic.key)
    assert again == first and len(executions) == 1
    # Other variables are another answer.
    await api.ok(WORKLIST, {"first": 5}, token=clinic.key)
    assert len(executions) == 2


async def test_every_kind_of_change_is_seen_at_once(api, services, clinic, executions):
    rad = await add_user(services, clinic.id, first_name="Ada")
    s = await create_study(api, clinic.key, uid="9.2", assignedTo=rad.id)
    assert (await api.ok(WORKLIST, token=clinic.key))["studies"]["nodes"][0]["assignedTo"]["firstName"] == "Ada"

    await api.ok('mutation($id: ID!) { updateStudy(id: $id, input: {studyDescription: "CT Spine"}) { id } }',
                 {"id": s["id"]}, token=clinic.key)
    assert (await api.ok(WORKLIST, token=clinic.key))["studies"]["nodes"][0]["studyDescription"] == "CT Spine"

    # A change to another table that the answer shows: the assignee's name.
    await api.ok(UPDATE_USER, {"id": rad.id, "input": {"firstName": "Grace"}}, token=clinic.key)
    assert (await api.ok(WORKLIST, token=clinic.key))["studies"]["nodes"][0]["assignedTo"]["firstName"] == "Grace"

    # A bulk statement that says which clinic it touched.
    from autoscribe.db.versions import touch
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == s["id"]).values(study_description="MR Spine"))
        touch(session, clinic.id)
    assert (await api.ok(WORKLIST, token=clinic.key))["studies"]["nodes"][0]["studyDescription"] == "MR Spine"
    assert len(executions) == 4


async def test_callers_do_not_share_answers(api, services, clinic, other_clinic, executions):
    await create_study(api, clinic.key, uid="9.3")
    await create_study(api, other_clinic.key, uid="9.3")
    user = await add_user(services, clinic.id)
    await api.ok(WORKLIST, token=clinic.key)
    await api.ok(WORKLIST, token=session_token(services, user))
    theirs = await api.ok(WORKLIST, token=other_clinic.key)
    assert len(executions) == 3
    assert theirs["studies"]["totalCount"] == 1


async def test_time_dependent_fields_are_never_cached(api, services, clinic, monkeypatch):
    from autoscribe.operations import reports

    _study, report, _rad, _token = await signed_report(api, services, clinic)
    calls = count_calls(monkeypatch, reports, "get_report")
    query = "query($id: ID!) { report(id: $id) { id pdfUrl } }"
    for _ in range(2):
        assert (await api.ok(query, {"id": report["id"]}, token=clinic.key))["report"]["pdfUrl"]
    assert len(calls) == 2
    # Fragments too.
    frag = "query($id: ID!) { report(id: $id) { ...R } } fragment R on Report { pdfUrl }"
    from autoscribe.server.engine.response_cache import _cacheable_document
    assert not _cacheable_document(frag, None)
    assert _cacheable_document(WORKLIST, None)
    assert not _cacheable_document("mutation { cancelStudy(studyInstanceUid: \"1\") { id } }", None)


async def test_errors_are_not_cached(api, clinic, executions):
    for _ in range(2):
        err = await api.error("{ studies(first: 0) { totalCount } }", token=clinic.key)
        assert err["code"] == "BAD_USER_INPUT"
    assert len(executions) == 2


async def test_a_change_through_another_process_is_seen(database_url, api, clinic, executions):
    """Two app instances on one database, as two server processes would be."""
    await create_study(api, clinic.key, uid="9.4")
    async with own_app(database_url) as (_, api_b):
        before = await api_b.ok(WORKLIST, token=clinic.key)
        assert before["studies"]["totalCount"] == 1
        await create_study(api, clinic.key, uid="9.5")  # through the first instance
        after = await api_b.ok(WORKLIST, token=clinic.key)
    assert after["studies"]["totalCount"] == 2


async def test_each_commit_moves_the_version_once_and_a_refused_one_not_at_all(api, services, clinic):
    from autoscribe.db.versions import data_version

    async def version():
        return (await services.db.fetch(data_version(clinic.id))).scalar()

    start = await version()
    s = await create_study(api, clinic.key, uid="9.6")
    assert await version() == start + 1
    await api.error('mutation { createStudy(input: {studyInstanceUid: "9.6", studyDescription: "x", severity: STAT, '
                    'reportMetadata: {}}) { id } }', token=clinic.key)
    await api.error('mutation($id: ID!) { updateStudy(id: $id, input: {studyDescription: " "}) { id } }',
                    {"id": s["id"]}, token=clinic.key)
    assert await version() == start + 1


@pytest.mark.perf
async def test_the_response_cache_is_bounded_by_bytes(database_url, executions):
    async with own_app(database_url, response_cache_bytes=8000) as (app, api):
        key = (await create_clinic(app.state.services.db, "Bytes Imaging"))[1]
        for i in range(12):
            await create_study(api, key, uid=f"7.9.{i}", studyDescription="CT Head " + "x" * 120)
        cache = app.state.graphql.responses

        # Answers of ~200 bytes per study: the oldest go once about 8,000 bytes of others are held.
        for first in range(1, 5):
            await api.ok(WORKLIST, {"first": first}, token=key)
        assert len(executions) == 4
        await api.ok(WORKLIST, {"first": 1}, token=key)
        assert len(executions) == 4  # still held
        for first in range(5, 12):
            await api.ok(WORKLIST, {"first": first}, token=key)
        assert 6000 < cache.bytes <= 8000
        await api.ok(WORKLIST, {"first": 2}, token=key)
        assert len(executions) == 12  # evicted: executed again

        # An answer over a quarter of the bound is not cached at all.
        big = await api.ok(WORKLIST, {"first": 12}, token=key)
        assert len(str(big)) > 2000
        held = list(cache._entries)
        await api.ok(WORKLIST, {"first": 12}, token=key)
        assert len(executions) == 14 and list(cache._entries) == held
