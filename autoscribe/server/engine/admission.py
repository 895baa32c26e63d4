"""What a request must pass before graphql-core validates it, and what an anonymous caller is not told.

The query cost (engine.cost), linear in the document, is checked first, on the parsed document: a
document over the limit is refused without being validated, executed or cached. Validation walks
what fragments bring together too (OverlappingFieldsCanBeMerged compares the fields they merge);
graphql-core 3.3 memoises fragment pairs (22 levels of doubling validate in 3 ms), but nothing of a
refused document should depend on that.

A document of several operations must name the one to run (GraphQL's GetOperation); Strawberry
would run the first.

A caller without a valid token learns nothing about the schema: no introspection (`__schema`,
`__type`; `__typename` stays) and no "Did you mean …?" suggestions in error messages.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode, ValidationRule
from strawberry.extensions import ValidationCache
from strawberry.schema.schema import validate_document

from autoscribe.server.engine.cost import FragmentCycle, cost_error, query_cost

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class NoIntrospection(ValidationRule):
    """`__schema` and `__type` refused, as UNAUTHENTICATED: with a valid token they work."""

    def enter_field(self, node: FieldNode, *_args) -> None:
        if node.name.value in ("__schema", "__type"):
            self.report_error(GraphQLError(
                f"Introspection ({node.name.value}) needs a valid bearer token.", node,
                extensions={"code": "UNAUTHENTICATED"},
            ))


async def anonymous(context) -> bool:
    """Whether the request carries no valid token (a WebSocket always has one: engine.asgi.GraphQLApp.on_ws_connect)."""
    principal = getattr(context, "principal", None)
    if principal is None:
        return True
    try:
        await principal()
    except Exception:  # noqa: BLE001 - Unauthenticated, or no way to tell (then the request fails anyway)
        return True
    return False


def without_suggestions(errors: list[GraphQLError] | None) -> list[GraphQLError] | None:
    """The errors with graphql-core's "Did you mean …?" (names from the schema) taken out."""
    if not errors:
        return errors
    return [
        GraphQLError(_SUGGESTION.sub("", e.message), e.nodes, e.source, e.positions, e.path, e.original_error,
                     e.extensions)
        if _SUGGESTION.search(e.message) else e
        for e in errors
    ]


def _operation_count(document) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _note_kind(ec) -> None:
    """An HTTP request's kind (query, mutation) and operation name (the document's, when the
    request gives none), now that its document is parsed: for the access log and /metrics (a
    WebSocket's operations are counted by its handler, engine.ws_limits)."""
    request = getattr(ec.context, "request", None)
    if request is not None and request.scope.get("type") == "http":
        try:
            request.state.kind = ec.operation_type.value
        except RuntimeError:  # no operation of that name: refused as such
            return
        request.state.operation = ec.operation_name


@dataclass(frozen=True, eq=False)
class Admitted:
    """What admission found of one request's document, for engine.known_documents: the parsed
    document, the validation rules it passed (without NoIntrospection), its kind and operation
    name (the request's or the document's)."""

    document: DocumentNode
    rules: tuple
    kind: str
    operation: str | None


# (schema, document, rules) by identity -> (schema, document, the validation's errors). The parsed
# document is the same object for the same text (the parser's cache), so this finds it without
# hashing the document's whole tree, as ValidationCache's LRU does on every request.
_VALIDATED: OrderedDict[tuple, tuple] = OrderedDict()


def validated(schema, document, rules, maxsize: int = 256) -> list[GraphQLError]:
    key = (id(schema), id(document), rules)
    known = _VALIDATED.get(key)
    if known is not None and known[0] is schema and known[1] is document:
        _VALIDATED.move_to_end(key)
        return known[2]
    errors = validate_document(schema, document, rules)
    _VALIDATED[key] = (schema, document, errors)
    while len(_VALIDATED) > maxsize:
        _VALIDATED.popitem(last=False)
    return errors


class Admission(ValidationCache):
    """Cost first, then the cached validation, with introspection refused for anonymous callers.

    Replaces ValidationCache (whose on_validate would validate first) and its LRU (validated)."""

    def __init__(self, *, max_cost: int, maxsize: int = 256) -> None:
        super().__init__(maxsize=maxsize)
        self.max_cost = max_cost
        self.maxsize = maxsize

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        _note_kind(ec)
        if ec._provided_operation_name is None and _operation_count(ec.graphql_document) > 1:
            ec.pre_execution_errors = [GraphQLError(
                "The document has several operations: name the one to run in operationName.",
                extensions={"code": "BAD_USER_INPUT", "field": "operationName"},
            )]
            yield
            return
        try:
            cost = query_cost(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
        except FragmentCycle as cycle:
            ec.pre_execution_errors = [GraphQLError(str(cycle), extensions={"code": "BAD_USER_INPUT"})]
            yield
            return
        if cost > self.max_cost:
            ec.pre_execution_errors = [cost_error(cost, self.max_cost)]
            yield
            return
        rules = ec.validation_rules
        hide = await anonymous(ec.context)
        if hide:
            rules = (*rules, NoIntrospection)
        errors = validated(ec.schema._schema, ec.graphql_document, tuple(rules), self.maxsize)
        ec.pre_execution_errors = without_suggestions(errors) if hide else errors
        if not errors and hasattr(ec.context, "admitted"):
            try:
                kind = ec.operation_type.value
            except RuntimeError:  # no operation of that name: refused as such
                kind = None
            if kind is not None:
                ec.context.admitted = Admitted(ec.graphql_document, tuple(ec.validation_rules), kind, ec.operation_name)
        yield
