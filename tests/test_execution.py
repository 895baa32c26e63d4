"""autoscribe.server.engine.execution answers plain scalar fields itself; its answers must be the standard executor's,
byte for byte: on a small schema made to go wrong in every way a plain field can, on the corpus of
tests/support/query_corpus.py, and on hundreds of generated queries against seeded data."""

from __future__ import annotations

import enum
import json

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from autoscribe.server.engine.response_cache import TIME_DEPENDENT
from autoscribe.server.engine.execution import ExecutionContext
from tests.support.generated_operations import operations, seed
from tests.support.differential import both
from tests.support.query_corpus import CORPUS, seeded_studies


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Broken(Exception):
    pass


@strawberry.type
class Thing:
    name: str
    note: str | None
    colour: Colour
    maybe_colour: Colour | None
    count: int
    ratio: float | None
    tags: list[str]

    @property
    def _never(self) -> str:
        raise Broken("no")


def thing(i: int, **odd) -> Thing:
    values = dict(name=f"t{i}", note=None if i % 2 else "n", colour=Colour.RED, maybe_colour=None, count=i,
                  ratio=i / 3, tags=["a"])
    values.update(odd)
    return Thing(**values)


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [thing(i) for i in range(3)]

    @strawberry.field
    def odd(self, kind: str) -> list[Thing | None]:
        """Things whose plain fields hold what their types do not allow."""
        odd = {
            "null_for_non_null": dict(name=None),
            "bad_enum": dict(colour="green"),
            "bad_nullable_enum": dict(maybe_colour=42),
            "int_too_big": dict(count=2**40),
            "float_not_a_number": dict(ratio="x"),
            "string_from_object": dict(name=object()),
        }[kind]
        return [thing(0), thing(1, **odd), thing(2)]

    @strawberry.field
    async def later(self) -> Thing:
        return thing(7)


SELECTION = "__typename name n2: name note colour maybeColour count ratio tags ...F"
DOCUMENTS = [
    f"{{ things {{ {SELECTION} }} later {{ name count }} }} fragment F on Thing {{ colour }}",
    "query($s: Boolean!) { things { name @skip(if: $s) count @include(if: $s) ... on Thing @include(if: true) { note } } }",
    *(f'{{ odd(kind: "{k}") {{ name colour maybeColour count ratio }} }}' for k in (
        "null_for_non_null", "bad_enum", "bad_nullable_enum", "int_too_big", "float_not_a_number", "string_from_object")),
    "{ things { name nope } }",
]


class Upper(SchemaExtension):
    """An extension that resolves fields (graphql-core middleware): every field goes the standard way."""

    def resolve(self, _next, root, info, *args, **kwargs):
        result = _next(root, info, *args, **kwargs)
        return result.upper() if isinstance(result, str) else result


def _schemas(**kwargs):
    return [strawberry.Schema(query=Query, execution_context_class=cls, **kwargs)
            for cls in (ExecutionContext, StrawberryGraphQLCoreExecutionContext)]


def _answer(result) -> str:
    return json.dumps({"data": result.data, "errors": [e.formatted for e in result.errors or []]})


@pytest.mark.perf
def test_the_short_way_is_in_use_with_the_installed_graphql_core():
    # Were graphql-core's field loop to change, schema.execution falls back to the standard
    # executor: correct, but every worklist ~25% slower. This says so.
    from autoscribe.server.engine import execution

    assert execution.ExecutionContext is not execution.STANDARD


@pytest.mark.parametrize("extensions", [[], [Upper]], ids=["plain", "with a resolving extension"])
async def test_plain_fields_answer_as_the_standard_executor_whatever_they_hold(extensions):
    fast, standard = _schemas(extensions=extensions)
    for document in DOCUMENTS:
        for variables in ({"s": True}, {"s": False}):
            ours = await fast.execute(document, variable_values=variables)
            theirs = await standard.execute(document, variable_values=variables)
            assert _answer(ours) == _answer(theirs), document


async def test_odd_values_of_plain_fields_are_errors_and_the_rest_of_the_answer_stands():
    fast, _ = _schemas()
    result = await fast.execute('{ odd(kind: "bad_enum") { name colour } }')
    assert result.data == {"odd": [{"name": "t0", "colour": "RED"}, None, {"name": "t2", "colour": "RED"}]}
    assert result.errors and result.errors[0].path == ["odd", 1, "colour"]


async def test_the_corpus_answers_as_the_standard_executor(apps, api, services, clinic):
    studies = await seeded_studies(api, services, clinic)
    for query, variables, name in CORPUS:
        if name is not None:
            continue  # the corpus's operationName cases are about choosing; covered by the cache's test
        if variables == "study":
            variables = {"id": studies[1]["id"]}
        ours, theirs = await both(apps, clinic.key, query, variables)
        assert ours == theirs, query


async def test_generated_queries_answer_as_the_standard_executor(apps, api, services, clinic):
    data = await seed(api, services, clinic)
    tokens = list(dict.fromkeys(data["tokens"]))
    for token in tokens:  # a first request may note the session's login: not between the two answers
        await both(apps, token, "{ me { clinicId } }")
    compared = 0
    for i, query in enumerate(operations(data, 480, 0, 100)):
        if any(name in query for name in TIME_DEPENDENT):
            continue  # presigned URLs and expiry flags move with the clock
        ours, theirs = await both(apps, tokens[i % len(tokens)], query)
        assert ours == theirs, query
        compared += 1
    assert compared >= 300
