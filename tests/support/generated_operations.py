"""Operations generated from our own schema (hypothesis-graphql): queries, mutations, subscriptions,
documents with one schema violation each, and operations with generated variables; and the seeded
clinic whose IDs and strings they refer to.

Bounded and reproducible: a fixed number of examples (AUTOSCRIBE_FUZZ_EXAMPLES scales it) drawn with
derandomize=True. Generation is the slow part, so each set is generated once per run with
placeholders, and filled in with the seeded data of each database.
"""

from __future__ import annotations

import functools
import json
import os
import re

import graphql
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from autoscribe.server.engine.schema import build_schema
from tests.support.clinics import add_user, session_token
from tests.support.live_helpers import cursor_at
from tests.support.people_helpers import invite, link_token
from tests.support.reports_helpers import new_study, sign, start

SCALE = float(os.environ.get("AUTOSCRIBE_FUZZ_EXAMPLES", "1"))
SCHEMA = build_schema().as_str()


def examples(count: int) -> int:
    return max(1, int(count * SCALE))


def generate(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` operations drawn from the strategy, the same ones on every run (given the same seed data)."""
    drawn: list[str] = []

    @settings(max_examples=count, database=None, derandomize=True, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(operation):
        drawn.append(operation)

    collect()
    return drawn


async def seed(api, services, clinic) -> dict:
    """A clinic with users of every kind, studies in several states, a signed report with an
    addendum, an invitation: the IDs, strings (a study page cursor, an event cursor too) and tokens the
    generated operations use."""
    admin = await add_user(services, clinic.id, level="ADMIN", has_dashboard_access=True, can_manage_studies=True)
    reader = await add_user(services, clinic.id)
    other = await add_user(services, clinic.id, can_create_reports=False)
    studies = [await new_study(api, clinic, severity=s) for s in ("STAT", "HIGH", "NORMAL", "NORMAL")]
    reader_token = session_token(services, reader)
    report = await start(api, reader_token, studies[0]["id"])
    signed = await sign(api, reader_token, report["id"])
    addendum = (await api.ok("mutation($id: ID!) { createReportAddendum(reportId: $id) { id } }",
                             {"id": signed["id"]}, token=reader_token))["createReportAddendum"]
    draft = await start(api, clinic.key, studies[1]["id"], reader.id)
    invited = await invite(api, clinic.key, f"fuzz-{clinic.id}@example.com")
    invitation = invited["invitations"][0]
    page = await api.ok("{ studies(first: 1) { pageInfo { endCursor } } }", token=clinic.key)
    ids = [admin.id, reader.id, other.id, invited["id"], invitation["id"], signed["id"], addendum["id"],
           draft["id"], *(s["id"] for s in studies)]
    strings = [s["studyInstanceUid"] for s in studies] + [
        link_token(invitation["acceptUrl"]), page["studies"]["pageInfo"]["endCursor"], reader.email,
        cursor_at(clinic.id, 0)]
    assert len(ids) == N_IDS and len(strings) == N_STRINGS
    return {
        "ids": ids,
        "strings": strings,
        # The API key most often: it may do anything, so its operations get furthest.
        "tokens": [clinic.key, session_token(services, admin), clinic.key, reader_token,
                   session_token(services, other), None],
    }


# The generated operations hold placeholders for the seeded IDs and strings, so that one set of
# operations (generated once per session: generating is the slow part) serves every database.
N_IDS, N_STRINGS = 12, 8
_PLACEHOLDER = re.compile(r'"@@(ID|S)(\d+)@@"')


def _scalars() -> dict:
    """Custom scalars: IDs mostly from the seed (some malformed or of no one), strings sometimes."""
    ids = st.one_of(
        st.integers(0, N_IDS - 1).map(lambda i: f"@@ID{i}@@"),
        st.integers(0, N_IDS - 1).map(lambda i: f"@@ID{i}@@"),
        st.sampled_from(["stu_0000000000000000000000", "usr_nope", "rpt_", "", "Study:1", "x" * 300]),
        st.text(max_size=30),
    ).map(nodes.String)
    strings = st.one_of(
        st.integers(0, N_STRINGS - 1).map(lambda i: f"@@S{i}@@"),
        st.sampled_from(["1234567893", "CT Chest", "MRN-0042", "10:30", ""]),
        st.text(max_size=40),
        st.text(alphabet="0123456789.", min_size=1, max_size=64),
    ).map(nodes.String)
    dates = st.one_of(st.dates().map(str), st.sampled_from(["2024-02-30", "yesterday", "", "0000-01-01"])).map(
        nodes.String)
    datetimes = st.one_of(
        st.datetimes().map(lambda d: d.isoformat()),
        st.datetimes().map(lambda d: d.isoformat() + "Z"),
        st.sampled_from(["2024-01-01T25:00:00", "now", ""]),
    ).map(nodes.String)
    json_values = st.one_of(
        st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers() | st.none() | st.lists(st.booleans(), max_size=2),
                        max_size=2),
        st.lists(st.integers(), max_size=2),
        st.text(max_size=5),
    ).map(_literal)
    return {"ID": ids, "String": strings, "Date": dates, "DateTime": datetimes, "JSON": json_values}


def _literal(value) -> graphql.ValueNode:
    """A JSON-like value as a GraphQL literal (object keys made into names)."""
    if isinstance(value, dict):
        return graphql.ObjectValueNode(fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=_name(k, i)), value=_literal(v))
            for i, (k, v) in enumerate(value.items())))
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_literal(v) for v in value))
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    return graphql.StringValueNode(value=str(value))


def _name(key: str, i: int) -> str:
    cleaned = "".join(c for c in key if c.isascii() and (c.isalnum() or c == "_"))
    return cleaned if cleaned and not cleaned[0].isdigit() else f"k{i}"


@functools.cache
def templates(n_queries: int, n_mutations: int, n_invalid: int) -> tuple[str, ...]:
    """Valid queries and mutations, and some with one schema violation each (Mode.NEGATIVE)."""
    scalars = _scalars()
    return tuple(
        generate(queries(SCHEMA, custom_scalars=scalars), n_queries)
        + generate(mutations(SCHEMA, custom_scalars=scalars), n_mutations)
        + generate(st.one_of(queries(SCHEMA, custom_scalars=scalars, mode=Mode.NEGATIVE),
                             mutations(SCHEMA, custom_scalars=scalars, mode=Mode.NEGATIVE)), n_invalid)
    )


def operations(data: dict, n_queries: int, n_mutations: int, n_invalid: int) -> list[str]:
    def fill(match: re.Match) -> str:
        values = data["ids"] if match.group(1) == "ID" else data["strings"]
        return json.dumps(values[int(match.group(2))])

    return [_PLACEHOLDER.sub(fill, t) for t in templates(examples(n_queries), examples(n_mutations),
                                                         examples(n_invalid))]


# Operations with variables, sent with generated JSON for them: variable coercion and the input
# rules behind it (the generated documents above write every value inline).
WITH_VARIABLES = [
    ("mutation($v: CreateStudyInput!) { createStudy(input: $v) { id } }",
     {"studyInstanceUid": "1.2.840.7", "studyDescription": "CT Head", "severity": "STAT",
      "reportMetadata": {"patientName": "Doe^Jane", "height": {"value": 1.8, "unit": "M"}}, "metadata": {"a": "b"}}),
    ("mutation($v: UpdateStudyInput!, $id: ID!) { updateStudy(id: $id, input: $v) { id } }",
     {"studyDescription": "CT", "technologistNotes": ["x"], "priorReports": [{"reportText": "t"}]}),
    ("mutation($v: InviteUserInput!) { inviteUser(input: $v) { id } }",
     {"email": "a@example.com", "firstName": "A", "lastName": "B", "clinicRole": "RADIOLOGIST", "level": "MEMBER",
      "canCreateReports": True, "canManageStudies": False, "hasDashboardAccess": False}),
    ("mutation($v: UpdateUserInput!, $id: ID!) { updateUser(id: $id, input: $v) { id } }", {"npiNumber": "1234567893"}),
    ("query($v: StudyFilter, $n: Int, $a: String) { studies(filter: $v, first: $n, after: $a) { totalCount } }",
     {"severity": ["STAT"], "createdAfter": "2024-01-01T00:00:00Z"}),
    ("query($v: UserFilter, $n: Int) { users(filter: $v, first: $n) { totalCount } }", {"status": ["ACTIVE"]}),
    ("query($v: InvitationFilter) { invitations(filter: $v) { totalCount } }", {"startDate": "2024-01-01"}),
    ("mutation($id: ID!, $v: Int) { createUserSession(userId: $id, ttlSeconds: $v) { token } }", 3600),
]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _variables(template: int):
    """Generated JSON for $v, or the valid value with one part replaced; $id and $n and $a as well."""
    _query, valid = WITH_VARIABLES[template]
    if isinstance(valid, dict):
        replaced = st.builds(lambda k, x: {**valid, k: x}, st.sampled_from(sorted(valid) + ["extra"]), _JSON)
    else:
        replaced = _JSON
    return st.fixed_dictionaries({
        "v": st.one_of(_JSON, replaced, st.just(valid)),
        "id": st.one_of(st.integers(0, N_IDS - 1).map(lambda i: f"@@ID{i}@@"), _JSON),
        "n": st.one_of(st.integers(-5, 200), st.integers(), _JSON),
        "a": st.one_of(st.integers(0, N_STRINGS - 1).map(lambda i: f"@@S{i}@@"), _JSON),
    }).map(lambda v: json.dumps([template, v]))


@functools.cache
def variable_templates(count: int) -> tuple[str, ...]:
    return tuple(generate(st.integers(0, len(WITH_VARIABLES) - 1).flatmap(_variables), count))


def with_variables(data: dict, count: int) -> list[tuple[str, dict]]:
    def fill(value):
        if isinstance(value, str) and (m := re.fullmatch(r"@@(ID|S)(\d+)@@", value)):
            return (data["ids"] if m.group(1) == "ID" else data["strings"])[int(m.group(2))]
        return value

    sent = []
    for drawn in variable_templates(examples(count)):
        template, variables = json.loads(drawn)
        query = WITH_VARIABLES[template][0]
        used = {k: fill(v) for k, v in variables.items() if f"${k}" in query}
        sent.append((query, used))
    return sent


# hypothesis-graphql generates queries and mutations only: subscriptions are drawn as queries of a
# schema whose query root is our Subscription type, then sent as subscriptions over WebSocket.
SUBSCRIPTION_SCHEMA = SCHEMA + "\nschema { query: Subscription mutation: Mutation }\n"


@functools.cache
def subscription_templates(count: int) -> tuple[str, ...]:
    return tuple("subscription " + doc for doc in generate(queries(SUBSCRIPTION_SCHEMA, custom_scalars=_scalars()),
                                                           count))


def subscriptions(data: dict, count: int) -> list[str]:
    def fill(match: re.Match) -> str:
        values = data["ids"] if match.group(1) == "ID" else data["strings"]
        return json.dumps(values[int(match.group(2))])

    return [_PLACEHOLDER.sub(fill, t) for t in subscription_templates(examples(count))]
