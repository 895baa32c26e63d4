"""From a query's selection to a plan: once per document, operation and @skip/@include values.

The fields are collected by graphql-core's own collect_subfields (aliases, fragments named and
inline, type conditions, @skip/@include), so the plan answers exactly the fields the standard
executor would, in its order. What the planner knows:

- the root field `studies` (one root field, the worklist's) and its connection: `edges`
  (`cursor`, `node`), `nodes`, `pageInfo`, `totalCount`;
- types made from a row (`schema.from_row`: Study, User): each plain field is a column, or a
  function of some (found by calling it once on a recorder of the attributes it reads);
- Study's `reportMetadata`, answered from the stored JSON object without making the Strawberry
  object (its type's `from_json` says how each field is read and converted), its reads and
  conversions written out in the study's own answer (ObjectPlan.stored);
- Study's resolvers that are functions of `self.row` alone (`priorReports`),
  and those that read a user by an ID column (`assignedTo`, `createdByUser`), read for a whole
  level in one statement;
- types whose fields are plain attributes of an object made in memory (StudyReportMetadata,
  Height, Weight, PriorReport, PageInfo);
- `__typename` anywhere;
- the subscription root fields `worklist` and `reportStatusChanged`, executed once per event
  (engine.multicast's groups): their event's plain fields (`cursor`, `occurredAt`, `type`, the
  statuses) are attributes of the event object, its `study` and `report` are answered from the
  rows they were made of (Study.of(row), Report.of(row)), as above.

- the mutation `createStudy` alone, whose Study is answered from the created row as a worklist's
  studies are (engine.compiled.writes runs it).

Anything else (another root field, a field with arguments below the root, any other resolver, an
interface or union, introspection, other mutations, fragment arguments) makes the document
unplannable: it runs the standard way, whole.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from operator import attrgetter, itemgetter, methodcaller
from typing import Any

from graphql import (
    GraphQLObjectType,
    OperationType,
    get_named_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetails, collect_subfields
from graphql.language import DirectiveNode, OperationDefinitionNode, Visitor, visit

from autoscribe.schema import pagination, report, study, subscription, user
from autoscribe.server.engine.compiled.leaves import Deviation, finisher
from autoscribe.server.engine.compiled.plan import Join, ObjectPlan

DEFINITION = "strawberry-definition"
# Study's resolvers that read nothing but self.row.
PURE = {(study.Study, "prior_reports"), (report.Report, "snapshot_metadata")}
# Study's resolvers that answer `Type.of(self.row.column)` for a type made by from_json: (column, Type).
# Its answer is written from the stored dict, without making the object (Planner.stored).
STORED = {(study.Study, "report_metadata"): ("report_metadata", study.StudyReportMetadata)}
# Study's resolvers that answer a user by an ID column of the study: (loader, column).
JOINS = {(study.Study, "assigned_to"): ("user", "assigned_to_id"),
         (study.Study, "created_by_user"): ("user", "created_by_user_id")}
LOADED = {"user": user.User}
# The subscription root fields whose events the planner answers: their resolvers.
EVENTS = (subscription.Subscription.worklist, subscription.Subscription.report_status_changed)


class Unplannable(Exception):  # noqa: N818 - a verdict on a document, not an error
    pass


@dataclass(eq=False)
class RootPlan:
    """The `studies` root field: its response key, nodes, definition, and the plan of its answer."""

    key: str
    field_details: list[FieldDetails]
    field_def: Any
    connection: ObjectPlan
    # The study columns every plan of a study in it needs.
    columns: frozenset[str]
    counts: bool
    # The study ID columns whose users the plans read, and the user columns they need.
    user_joins: tuple[str, ...] = ()
    user_columns: frozenset[str] = frozenset()


@dataclass(eq=False)
class CreatePlan:
    """The `createStudy` mutation: its response key, nodes, definition, and the plan of its Study."""

    key: str
    field_details: list[FieldDetails]
    field_def: Any
    study: ObjectPlan


@dataclass(eq=False)
class EventPlan:
    """A subscription root field (one event's answer): its response key and the event's plan."""

    key: str
    event: ObjectPlan


class _Reads:
    """Stands in for a row: notes which attributes a function reads (each reads as None)."""

    def __init__(self):
        self.names: set[str] = set()

    def __getattr__(self, name: str):
        self.names.add(name)


class _Self:
    """Stands in for a Strawberry object of a row type, for its resolvers that read only self.row."""

    __slots__ = ("row",)

    def __init__(self, row):
        self.row = row


def _reads(function, wrap=lambda reads: reads) -> set[str]:
    reads = _Reads()
    try:
        function(wrap(reads))
    except Exception as exc:
        raise Unplannable from exc
    return reads.names


def _origin(gtype: GraphQLObjectType):
    definition = (gtype.extensions or {}).get(DEFINITION)
    if definition is None:
        raise Unplannable
    return definition.origin


def _unwrap(output_type) -> tuple[bool, bool, bool, Any]:
    """(non-null, a list, its items non-null, the named type)."""
    non_null = is_non_null_type(output_type)
    inner = output_type.of_type if non_null else output_type
    if not is_list_type(inner):
        return non_null, False, True, inner
    item = inner.of_type
    if is_list_type(getattr(item, "of_type", item)):
        raise Unplannable  # lists of lists: none in the schema
    return non_null, True, is_non_null_type(item), get_named_type(item)


class Planner:
    def __init__(self, executor):
        self.schema = executor.schema
        self.fragments = executor.fragments
        self.variables = executor.variable_values
        self.operation = executor.operation
        self.hide = executor.hide_suggestions
        self.study_plans: list[ObjectPlan] = []
        self.study_joins: list[tuple[str, Join]] = []

    def _subfields(self, gtype, details):
        collected = collect_subfields(self.schema, self.fragments, self.variables, self.operation, gtype, details,
                                      self.hide)
        for key, field_details in collected.grouped_field_set.items():
            if any(d.fragment_variable_values is not None or d.defer_usage is not None for d in field_details):
                raise Unplannable
            yield key, field_details

    def _fields(self, gtype, details, plan: ObjectPlan):
        """Each selected field of `gtype` but `__typename` (a constant in `plan`, in its place):
        (response key, its field details, name, graphql-core field, Strawberry definition)."""
        for key, sub in self._subfields(gtype, details):
            name = sub[0].node.name.value
            if name == "__typename":
                plan.constant(key, gtype.name)
                continue
            field_def, definition = self._field(gtype, sub)
            yield key, sub, name, field_def, definition

    def _field(self, gtype, details):
        node = details[0].node
        field_def = gtype.fields.get(node.name.value)
        if field_def is None or field_def.args or node.arguments:
            raise Unplannable
        definition = (field_def.extensions or {}).get(DEFINITION)
        if definition is None or definition.extensions:
            raise Unplannable
        return field_def, definition

    def root(self, key: str, details) -> RootPlan:
        query = self.schema.query_type
        node = details[0].node
        field_def = query.fields.get(node.name.value)
        definition = (field_def.extensions or {}).get(DEFINITION) if field_def else None
        if (definition is None or definition.python_name != "studies" or definition.extensions
                or definition.base_resolver is None
                or definition.base_resolver.wrapped_func is not study.StudyQuery.studies):
            raise Unplannable
        connection_type = field_def.type.of_type
        plan, counts = self.connection(connection_type, details)
        columns = frozenset().union(*(p.columns for p in self.study_plans))
        users = [(column, join) for column, join in self.study_joins if join.loader == "user"]
        return RootPlan(key, details, field_def, plan, columns, counts,
                        tuple(sorted({column for column, _join in users})),
                        frozenset().union(*(join.plan.columns for _column, join in users)))

    def create_study(self, key: str, details) -> CreatePlan:
        mutation = self.schema.mutation_type
        node = details[0].node
        field_def = mutation.fields.get(node.name.value) if mutation else None
        definition = (field_def.extensions or {}).get(DEFINITION) if field_def else None
        if (definition is None or definition.python_name != "create_study" or definition.extensions
                or definition.base_resolver is None
                or definition.base_resolver.wrapped_func is not study.StudyMutation.create_study
                or any(d.defer_usage is not None or d.fragment_variable_values is not None for d in details)):
            raise Unplannable
        return CreatePlan(key, details, field_def, self.row(get_named_type(field_def.type), details))

    def event_root(self, key: str, details) -> EventPlan:
        """`worklist` or `reportStatusChanged`: per event, the root field is the event itself."""
        node = details[0].node
        field_def = self.schema.subscription_type.fields.get(node.name.value)
        definition = (field_def.extensions or {}).get(DEFINITION) if field_def else None
        if (definition is None or definition.extensions or definition.base_resolver is None
                or definition.base_resolver.wrapped_func not in EVENTS):
            raise Unplannable
        non_null, listed, _items, named = _unwrap(field_def.type)
        if not non_null or listed:
            raise Unplannable
        return EventPlan(key, self.attributes(named, details, of_rows=True))

    def connection(self, gtype, details) -> tuple[ObjectPlan, bool]:
        plan, counts = ObjectPlan(), False
        for key, sub, name, field_def, _definition in self._fields(gtype, details, plan):
            non_null, listed, items_non_null, named = _unwrap(field_def.type)
            if name == "edges":
                plan.nested(key, attrgetter("edges"), self.edge(named, sub), non_null=non_null, listed=True,
                            items_non_null=items_non_null)
            elif name == "nodes":
                plan.nested(key, attrgetter("rows"), self.row(named, sub), non_null=non_null, listed=True,
                            items_non_null=items_non_null)
            elif name == "pageInfo":
                plan.nested(key, attrgetter("page_info"), self.attributes(named, sub), non_null=non_null,
                            listed=False)
            elif name == "totalCount":
                plan.attribute(key, "total", finisher(field_def.type))
                counts = True
            else:
                raise Unplannable
        return plan, counts

    def edge(self, gtype, details) -> ObjectPlan:
        plan = ObjectPlan()
        for key, sub, name, field_def, definition in self._fields(gtype, details, plan):
            if name == "cursor" and definition.base_resolver is not None \
                    and definition.base_resolver.wrapped_func is pagination._cursor:
                plan.attribute(key, "cursor", finisher(field_def.type))
            elif name == "node" and definition.base_resolver is None:
                non_null, _listed, _items, named = _unwrap(field_def.type)
                plan.nested(key, attrgetter("row"), self.row(named, sub), non_null=non_null, listed=False)
            else:
                raise Unplannable
        return plan

    def row(self, gtype, details) -> ObjectPlan:
        """A Study (or User) read as a row of columns."""
        if not is_object_type(gtype):
            raise Unplannable
        cls = _origin(gtype)
        fields = getattr(cls, "__row_fields__", None)
        model = getattr(cls, "__row_model__", None)
        if fields is None:
            raise Unplannable
        plan = ObjectPlan()
        if cls is study.Study:
            self.study_plans.append(plan)
        for key, sub, name, field_def, definition in self._fields(gtype, details, plan):
            python_name = definition.python_name
            if definition.base_resolver is None:
                source = fields.get(python_name)
                finish = finisher(field_def.type)
                if source is None or finish is None:
                    raise Unplannable
                if isinstance(source, str):
                    plan.columns.add(source)
                    plan.attribute(key, source, finish)
                else:
                    plan.columns |= _reads(source)
                    plan.computed(key, source, finish)
            elif (cls, python_name) in STORED and definition.base_resolver.wrapped_func is getattr(cls, python_name):
                column, made = STORED[(cls, python_name)]
                non_null, listed, _items, named = _unwrap(field_def.type)
                if listed or not is_object_type(named) or _origin(named) is not made:
                    raise Unplannable
                plan.columns.add(column)
                plan.stored(key, column, *self.stored(named, sub, made))
            elif (cls, python_name) in PURE and definition.base_resolver.wrapped_func is getattr(cls, python_name):
                resolve = definition.base_resolver.wrapped_func
                plan.columns |= _reads(resolve, _Self)
                get = (lambda resolve: lambda row: resolve(_Self(row)))(resolve)
                non_null, listed, items_non_null, named = _unwrap(field_def.type)
                if is_object_type(named):
                    plan.nested(key, get, self.attributes(named, sub), non_null=non_null, listed=listed,
                                items_non_null=items_non_null)
                else:
                    finish = finisher(field_def.type)
                    if finish is None:
                        raise Unplannable
                    plan.computed(key, get, finish)
            elif (cls, python_name) in JOINS and definition.base_resolver.wrapped_func is getattr(cls, python_name):
                loader, column = JOINS[(cls, python_name)]
                non_null, listed, _items, named = _unwrap(field_def.type)
                if listed or not is_object_type(named) or _origin(named) is not LOADED[loader]:
                    raise Unplannable
                plan.columns.add(column)
                join = Join(loader, self.row(named, sub))
                plan.joined(key, column, join, non_null=non_null)
                if cls is study.Study:
                    self.study_joins.append((column, join))
            else:
                raise Unplannable
        unknown = plan.columns - set(model.__mapper__.columns.keys())
        if unknown:
            raise Unplannable
        return plan

    def stored(self, gtype, details, made) -> tuple[ObjectPlan, tuple]:
        """An object of a from_json type answered from its stored dict, without making it: the plan
        of its answer, whose source is the dict, and the checks of the keys it does not read.

        What `made.of` would refuse, it refuses too: a stored value that is not an object, a
        missing required key, a value a converter does not take, whether the field is selected or
        not (each converter not selected is still run, on its value, and its result dropped)."""
        if not is_object_type(gtype):
            raise Unplannable
        fields = made.__json_fields__
        plan = ObjectPlan()
        selected = set()
        for key, sub, _name, field_def, definition in self._fields(gtype, details, plan):
            if definition.base_resolver is not None or definition.python_name not in fields:
                raise Unplannable
            selected.add(definition.python_name)
            name, convert, required = fields[definition.python_name]
            finish = finisher(field_def.type)
            if finish is not None:
                plan.item(key, name, finish, required=required, convert=convert)
                continue
            non_null, listed, items_non_null, named = _unwrap(field_def.type)
            plan.nested(key, _stored_reader(name, convert, required), self.attributes(named, sub), non_null=non_null,
                        listed=listed, items_non_null=items_non_null)
        checks = tuple(spec for name, spec in fields.items()
                       if name not in selected and (spec[1] is not None or spec[2]))
        return plan, checks

    def attributes(self, gtype, details, *, of_rows: bool = False) -> ObjectPlan:
        """An object made in memory, whose selected fields are all plain attributes; with `of_rows`
        (an event), its objects are of row types, made by their `of(row)`: answered from the row."""
        if not is_object_type(gtype):
            raise Unplannable
        plan = ObjectPlan()
        for key, sub, name, field_def, definition in self._fields(gtype, details, plan):
            if definition.base_resolver is not None:
                raise Unplannable
            finish = finisher(field_def.type)
            if finish is not None:
                plan.attribute(key, definition.python_name, finish)
                continue
            non_null, listed, items_non_null, named = _unwrap(field_def.type)
            if not of_rows:
                plan.nested(key, attrgetter(definition.python_name), self.attributes(named, sub), non_null=non_null,
                            listed=listed, items_non_null=items_non_null)
            elif listed:
                raise Unplannable
            else:
                plan.nested(key, _row_of(definition.python_name), self.row(named, sub), non_null=non_null,
                            listed=False)
        return plan


def _stored_reader(key: str, convert, required: bool):
    """A field's value as `of` reads it from the stored dict."""
    if convert is None:
        return itemgetter(key) if required else methodcaller("get", key)
    if required:
        return lambda data: convert(data[key])
    return lambda data: convert(data.get(key))


def _row_of(name: str):
    """The row an event's object of a row type was made of (None for no object)."""

    def row(event):
        made = getattr(event, name)
        return None if made is None else made.row

    return row


class _DirectiveVariables(Visitor):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_args):
        for argument in node.arguments:
            for variable in _variables_in(argument.value):
                self.names.add(variable)


def _variables_in(value):
    kind = value.kind
    if kind == "variable":
        yield value.name.value


# (id of the operation, values of the variables its directives use) -> (operation, plan or None)
_PLANS: OrderedDict[tuple, tuple[OperationDefinitionNode, RootPlan | None]] = OrderedDict()
_DIRECTIVES: dict[int, tuple[OperationDefinitionNode, tuple[str, ...]]] = {}
MAX_PLANS = 256


def _directive_variables(executor) -> tuple[str, ...]:
    operation = executor.operation
    known = _DIRECTIVES.get(id(operation))
    if known is not None and known[0] is operation:
        return known[1]
    finder = _DirectiveVariables()
    visit(operation, finder)
    for fragment in executor.fragment_definitions.values():
        visit(fragment, finder)
    names = tuple(sorted(finder.names))
    if len(_DIRECTIVES) >= MAX_PLANS:
        _DIRECTIVES.clear()
    _DIRECTIVES[id(operation)] = (operation, names)
    return names


def plan_of(executor, root_type, grouped_field_set) -> RootPlan | CreatePlan | EventPlan | None:
    """The plan of this operation with these @skip/@include values, made on first use; None when the
    document is not plannable (then it is never tried again). A query's plan is a RootPlan; a
    subscription's (the execution of one event) an EventPlan."""
    operation = executor.operation
    schema = executor.schema
    if operation.operation is OperationType.QUERY and root_type is schema.query_type:
        make = Planner.root
    elif operation.operation is OperationType.MUTATION and root_type is schema.mutation_type:
        make = Planner.create_study
    elif operation.operation is OperationType.SUBSCRIPTION and root_type is schema.subscription_type:
        make = Planner.event_root
    else:
        return None
    coerced = executor.variable_values.coerced
    key = (id(operation), *(coerced.get(name) for name in _directive_variables(executor)))
    try:
        known = _PLANS.get(key)
    except TypeError:  # an unhashable directive value: not a Boolean, refused before execution anyway
        return None
    if known is not None and known[0] is operation:
        _PLANS.move_to_end(key)
        return known[1]
    plan = None
    if len(grouped_field_set) == 1:
        (response_key, details), = grouped_field_set.items()
        try:
            plan = make(Planner(executor), response_key, details)
        except (Unplannable, ValueError):  # ValueError: a name that is no identifier (ObjectPlan)
            plan = None
    _PLANS[key] = (operation, plan)
    while len(_PLANS) > MAX_PLANS:
        _PLANS.popitem(last=False)
    return plan
