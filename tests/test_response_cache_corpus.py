"""The response cache against the standard executor: a corpus of queries (fragments, aliases,
directives, variables, several operations, errors) answered by an app with the cache (first
executed and stored, then served from the cache) and by one without it must be the same JSON, byte
for byte; and every answer without errors must really have been served from the cache the
second time."""

from __future__ import annotations

import httpx
import pytest

from autoscribe.server.app import create_app
from tests.support.clinics import add_user
from tests.support.settings import settings_for
from tests.support.studies_helpers import create_study

STUDY_FIELDS = """id studyInstanceUid studyDescription severity studyReportStatus isCancelled cancelledAt
  createdAt updatedAt clinicalHistory modality technologistNotes metadata isCritical
  reportMetadata { patientName mrn dateOfBirth sex studyDate studyTime } assignedTo { id firstName lastName email }"""

# (query, variables, operationName)
CORPUS: list[tuple[str, dict, str | None]] = [
    (f"{{ studies(first: 100, orderBy: PRIORITY) {{ totalCount nodes {{ {STUDY_FIELDS} }} }} }}", {}, None),
    # Aliases, __typename, the same field twice under other names, edges and page info.
    ("""{ a: studies(first: 2) { total: totalCount edges { c: cursor node { __typename ident: id id } }
          pageInfo { hasNextPage endCursor } }
        b: studies(first: 1, orderBy: CREATED_AT_ASC) { nodes { id severity } } }""", {}, None),
    # Named fragments, nested fragments, inline fragments with and without a type condition.
    ("""query W($n: Int!) { studies(first: $n, orderBy: PRIORITY) { nodes { ...Row ... on Study { modality }
          ... { isCancelled } } } }
        fragment Row on Study { id ...Who reportMetadata { ...Patient } }
        fragment Who on Study { assignedTo { ... on User { id lastName } } }
        fragment Patient on StudyReportMetadata { patientName mrn }""", {"n": 5}, None),
    # @skip and @include, with literals and variables, on fields, fragments and inline fragments.
    ("""query D($yes: Boolean!, $no: Boolean = false) { studies(first: 3) {
          totalCount @skip(if: $yes) nodes { id studyDescription @include(if: $yes) severity @include(if: $no)
          ...F @skip(if: $no) ... on Study @include(if: false) { modality } } } }
        fragment F on Study { updatedAt }""", {"yes": True}, None),
    # Variables with defaults, a filter, an enum from a variable, two operations and an operationName.
    ("""query One($f: StudyFilter = {isCancelled: false}, $o: StudyOrder = CREATED_AT_ASC) {
          studies(filter: $f, orderBy: $o, first: 4) { nodes { id severity } } }
        query Two { me { clinicName apiKeyId user { id } } }""", {"o": "PRIORITY"}, "One"),
    ("""query One { studies(first: 1) { totalCount } }
        query Two { me { __typename clinicName } }""", {}, "Two"),
    # Node and single-study lookups.
    ("""query($id: ID!) { node(id: $id) { __typename id ... on Study { studyInstanceUid assignedTo { firstName } } }
          study(id: $id) { severity reportIds { reportId status } reports { id } priorReports { __typename } } }""", "study", None),
    ("""query { study(studyInstanceUid: "no-such-uid") { id } users(first: 5) { totalCount nodes { id firstName } } }""",
     {}, None),
    # Errors: a refused argument, an unknown field, a missing variable, a wrong variable type, a bad ID,
    # a forged cursor, an unknown operation name (refused with HTTP 400), a syntax error.
    ("{ studies(first: 0) { totalCount } }", {}, None),
    ("{ studies { nodes { noSuchField } } }", {}, None),
    ("query($n: Int!) { studies(first: $n) { totalCount } }", {}, None),
    ("query($n: Int!) { studies(first: $n) { totalCount } }", {"n": "ten"}, None),
    ('{ node(id: "not-an-id") { id } study(id: "study_nothing") { id } }', {}, None),
    ('{ studies(after: "forged") { totalCount } }', {}, None),
    ("query A { me { clinicName } }", {}, "B"),
    ("{ studies(first: 1) { ", {}, None),
]


@pytest.fixture
async def plain(database_url):
    """The same app with the response cache off: every query goes through the standard executor."""
    app = create_app(settings_for(database_url, response_cache_entries=0))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client


async def seeded_studies(api, services, clinic) -> list[dict]:
    """Six studies of mixed severity, every other one assigned to a radiologist."""
    radiologist = await add_user(services, clinic.id, first_name="Ada", last_name="Lovelace")
    studies = []
    for i, severity in enumerate(["NORMAL", "STAT", "HIGH", "NORMAL", "STAT", "NORMAL"]):
        extra = {"assignedTo": radiologist.id} if i % 2 else {}
        studies.append(await create_study(api, clinic.key, uid=f"7.{i}", severity=severity, **extra))
    return studies


async def test_cached_answers_are_the_standard_executors_byte_for_byte(app, http, api, plain, services, clinic):
    studies = await seeded_studies(api, services, clinic)
    cache = app.state.graphql.responses
    headers = {"Authorization": f"Bearer {clinic.key}"}

    async def post(client, query, variables, name):
        body = {"query": query, "variables": variables}
        if name is not None:
            body["operationName"] = name
        response = await client.post("/graphql", json=body, headers=headers)
        return response.status_code, response.content

    answered_from_cache = 0
    for query, variables, name in CORPUS:
        if variables == "study":
            variables = {"id": studies[1]["id"]}
        hits = cache.hits
        first = await post(http, query, variables, name)
        second = await post(http, query, variables, name)
        reference = await post(plain, query, variables, name)
        assert first == second == reference, query
        if reference[0] == 200 and b'"errors"' not in reference[1]:
            assert cache.hits == hits + 1, f"not served from the cache: {query}"
            answered_from_cache += 1
        else:
            assert cache.hits == hits, f"an answer with errors was cached: {query}"
    assert answered_from_cache == 8, answered_from_cache
