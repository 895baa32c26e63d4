"""The compiled execution of queries (autoscribe.server.engine.compiled) answers exactly as the
standard executor does, byte for byte, for every construct it plans; a document it cannot plan is
answered the standard way, whole; a value it does not answer itself sends the request that way."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import update

from autoscribe.db.models import Study
from autoscribe.server.engine.execution import COMPILED
from tests.support.clinics import add_user, session_token
from tests.support.compiled_seed import EVERY_FIELD, _seed
from tests.support.differential import both
from tests.support.reroute_helpers import open_link, viewer_link
from tests.support.studies_helpers import create_study

WORKLIST = """query Worklist($first: Int!) {
  studies(first: $first, orderBy: PRIORITY) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id studyInstanceUid studyDescription severity studyReportStatus isCancelled
      createdAt updatedAt modality clinicalIndication externalPatientId isCritical
      assignedTo { id firstName lastName email }
      reportMetadata { patientName mrn dateOfBirth sex studyDate studyTime }
    }
  }
}"""

def _request_ids_out(answer: tuple) -> tuple:
    """An internal error names its request's ID, which differs between any two requests."""
    status, body = answer
    return status, re.sub(rb"[0-9a-f]{16}", b"<request>", body)


async def _same(apps, token, query, variables=None, *, way="compiled") -> dict:
    """The answer of both apps (which must be the same bytes), after the served one went `way`
    twice: the second time the short way, when the first taught it the document."""
    before = COMPILED.copy()
    if way == "deviated":  # an internal error names its request's ID
        ours, theirs = await both(apps, token, query, variables)
        ours, theirs = _request_ids_out(ours), _request_ids_out(theirs)
        count = 1
    else:
        ours, theirs = await both(apps, token, query, variables, twice=True)
        count = 2
    assert ours == theirs, query
    went = COMPILED - before
    assert went == {way: count}, (way, went, query)
    return json.loads(ours[1])


async def test_the_worklist_is_compiled_and_answers_as_the_standard_executor(apps, api, services, clinic):
    await _seed(api, services, clinic)
    answer = await _same(apps, clinic.key, WORKLIST, {"first": 100})
    nodes = answer["data"]["studies"]["nodes"]
    assert [n["severity"] for n in nodes] == ["STAT", "STAT", "HIGH", "HIGH", "NORMAL", "NORMAL", "NORMAL", "NORMAL"]
    assert {n["assignedTo"]["firstName"] for n in nodes if n["assignedTo"]} == {"Ada", "Grace"}
    assert any(n["assignedTo"] is None for n in nodes)
    assert answer["data"]["studies"]["pageInfo"]["hasNextPage"] is False


async def test_every_study_field_with_values_and_nulls(apps, api, services, clinic):
    await _seed(api, services, clinic)
    answer = await _same(apps, clinic.key, f"{{ studies(first: 10) {{ totalCount nodes {{ {EVERY_FIELD} }} }} }}")
    nodes = answer["data"]["studies"]["nodes"]
    assert answer["data"]["studies"]["totalCount"] == 8
    full = next(n for n in nodes if n["modality"] == "MR")
    assert full["reportMetadata"]["height"] == {"value": 170.5, "unit": "CM"}
    assert full["reportMetadata"]["weight"]["__typename"] == "Weight"
    assert full["metadata"] == {"room": "3", "ward": "Ünit 5"}
    assert full["priorReports"][0]["studyDate"] == "2025-01-02"
    empty = next(n for n in nodes if n["modality"] is None)
    assert empty["reportMetadata"]["height"] is None and empty["priorReports"] == []
    assert sum(n["cancelledAt"] is not None for n in nodes) == 1


@pytest.mark.parametrize("query, variables", [
    # Aliases, __typename at every level, the same field under two names, edges with cursors.
    ("""{ w: studies(first: 3, orderBy: PRIORITY) { __typename total: totalCount
          edges { __typename c: cursor node { __typename ident: id id s: severity } }
          pageInfo { __typename more: hasNextPage endCursor } } }""", {}),
    # Named fragments (nested), inline fragments with and without a type condition, spread twice.
    ("""query W($n: Int!) { studies(first: $n, orderBy: PRIORITY) { nodes { ...Row ... on Study { modality }
          ... { isCancelled } ...Row } ...Page } }
        fragment Row on Study { id ...Who reportMetadata { ...Patient } }
        fragment Who on Study { assignedTo { ... on User { id lastName } ... on Node { id } } }
        fragment Patient on StudyReportMetadata { patientName mrn }
        fragment Page on StudyConnection { pageInfo { endCursor } }""", {"n": 5}),
    # The same selection merged from several places, a field both in nodes and in edges.
    ("""{ studies(first: 4) { nodes { id assignedTo { id } assignedTo { email } }
          edges { node { id assignedTo { firstName } createdByUser { id } } } } }""", {}),
    # @skip and @include with literals and variables, on fields, fragments and inline fragments.
    ("""query D($yes: Boolean!, $no: Boolean = false) { studies(first: 3) {
          totalCount @skip(if: $yes) nodes { id studyDescription @include(if: $yes) severity @include(if: $no)
          ...F @skip(if: $no) ... on Study @include(if: false) { modality } } } }
        fragment F on Study { updatedAt }""", {"yes": True}),
    ("""query D($yes: Boolean!, $no: Boolean = false) { studies(first: 3) {
          totalCount @skip(if: $yes) nodes { id studyDescription @include(if: $yes) severity @include(if: $no)
          ...F @skip(if: $no) ... on Study @include(if: false) { modality } } } }
        fragment F on Study { updatedAt }""", {"yes": False, "no": True}),
    # Variables with defaults, an enum from a variable, a filter given inline and by variable.
    ("""query($f: StudyFilter = {isCancelled: false}, $o: StudyOrder = CREATED_AT_ASC) {
          studies(filter: $f, orderBy: $o, first: 4) { totalCount nodes { id severity isCancelled } } }""",
     {"o": "PRIORITY"}),
    ("""query($f: StudyFilter) { studies(filter: $f, orderBy: UPDATED_AT_DESC) { totalCount nodes { id } } }""",
     {"f": {"severity": ["STAT", "HIGH"], "studyReportStatus": ["ASSIGNED"], "studyDescription": "knee"}}),
    ("""{ studies(filter: {assignedTo: null, isCancelled: true}) { totalCount nodes { id isCancelled } } }""", {}),
    ("""{ studies(filter: {createdAfter: "2000-01-01T00:00:00+02:00", createdBefore: "2999-01-01T00:00:00Z"},
          orderBy: CREATED_AT_DESC, first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }""", {}),
    # Defaults of the field's arguments (first 25, CREATED_AT_DESC), a query with a name of its own.
    ("""query Named { studies { nodes { id createdAt } } }""", {}),
])
async def test_each_construct_answers_as_the_standard_executor(apps, api, services, clinic, query, variables):
    await _seed(api, services, clinic)
    await _same(apps, clinic.key, query, variables)


async def test_pages_after_a_cursor(apps, api, services, clinic):
    await _seed(api, services, clinic)
    page = "query($after: String) { studies(first: 3, orderBy: PRIORITY, after: $after) " \
           "{ pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"
    after, seen = None, []
    while True:
        answer = await _same(apps, clinic.key, page, {"after": after})
        connection = answer["data"]["studies"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        # A cursor of the middle of the page leads on from there, as the end cursor does.
        if connection["edges"]:
            await _same(apps, clinic.key, page, {"after": connection["edges"][0]["cursor"]})
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 8


@pytest.mark.parametrize("query, code, field", [
    ("{ studies(first: 0) { totalCount } }", "BAD_USER_INPUT", "first"),
    ("{ s: studies(first: 101) { nodes { id } } }", "BAD_USER_INPUT", "first"),
    ('{ studies(after: "forged") { totalCount } }', "BAD_USER_INPUT", "after"),
    ('{ studies(filter: {assignedTo: "usr_nothing"}) { nodes { id } } }', "BAD_USER_INPUT", "filter.assignedTo"),
    ('{ studies(filter: {createdAfter: "2026-01-01T00:00:00"}) { nodes { id } } }', "BAD_USER_INPUT",
     "filter.createdAfter"),
])
async def test_errors_of_the_root_field_keep_their_path_and_code(apps, api, services, clinic, query, code, field):
    await _seed(api, services, clinic)
    answer = await _same(apps, clinic.key, query)
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == code and error["extensions"].get("field") == field
    assert error["path"] == [next(iter(("s",) if "s:" in query else ("studies",)))]


async def test_a_caller_without_a_valid_token(apps, api, services, clinic):
    await _seed(api, services, clinic)
    answer = await _same(apps, "not-a-token", WORKLIST, {"first": 10})
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_clinic_sees_only_its_own(apps, api, services, clinic, other_clinic):
    await _seed(api, services, clinic)
    await create_study(api, other_clinic.key, uid="8.1")
    answer = await _same(apps, other_clinic.key, WORKLIST, {"first": 100})
    assert [n["studyInstanceUid"] for n in answer["data"]["studies"]["nodes"]] == ["8.1"]
    # And a cursor of one clinic is no cursor for the other.
    mine = await _same(apps, clinic.key, WORKLIST, {"first": 1})
    cursor = mine["data"]["studies"]["pageInfo"]["endCursor"]
    theirs = await _same(apps, other_clinic.key, "query($a: String) { studies(after: $a) { totalCount } }",
                         {"a": cursor})
    assert theirs["errors"][0]["extensions"]["field"] == "after"


async def test_a_user_session_and_a_reroute_session_see_what_they_may(apps, api, services, clinic, http):
    seeded = await _seed(api, services, clinic)
    ada = seeded["ada"]
    await _same(apps, session_token(services, ada), WORKLIST, {"first": 100})
    study = seeded["studies"][2]  # assigned to Grace
    reroute = await open_link(http, await viewer_link(api, clinic.key, study["id"], ada.id))
    answer = await _same(apps, reroute, f"{{ studies {{ totalCount nodes {{ {EVERY_FIELD} }} }} }}")
    (only,) = answer["data"]["studies"]["nodes"]
    assert only["id"] == study["id"] and only["assignedTo"]["firstName"] == "Grace"


@pytest.mark.parametrize("query", [
    "{ studies(first: 3) { nodes { id reports { id } } } }",  # a resolver the planner does not know
    "{ studies(first: 3) { nodes { id } } me { clinicName } }",  # two root fields
    "{ me { clinicName } }",
    "{ studies(first: 2) { nodes { assignedTo { id assignedStudies { totalCount } } } } }",  # arguments below
    '{ node(id: "stu_00000000000000000000000000000000") { id } }',
    "{ __schema { queryType { name } } }",
])
async def test_a_document_the_planner_cannot_plan_runs_the_standard_way_whole(apps, api, services, clinic, query):
    await _seed(api, services, clinic)
    await _same(apps, clinic.key, query, way="unplannable")


async def test_a_stored_value_the_schema_refuses_sends_the_request_the_standard_way(apps, api, services, clinic):
    seeded = await _seed(api, services, clinic)
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == seeded["studies"][0]["id"])
                              .values(report_metadata={"sex": "unknown", "patientName": "Doe^John"}))
    answer = await _same(apps, clinic.key, WORKLIST, {"first": 100}, way="deviated")
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"][:2] == ["studies", "nodes"] and error["path"][3:] == ["reportMetadata"]
    # Non-null all the way up (reportMetadata, the node, nodes, studies): the null reaches `data`.
    assert answer["data"] is None


@pytest.mark.parametrize("stored", [
    None,
    {},
    {"patientName": "Doe^John"},
    {"patientName": "Doe^John", "sex": "MALE", "height": None, "weight": {"value": 2.5, "unit": "KG"}},
    # Values not given (falsy) read as null through every converter; a falsy stored value as no object.
    {"patientName": "", "sex": "", "dateOfBirth": "", "studyDate": None, "height": 0, "weight": {}},
    [],
    "",
    0,
    False,
])
async def test_stored_report_metadata_of_every_shape_is_answered_from_its_dict(apps, api, services, clinic, stored):
    seeded = await _seed(api, services, clinic)
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == seeded["studies"][0]["id"])
                              .values(report_metadata=stored))
    answer = await _same(apps, clinic.key, f"{{ studies(first: 10) {{ nodes {{ id {EVERY_FIELD} }} }} }}")
    (node,) = [n for n in answer["data"]["studies"]["nodes"] if n["id"] == seeded["studies"][0]["id"]]
    assert node["reportMetadata"]["patientName"] == (stored or {}).get("patientName")
    await _same(apps, clinic.key, "{ studies(first: 10) { nodes { reportMetadata { __typename mrn } } } }")


@pytest.mark.parametrize("stored", [
    # Not selected by the query below, yet refused by the schema: the standard way reports its error.
    {"patientName": "Doe^John", "dateOfBirth": "the 31st"},
    {"patientName": "Doe^John", "height": {"value": 170}},
    {"patientName": "Doe^John", "sex": "unknown"},
    # Given, but of a kind the converter does not take: a number, a list (not even hashable).
    {"patientName": "Doe^John", "sex": 5},
    {"patientName": "Doe^John", "sex": ["MALE"]},
    {"patientName": "Doe^John", "dateOfBirth": 19650905},
    {"patientName": "Doe^John", "weight": "61 kg"},
    # Not an object at all.
    ["Doe^John"],
    "Doe^John",
])
async def test_stored_report_metadata_the_schema_refuses_anywhere_goes_the_standard_way(apps, api, services, clinic,
                                                                                       stored):
    seeded = await _seed(api, services, clinic)
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == seeded["studies"][0]["id"])
                              .values(report_metadata=stored))
    answer = await _same(apps, clinic.key, "{ studies(first: 10) { nodes { id reportMetadata { patientName } } } }",
                         way="deviated")
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"][:2] == ["studies", "nodes"] and error["path"][3:] == ["reportMetadata"]


@pytest.mark.parametrize("query", [
    WORKLIST,
    # Both of a study's users, with different columns, by nodes and by edges; a filter; a cursor.
    """query Worklist($first: Int!) { studies(first: $first) { nodes { id assignedTo { id email }
         createdByUser { id firstName } } edges { node { assignedTo { lastName } } } } }""",
    """query Worklist($first: Int!) { studies(first: $first, filter: {isCancelled: false}) {
         nodes { id assignedTo { id email } } } }""",
])
async def test_a_user_the_caller_does_not_see_is_null_as_the_standard_way_has_it(apps, api, services, clinic,
                                                                               other_clinic, query):
    """The page's users come with the page: a study naming a user of another clinic (stored so,
    which the API never does) answers null for it, as the standard loaders do."""
    seeded = await _seed(api, services, clinic)
    stranger = await add_user(services, other_clinic.id, first_name="Mallory")
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == seeded["studies"][1]["id"])
                              .values(assigned_to_id=stranger.id, created_by_user_id=stranger.id))
        await session.execute(update(Study).where(Study.id == seeded["studies"][2]["id"])
                              .values(created_by_user_id=seeded["ada"].id))
    answer = await _same(apps, clinic.key, query, {"first": 100})
    nodes = answer["data"]["studies"]["nodes"]
    (hidden,) = [n for n in nodes if n["id"] == seeded["studies"][1]["id"]]
    assert hidden["assignedTo"] is None
    assert "Mallory" not in json.dumps(answer)
    assert any((n.get("assignedTo") or {}).get("email") for n in nodes)
