"""What answering a query would cost, counted on the parsed document before it is validated or run.

The depth, alias and token limits look at the document as written; none of them sees that a
fragment spread twice in a fragment that is itself spread twice doubles the work per level (20
levels of 700 bytes: 13 s of one process), nor that a page of 100 studies each asking for 100 more
studies answers 10,000 objects. The cost counts the document as it would be executed:

- each field costs 1, plus its selection;
- a list field's selection counts once per item it may return: its `first` argument when it has
  one, the `first` of the connection it belongs to for a connection's `nodes` and `edges`, and the
  default page size (autoscribe.operations.pagination.DEFAULT_PAGE) for any other list. `first` counts at most
  the largest page (MAX_PAGE; the resolver refuses more);
- a fragment, named or inline, counts each time it is spread.

Each fragment's cost is computed once per connection page it is spread under (memoised), so the
count is linear in the size of the document whatever the nesting: 25 levels of doubling are refused
in well under a millisecond, before graphql-core's validation sees them (engine.admission). Introspection (`__schema`, `__type`) is answered from
the schema in memory and its lists count once: an introspection query costs what it spells out.

A document's cost depends on nothing of the request but the values of the variables it reads (those
given to a `first`): it is counted once per (document, operation name, those values) and kept, as the
parsed document is (the same document object for the same text).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_nullable_type,
    get_named_type,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from graphql.pyutils import Undefined

from autoscribe.operations.pagination import DEFAULT_PAGE, MAX_PAGE

# The list fields of a connection, counted once per item of the connection's page.
CONNECTION_LISTS = frozenset({"nodes", "edges"})


class FragmentCycle(Exception):
    """A fragment that spreads itself: it has no finite cost (validation names it too)."""

    def __init__(self, name: str):
        super().__init__(f"Cannot spread fragment '{name}' within itself.")


# (id of the document, operation name) -> (document, schema, variables read, {their values: cost})
_COUNTED: OrderedDict[tuple[int, str | None], tuple[DocumentNode, GraphQLSchema, tuple[str, ...], dict]] = OrderedDict()
MAX_COUNTED = 256
_ABSENT = object()


def query_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
               variables: dict[str, Any] | None) -> int:
    """The cost of the operation that would run (the dearest one when that is not yet clear, as
    when the operation name matches none: execution refuses it anyway)."""
    variables = variables if isinstance(variables, dict) else {}  # anything else is refused later
    key = (id(document), operation_name)
    known = _COUNTED.get(key)
    values = None
    if known is not None and known[0] is document and known[1] is schema:
        values = tuple(variables.get(name, _ABSENT) for name in known[2])
        try:
            cost = known[3].get(values)
        except TypeError:  # a value that is no number (a list, an object): counted afresh, refused later
            values = cost = None
        if cost is not None:
            _COUNTED.move_to_end(key)
            return cost
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    counter = _Counter(schema, document)
    cost = max((counter.operation(op, variables) for op in (chosen or operations)), default=0)
    if known is None or known[0] is not document or known[1] is not schema:
        names = tuple(sorted(counter.read))
        known = (document, schema, names, {})
        _COUNTED[key] = known
        values = tuple(variables.get(name, _ABSENT) for name in names)
        while len(_COUNTED) > MAX_COUNTED:
            _COUNTED.popitem(last=False)
    if values is not None and len(known[3]) < MAX_COUNTED:
        try:
            known[3][values] = cost
        except TypeError:
            pass
    return cost


class _Counter:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode):
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        # (fragment, page) -> cost, and the fragments being counted (to find cycles).
        self.memo: dict[tuple[str, int | None], int] = {}
        self.open: set[str] = set()
        self.variables: dict[str, Any] = {}
        # The variables the cost read (whatever their values, the same ones for the same document).
        self.read: set[str] = set()

    def operation(self, operation: OperationDefinitionNode, variables: dict[str, Any]) -> int:
        defaults = {
            d.variable.name.value: int(d.default_value.value)
            for d in operation.variable_definitions or ()
            if isinstance(d.default_value, IntValueNode)
        }
        self.variables = {**defaults, **variables}
        self.memo.clear()  # fragments' costs depend on the variables (through `first`)
        root = self.schema.get_root_type(operation.operation)
        return self.selections(operation.selection_set, root, None)

    def selections(self, selection_set: SelectionSetNode | None, parent: Any, page: int | None) -> int:
        """The cost of a selection on `parent`; `page` is the `first` of the connection it selects on."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                on = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                total += self.selections(selection.selection_set, on, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key in self.memo:
            return self.memo[key]
        definition = self.fragments.get(name)
        if definition is None:
            return 0  # validation reports the unknown fragment
        if name in self.open:
            raise FragmentCycle(name)
        self.open.add(name)
        try:
            cost = self.selections(definition.selection_set, self.schema.get_type(definition.type_condition.name.value), page)
        finally:
            self.open.discard(name)
        self.memo[key] = cost
        return cost

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        definition = _field_definition(self.schema, parent, node.name.value)
        if definition is None:
            # Unknown (validation refuses it): its selection still counts, on no known type.
            return 1 + self.selections(node.selection_set, None, None)
        introspection = get_named_type(definition.type).name.startswith("__") or node.name.value.startswith("__")
        first = self._first(node, definition)
        is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        if introspection:
            times = 1
        elif is_list:
            times = first if first is not None else page if page is not None and node.name.value in CONNECTION_LISTS \
                else DEFAULT_PAGE
        else:
            times = 1
        # A connection (an object with a `first`) hands its page to its `nodes` and `edges`.
        inner_page = first if first is not None and not is_list else None
        return 1 + times * self.selections(node.selection_set, get_named_type(definition.type), inner_page)

    def _first(self, node: FieldNode, definition: Any) -> int | None:
        """The page this field asks for, if it takes a `first`, within 1..MAX_PAGE."""
        argument = definition.args.get("first")
        if argument is None:
            return None
        value: Any = argument.default_value
        for given in node.arguments or ():
            if given.name.value == "first":
                value = given.value
        if isinstance(value, VariableNode):
            self.read.add(value.name.value)
            value = self.variables.get(value.name.value, argument.default_value)
        if isinstance(value, IntValueNode):
            value = int(value.value)
        if value is Undefined or value is None:
            return DEFAULT_PAGE
        if isinstance(value, bool) or not isinstance(value, int):
            return 1  # not a number: refused when the arguments are coerced
        return min(max(value, 1), MAX_PAGE)


def _field_definition(schema: GraphQLSchema, parent: Any, name: str):
    if name == "__typename":
        return TypeNameMetaFieldDef
    if parent is schema.query_type and name in ("__schema", "__type"):
        return SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
    if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return parent.fields.get(name)
    return None


def cost_error(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"Query cost {cost} exceeds the limit of {limit}: ask for smaller pages (first) or fewer fields.",
        extensions={"code": "BAD_USER_INPUT", "cost": cost, "limit": limit},
    )
