"""The executable schema: the root types (autoscribe.schema.root) with the limits that protect the
server and every override of Strawberry's execute and stream."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from graphql import execute as graphql_execute
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from autoscribe.core.settings import Settings
from autoscribe.schema.enums import ErrorCode
from autoscribe.schema.root import Mutation, Query, Subscription
from autoscribe.schema.scalars import SCALARS
from autoscribe.server.engine import multicast
from autoscribe.server.engine.admission import Admission, Admitted, anonymous, without_suggestions
from autoscribe.server.engine.errors import present
from autoscribe.server.engine.execution import ExecutionContext
from autoscribe.server.engine.input_text import NoNulInLiterals, bad_text_in_variables


def _arg(args: tuple, kwargs: dict, name: str, position: int):
    return kwargs.get(name, args[position] if len(args) > position else None)


def _before_execution(result: ExecutionResult) -> ExecutionResult:
    """Variables that do not coerce stop a request before execution as surely as a validation
    error, but graphql-core reports them in a plain result: no data, errors outside any field."""
    if (
        not isinstance(result, PreExecutionError)
        and result.data is None
        and result.errors
        and all(error.path is None for error in result.errors)
    ):
        return PreExecutionError(data=None, errors=result.errors, extensions=result.extensions)
    return result


async def _finish(result: ExecutionResult, context, operation_name: str | None) -> ExecutionResult:
    """What every HTTP result goes through last: no suggestions for an anonymous caller, then codes
    and masking (engine.errors.present)."""
    if result.errors and await anonymous(context):
        # Variable coercion names enum values too ("Did you mean the enum value …?").
        result.errors = without_suggestions(result.errors)
    return present(result, context, operation_name)


def _operation_not_found(exc: CannotGetOperationTypeError) -> GraphQLError:
    if exc.operation_name is None:  # (several operations are refused by engine.admission)
        message = "The document has no operation to run."
    else:
        message = f'Unknown operation named "{exc.operation_name}".'
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "field": "operationName"})


class AutoScribeSchema(strawberry.Schema):
    """Every result leaves through engine.errors.present: codes on all errors, internals masked."""

    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are logged by engine.errors (unexpected ones only, with the request ID)."""

    async def execute(self, *args, **kwargs):
        # A subscription asks for a stream: only stream() (over WebSocket) can give one. Run here, its
        # root field would resolve to a generator and fail as an internal error.
        allowed = kwargs.get("allowed_operation_types")
        if allowed is not None and OperationType.SUBSCRIPTION in allowed:
            kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        if (refused := bad_text_in_variables(_arg(args, kwargs, "variable_values", 1))) is not None:
            result = PreExecutionError(data=None, errors=[refused])
        else:
            try:
                result = _before_execution(await super().execute(*args, **kwargs))
            except InvalidOperationTypeError as exc:
                if exc.operation_type is not OperationType.SUBSCRIPTION:
                    raise  # a mutation over GET: refused by the front door (engine.asgi), 405
                result = PreExecutionError(data=None, errors=[GraphQLError(
                    "Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql.",
                    extensions={"code": "BAD_USER_INPUT"},
                )])
            except CannotGetOperationTypeError as exc:
                result = PreExecutionError(data=None, errors=[_operation_not_found(exc)])
        return await _finish(result, _arg(args, kwargs, "context_value", 2), _arg(args, kwargs, "operation_name", 4))

    async def execute_known(self, admitted: Admitted, variables: dict | None, context, operation_name: str | None):
        """A document admitted before (engine.known_documents), executed as execute() executes it
        after its extensions: graphql-core's execute with the engine's executor, the same result."""
        try:
            result = graphql_execute(
                self._schema, admitted.document, root_value=None, context_value=context, variable_values=variables,
                operation_name=operation_name, executor_class=self.execution_context_class,
                is_awaitable=optimized_is_awaitable, operation_extensions=None,
            )
            if optimized_is_awaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 - as Strawberry's execute reports it
            result = PreExecutionError(data=None, errors=[GraphQLError(str(exc), original_error=exc)])
        else:
            result = _before_execution(ExecutionResult(data=result.data, errors=result.errors))
        return await _finish(result, context, operation_name)

    async def stream(self, *args, **kwargs):
        context = _arg(args, kwargs, "context_value", 2)
        name = _arg(args, kwargs, "operation_name", 4)
        if (refused := bad_text_in_variables(_arg(args, kwargs, "variable_values", 1))) is not None:

            async def refusal():
                yield present(PreExecutionError(data=None, errors=[refused]), context, name)

            return refusal()
        # Subscriptions that share a document and visibility share one execution per event.
        parent = super().stream
        query, variables, root = _arg(args, kwargs, "query", 0), _arg(args, kwargs, "variable_values", 1), \
            _arg(args, kwargs, "root_value", 3)
        extra = {k: v for k, v in kwargs.items()
                 if k not in ("query", "variable_values", "context_value", "root_value", "operation_name")}

        async def upstream(shared_context):
            return await parent(query, variables, shared_context, root, name, **extra)

        if len(args) <= 5:
            member = await multicast.stream(context, query, variables, name, upstream, present)
            if member is not None:
                return member
        result = await super().stream(*args, **kwargs)
        if not hasattr(result, "__aiter__"):
            return present(result, context, name)

        async def presented():
            try:
                async for item in result:
                    yield present(item, context, name)
            finally:
                await result.aclose()

        return presented()


def build_schema(settings: Settings | None = None, extensions=()) -> strawberry.Schema:
    """The schema; `extensions` are added after the limits (tracing: autoscribe.server.tracing)."""
    settings = settings or Settings()
    # The limits' validation rules are made once: QueryDepthLimiter and MaxAliasesLimiter would make
    # new rule classes for every request, and ValidationCache, which keys on the rules, would never hit.
    rules = [
        depth_rule(settings.max_query_depth, None, None),
        alias_rule(settings.max_aliases),
        NoNulInLiterals,
    ]
    return AutoScribeSchema(
        execution_context_class=ExecutionContext,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[ErrorCode],
        scalar_overrides=SCALARS,
        extensions=[
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(ParserCache, maxsize=256),
            partial(AddValidationRules, rules),
            # The query cost, then the cached validation (ValidationCache's, with rules for the caller).
            partial(Admission, max_cost=settings.max_query_cost, maxsize=256),
            *extensions,
        ],
    )


def sdl() -> str:
    """The schema's SDL, as kept in schema.graphql."""
    return str(build_schema()) + "\n"
