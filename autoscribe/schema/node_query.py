"""`node(id)`: any object by its type-prefixed ID."""

from __future__ import annotations

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
    @strawberry.field
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        await info.context.principal()
        kind = kind_of(id)
        if kind not in _TYPES:
            check_id(None, "node", "id")
        row = await getattr(info.context.loaders, kind).load(id)
        return _TYPES[kind].of(row) if row else None
