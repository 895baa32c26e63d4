"""A corpus of queries that go every way a query can (fragments, aliases, directives, variables,
several operations, errors), and the studies they are asked about: what the response cache and the
executor must answer exactly as the standard executor does."""

from __future__ import annotations

from tests.support.clinics import add_user
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


async def seeded_studies(api, services, clinic) -> list[dict]:
    """Six studies of mixed severity, every other one assigned to a radiologist."""
    radiologist = await add_user(services, clinic.id, first_name="Ada", last_name="Lovelace")
    studies = []
    for i, severity in enumerate(["NORMAL", "STAT", "HIGH", "NORMAL", "STAT", "NORMAL"]):
        extra = {"assignedTo": radiologist.id} if i % 2 else {}
        studies.append(await create_study(api, clinic.key, uid=f"7.{i}", severity=severity, **extra))
    return studies
