"""Reads of chosen columns only: a page of studies, users by ID, as rows rather than ORM objects.

For a front door that knows before it reads which columns its answer needs (the compiled
execution of queries, autoscribe.server.engine.compiled). The rights, the caller's scope and the
filters are those of studies.list_studies and of the loaders' users, from the same functions, so
the two ways of reading agree on which rows a caller sees; only the columns differ. Each row has
an attribute per column, named as the model's attribute (`row.extra_metadata`, not `metadata`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Column, Row, select

from autoscribe.core.errors import ErrorCode
from autoscribe.core.principal import Principal
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.enums import StudyOrder
from autoscribe.db.models import Study, User
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Page, paginate
from autoscribe.operations.scope import visible
from autoscribe.operations.studies import ORDERS, list_query, list_scope


def columns(model: type, names: Iterable[str]) -> list[Column]:
    """The model's columns of these attribute names, labelled by them; KeyError for an unknown one."""
    mapped = model.__mapper__.columns
    return [mapped[name].label(name) for name in dict.fromkeys(names)]


@operation(right=Right.ANY, errors={ErrorCode.BAD_USER_INPUT})
async def study_rows(
    svc: Services,
    principal: Principal,
    *,
    names: Iterable[str],
    filter: dict | None,
    order: StudyOrder,
    first: int,
    after: str | None,
    scope_suffix: str = "",
) -> Page[Row]:
    """studies.list_studies's page (same studies, same cursors), of these columns and the order's keys."""
    keys = ORDERS[order]
    wanted = [*names, *(column.key for column, _ in keys.keys)]
    return await paginate(
        svc.db, svc.signer, scope=list_scope(principal, scope_suffix),
        query=list_query(select(*columns(Study, wanted)), principal, filter),
        order=keys, first=first, after=after, columns=True,
    )


@operation(right=Right.ANY, errors=set())
async def user_rows(svc: Services, principal: Principal, ids: Iterable[str], names: Iterable[str]) -> dict[str, Row]:
    """The users of `ids` the caller sees (as the loaders' `user` does), of these columns, by ID."""
    wanted = list(dict.fromkeys(i for i in ids if i is not None))
    if not wanted:
        return {}
    query = select(*columns(User, ["id", *names])).where(User.id.in_(wanted), *visible(User, principal))
    return {row.id: row for row in (await svc.db.fetch(query)).all()}
