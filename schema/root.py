"""The root types and the schema, with the limits that protect the server."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from autoscribe.settings import Settings
from schema.errors import ErrorCodes
from schema.node_query import NodeQuery
from schema.principal import PrincipalQuery
from schema.study import StudyMutation, StudyQuery


@strawberry.type
class Query(NodeQuery, PrincipalQuery, StudyQuery):
    pass


@strawberry.type
class Mutation(StudyMutation):
    pass


class AutoScribeSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are logged by schema.errors (unexpected ones only, with the request ID)."""


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return AutoScribeSchema(
        query=Query,
        mutation=Mutation,
        extensions=[
            ErrorCodes,
            partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
            partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
            partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
            partial(ParserCache, maxsize=256),
            partial(ValidationCache, maxsize=256),
        ],
    )


def sdl() -> str:
    """The schema's SDL, as kept in schema.graphql."""
    return str(build_schema()) + "\n"
