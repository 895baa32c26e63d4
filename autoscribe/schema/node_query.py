"""`node(id)`: any object by its type-prefixed ID."""

from __future__ import annotations

from typing import Annotated

import strawberry

from autoscribe.db.ids import kind_of
from autoscribe.operations.validation import check_id
from autoscribe.schema.invitation import Invitation
from autoscribe.schema.node import Node
from autoscribe.schema.report import Report
from autoscribe.schema.study import Study
from autoscribe.schema.user import User

_TYPES = {"study": Study, "report": Report, "user": User, "invitation": Invitation}


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any study, report, user or invitation of the clinic by its ID; null when there is none. "
        "Requires: any valid bearer. Errors: UNAUTHENTICATED, BAD_USER_INPUT (not an ID of one of those types)."
    )
    async def node(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Its ID: stu_, rep_, usr_ or inv_ and 32 lowercase hex digits.")],
    ) -> Node | None:
        await info.context.principal()
        kind = kind_of(id)
        if kind not in _TYPES:
            check_id(None, "node", "id")
        row = await getattr(info.context.loaders, kind).load(id)
        return _TYPES[kind].of(row) if row else None
