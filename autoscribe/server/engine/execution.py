"""Execution with a short way for the most common field of all: a plain attribute with a scalar or
enum value (a worklist of 100 studies has some 2,000 of them).

graphql-core executes each field the same way: it makes a path entry and a resolve-info object,
looks for arguments, calls the resolver (for Strawberry's plain attributes, a getattr), then
dispatches on the return type to coerce the value; some 5 µs a field. For a field whose resolver is
Strawberry's basic one (no resolver of ours, no arguments, no resolving extension) and whose type is
a scalar or enum, possibly non-null, this executor's loop over an object's fields calls that same
resolver and graphql-core's own complete_leaf_value itself. Whatever is out of the ordinary (an
exception, null for a non-null field, a value that does not coerce, an awaitable) goes the
standard way, which then produces exactly the error it always would: the answer is the standard
executor's, only sooner (tests/test_execution.py compares the two).
"""

from __future__ import annotations

import inspect
from collections import Counter
from typing import Any
from weakref import WeakKeyDictionary

from graphql import GraphQLError, GraphQLObjectType, Undefined, is_leaf_type, is_non_null_type
from graphql.execution.middleware import MiddlewareManager
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from autoscribe.server.engine.compiled.leaves import Deviation
from autoscribe.server.engine.compiled.planner import CreatePlan, EventPlan, plan_of
from autoscribe.server.engine.compiled.run import run, run_event
from autoscribe.server.engine.compiled.writes import run_create

try:
    from graphql.pyutils import gather_with_cancel
except ImportError:  # another graphql-core: see STANDARD below
    gather_with_cancel = None

# The executor below follows graphql-core 3.3's execute_fields; with another graphql-core whose
# loop differs, the standard executor is used (tests/test_execution.py then says so), and
# tests/test_upstream.py names what changed (engine.upstream keeps the loop's digest).
STANDARD = StrawberryGraphQLCoreExecutionContext
_FOLLOWS = (
    gather_with_cancel is not None
    and callable(getattr(STANDARD, "complete_leaf_value", None))
    and list(inspect.signature(STANDARD.execute_fields).parameters)
    == ["self", "parent_type", "source_value", "path", "grouped_field_set", "position_context"]
)

# Per object type: field name -> (Strawberry's basic resolver, the scalar or enum type, non-null).
_Plan = dict[str, tuple[Any, Any, bool]]
_plans: WeakKeyDictionary[GraphQLObjectType, _Plan] = WeakKeyDictionary()


def _plan(parent_type: GraphQLObjectType) -> _Plan:
    plan = _plans.get(parent_type)
    if plan is None:
        plan = {}
        for name, field in parent_type.fields.items():
            if not getattr(field.resolve, "_is_default", False) or field.args:
                continue
            non_null = is_non_null_type(field.type)
            leaf = field.type.of_type if non_null else field.type
            if is_leaf_type(leaf):
                plan[name] = (field.resolve, leaf, non_null)
        _plans[parent_type] = plan
    return plan


def _has_middleware(manager: MiddlewareManager | None) -> bool:
    """Strawberry passes a manager on every request, empty unless an extension resolves fields."""
    return manager is not None and bool(manager.middlewares)


# How queries offered to the compiled execution went: "compiled" (answered by their plan),
# "unplannable" (the standard way, whole), "deviated" (planned, then answered the standard way).
COMPILED: Counter[str] = Counter()


def _planned(context) -> None:
    """Note that the request's plan answered it (engine.known_documents learns such documents)."""
    if hasattr(context, "planned"):
        context.planned = True


class _ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_collected_root_fields(self, root_type, root_value, grouped_field_set, serially, new_defer_usages):
        """A query (or createStudy) the compiled execution can plan goes that way (when the context asks for it:
        HTTP requests, see engine.asgi), as does a shared subscription's event (engine.multicast);
        anything else, and any deviation on the way, the standard way."""
        standard = super().execute_collected_root_fields
        if not getattr(self.context_value, "compiled", False) or _has_middleware(self.middleware_manager):
            return standard(root_type, root_value, grouped_field_set, serially, new_defer_usages)
        plan = plan_of(self, root_type, grouped_field_set)
        if plan is None:
            COMPILED["unplannable"] += 1
            return standard(root_type, root_value, grouped_field_set, serially, new_defer_usages)

        if isinstance(plan, CreatePlan):
            # A write is never made twice: its answer does not deviate to the standard way.
            COMPILED["compiled"] += 1
            _planned(self.context_value)
            return run_create(self, plan, root_type)
        answer = run_event if isinstance(plan, EventPlan) else run

        async def compiled():
            try:
                data = await answer(self, plan)
            except GraphQLError:
                COMPILED["compiled"] += 1  # the root field's error, located as the standard way does
                raise
            except Deviation:
                COMPILED["deviated"] += 1
            else:
                COMPILED["compiled"] += 1
                _planned(self.context_value)
                return data
            result = standard(root_type, root_value, grouped_field_set, serially, new_defer_usages)
            return await result if self.is_awaitable(result) else result

        return compiled()

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        """graphql-core's, with the plain scalar fields answered in the loop (no Path, no call)."""
        if _has_middleware(self.middleware_manager):
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        plan = _plan(parent_type)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        complete_leaf = self.complete_leaf_value
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                leaf = plan.get(node.name.value)
                if leaf is not None and not node.arguments:
                    resolve, leaf_type, non_null = leaf
                    try:
                        value = resolve(source_value)
                        if value is None or value is Undefined:
                            if not non_null:
                                results[response_name] = None
                                continue
                        elif not isinstance(value, Exception) and not is_awaitable(value):
                            # Raises where the standard way raises (then it goes that way).
                            results[response_name] = complete_leaf(leaf_type, value)
                            continue
                    except Exception:  # noqa: BLE001, S110 - the standard way below reports it as it always does
                        pass
                result = self.execute_field(
                    parent_type, source_value, field_details_list, Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


ExecutionContext = _ExecutionContext if _FOLLOWS else STANDARD
