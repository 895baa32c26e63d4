"""Running a planned createStudy: the operation with graphql-core's coerced input, the answer
written from the created row by the plan of its Study.

graphql-core has coerced the input before execution (variables, literals, enums to their Python
members, scalars parsed): that coerced value is already what the standard resolver hands the
operation after Strawberry has made the input object and `schema.inputs.given` has turned it back
into a dict of the given fields, so it goes to operations.studies.create_study as it is. Its
errors (validation, rights, a conflict) are the standard executor's: the same located error, and
`data` null as the field is non-null. The study is then answered from the created row (an ORM
object with the attributes of a projected row) by the plan, the assignee read as a worklist's are.
The write is done by then, so a Deviation here does not start the request again: the created
study is completed the standard way (Study.of and graphql-core's complete_value), as its resolver
would have returned it.
"""

from __future__ import annotations

from graphql import located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path

from autoscribe.operations import studies
from autoscribe.schema.study import Study
from autoscribe.server.engine.compiled.planner import CreatePlan
from autoscribe.server.engine.compiled.run import answer_of


async def run_create(executor, plan: CreatePlan, root_type) -> dict:
    """The operation's `data`; raises the root field's located error."""
    context = executor.context_value
    details = plan.field_details
    nodes = [d.node for d in details]
    try:
        args = get_argument_values(plan.field_def, nodes[0], executor.variable_values, None, executor.hide_suggestions)
        principal = await context.principal()
        row = await studies.create_study(context.svc, principal, args["input"])
    except Exception as exc:  # noqa: BLE001 - as graphql-core locates a resolver's error
        raise located_error(exc, nodes, [plan.key]) from None
    try:
        answer = await answer_of(plan.study, row, context.svc, principal)
    except Exception:  # noqa: BLE001 - Deviation or not: the standard completion below answers it
        return {plan.key: await _standard(executor, plan, root_type, row)}
    return {plan.key: answer}


async def _standard(executor, plan: CreatePlan, root_type, row) -> object:
    """The created study completed as graphql-core completes the resolver's Study."""
    path = Path(None, plan.key, root_type.name)
    details = plan.field_details
    try:
        info = executor.build_resolve_info(plan.field_def, [d.node for d in details], root_type, path)
        completed = executor.complete_value(plan.field_def.type, details, info, path, Study.of(row), None)
        return await completed if executor.is_awaitable(completed) else completed
    except Exception as exc:  # noqa: BLE001 - the non-null root field's error, as execute_field reports it
        raise located_error(exc, [d.node for d in details], path.as_list()) from None

