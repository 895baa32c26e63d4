"""Reads of chosen columns only: a page of studies (with the users it names), users by ID, as rows
rather than ORM objects.

For a front door that knows before it reads which columns its answer needs (the compiled
execution of queries, autoscribe.server.engine.compiled). The rights, the caller's scope and the
filters are those of studies.list_studies and of the loaders' users, from the same functions, so
the two ways of reading agree on which rows a caller sees; only the columns differ. Each row has
an attribute per column, named as the model's attribute (`row.extra_metadata`, not `metadata`).

A page's users (the assignee, the creator) are read in the page's own statement, by an outer join
per ID column kept to the users the caller sees, not by a statement of their own. On PostgreSQL the
first page of an unfiltered list, the worklist every screen opens with, is a db.templates.Template:
its SQL made once per set of columns, order and page size, its rows read by the driver.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from operator import attrgetter

from sqlalchemy import Column, Row, String, and_, bindparam, inspect, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.util import ClauseAdapter

from autoscribe.core.errors import ErrorCode
from autoscribe.core.principal import Principal
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.engine import Database
from autoscribe.db.enums import StudyOrder
from autoscribe.db.models import Study, User
from autoscribe.db.templates import Template, template
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Page, check_first, first_page, page_of_rows, paginate
from autoscribe.operations.scope import ClinicScope, visible
from autoscribe.operations.studies import ORDERS, list_query, list_scope
from autoscribe.operations.study_filters import check_filter


def columns(model: type, names: Iterable[str]) -> list[Column]:
    """The model's columns of these attribute names, labelled by them; KeyError for an unknown one."""
    mapped = model.__mapper__.columns
    return [mapped[name].label(name) for name in dict.fromkeys(names)]


def _joined(id_column: str, name: str) -> str:
    """The label of a joined user's column `name`, for the study's ID column `id_column`."""
    return f"{id_column}__{name}"


def _page_query(scope, names: Iterable[str], order: StudyOrder, filter: dict | None, users: tuple[str, ...],
                user_names: tuple[str, ...]):
    """The studies `scope` sees that match the filter, of these columns and the order's keys, with
    the user of each ID column in `users` (its `user_names` columns) when the scope sees that user."""
    keys = ORDERS[order]
    wanted = [*names, *(column.key for column, _ in keys.keys)]
    selected = columns(Study, wanted)
    joins = []
    for id_column in users:
        person = aliased(User, name=f"u_{id_column}")
        adapt = ClauseAdapter(inspect(person).selectable).traverse
        selected += [getattr(person, name).label(_joined(id_column, name)) for name in user_names]
        joins.append((person, and_(person.id == getattr(Study, id_column), *map(adapt, visible(User, scope)))))
    query = select(*selected)
    for person, on in joins:
        query = query.outerjoin(person, on)
    return list_query(query, scope, filter)


_CLINIC = ClinicScope(clinic_id=bindparam("clinic_id", type_=String))


def _first_page_template(db: Database, names: frozenset[str], order: StudyOrder, users: tuple[str, ...],
                         user_names: tuple[str, ...], first: int) -> Template:
    def statement():
        return first_page(_page_query(_CLINIC, sorted(names), order, None, users, user_names), ORDERS[order], first)

    return template(db, ("studies", names, order, users, user_names, first), statement, ["clinic_id"])


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
    users: Iterable[str] = (),
    user_names: Iterable[str] = (),
    scope_suffix: str = "",
) -> tuple[Page[Row], dict[str, tuple] | None]:
    """studies.list_studies's page (same studies, same cursors), of these columns and the order's
    keys; and, for the study ID columns in `users`, the users they name that the caller sees
    (as user_rows reads them, of `user_names`), by ID. For a reroute session the users are not
    read here (None): user_rows reads them by its scope's own rule."""
    names = frozenset(names)
    users = tuple(sorted(set(users))) if principal.study_id is None else ()
    user_names = tuple(sorted({"id", *user_names}))
    scope = list_scope(principal, scope_suffix)
    order_keys = ORDERS[order]
    if not svc.db.is_sqlite and after is None and principal.study_id is None and not check_filter(filter):
        check_first(first)
        template = _first_page_template(svc.db, names, order, users, user_names, first)
        rows = await template.rows({"clinic_id": principal.clinic_id})
        page = page_of_rows(svc.db, svc.signer, scope=scope, order=order_keys, first=first, rows=rows,
                            query=lambda: _page_query(principal, names, order, filter, (), ()))
    else:
        page = await paginate(
            svc.db, svc.signer, scope=scope, query=_page_query(principal, names, order, filter, users, user_names),
            order=order_keys, first=first, after=after, columns=True,
        )
    return page, (_users_of(page.rows, users, user_names) if principal.study_id is None else None)


_USER_ROWS: dict[tuple[str, ...], type] = {}


def _users_of(rows: list, users: tuple[str, ...], user_names: tuple[str, ...]) -> dict[str, tuple]:
    """The users the rows name through each joined ID column, by ID, each a row of `user_names`."""
    if not users:
        return {}
    user_row = _USER_ROWS.get(user_names)
    if user_row is None:
        user_row = _USER_ROWS[user_names] = namedtuple("UserRow", user_names)  # noqa: PYI024
    found: dict[str, tuple] = {}
    for id_column in users:
        ident = attrgetter(id_column)
        joined_id = attrgetter(_joined(id_column, "id"))
        values = attrgetter(*(_joined(id_column, name) for name in user_names))
        for row in rows:
            user_id = ident(row)
            if user_id is None or user_id in found or joined_id(row) is None:
                continue
            picked = values(row)
            found[user_id] = user_row(*picked) if len(user_names) > 1 else user_row(picked)
    return found


@operation(right=Right.ANY, errors=set())
async def user_rows(svc: Services, principal: Principal, ids: Iterable[str], names: Iterable[str]) -> dict[str, Row]:
    """The users of `ids` the caller sees (as the loaders' `user` does), of these columns, by ID."""
    wanted = list(dict.fromkeys(i for i in ids if i is not None))
    if not wanted:
        return {}
    query = select(*columns(User, ["id", *names])).where(User.id.in_(wanted), *visible(User, principal))
    return {row.id: row for row in (await svc.db.fetch(query)).all()}
