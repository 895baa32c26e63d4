"""A read statement compiled once to the dialect's SQL text, run by the driver with fresh values.

SQLAlchemy builds, keys, compiles (from its cache) and processes a Core statement on every
execution: for a statement run on every request with only some values changing (a worklist page
of one clinic after another), that is most of the cost of reading it. A Template is a Core select
whose changing values are named bind parameters; it is compiled once with the engine's dialect, and
each run binds the values by position (through the types' own bind processors), sends the text by
the driver (Database.fetch_text) and makes each record a row with an attribute per column (through
the types' own result processors): the same SQL and the same values as Core would send and give.
PostgreSQL only (asyncpg); on SQLite statements go through Core.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from datetime import timezone

from sqlalchemy import Enum, Select

from autoscribe.db.engine import Database
from autoscribe.db.types import UTCDateTime


MAX_TEMPLATES = 512


def template(db: Database, key: Any, statement: Callable[[], Select], parameters: Sequence[str]) -> Template:
    """The database's template of `key`, made from `statement()` on first use (at most
    MAX_TEMPLATES per database: beyond, they are made again)."""
    known = db.templates.get(key)
    if known is None:
        known = Template(db, statement(), parameters)
        if len(db.templates) >= MAX_TEMPLATES:
            db.templates.clear()
        db.templates[key] = known
    return known


class Template:
    def __init__(self, db: Database, statement: Select, parameters: Sequence[str]):
        """`parameters`: the names of the bind parameters each run gives; every other one keeps the
        value it has in `statement`."""
        dialect = db.read_engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        defaults = compiled.construct_params({name: None for name in parameters})
        processors = compiled._bind_processors  # noqa: SLF001 - the compiled form's own, as execution uses them
        self._binds = [(name, name in parameters, defaults[name], processors.get(name))
                       for name in compiled.positiontup or ()]
        labels = [column.key for column in statement.selected_columns]
        self.row_type = namedtuple("Row", labels)  # noqa: PYI024 - a class per statement, made once
        self._make = _row_maker(self.row_type, [column.type for column in statement.selected_columns], dialect)
        self._db = db

    def _args(self, values: Mapping[str, Any]) -> list:
        args = []
        for name, given, default, process in self._binds:
            value = values[name] if given else default
            args.append(value if process is None else process(value))
        return args

    async def rows(self, values: Mapping[str, Any]) -> list:
        """The statement's rows with these values of its parameters."""
        make = self._make
        return [make(record) for record in await self._db.fetch_text(self.sql, self._args(values))]


def _row_maker(row_type, types: list, dialect):
    """record -> row, applying each column's result processor (none: the value as it is). Two
    kinds of column, on every row of a page, are read inline, with the same result: an aware
    UTCDateTime (its processor's replace(tzinfo=UTC), without the two calls around it) and an Enum
    (its members by stored name, looked up once; any other value goes to the processor, which
    refuses it as it always does)."""
    # tuple.__new__ straight: a namedtuple's own __new__ is a Python function around it.
    scope: dict[str, Any] = {"Row": row_type, "UTC": timezone.utc, "new": tuple.__new__}
    lines, values = [], []
    for i, column_type in enumerate(types):
        process = column_type._cached_result_processor(dialect, None)  # noqa: SLF001 - as execution gets it
        if process is None:
            values.append(f"r[{i}]")
            continue
        scope[f"P{i}"] = process
        lines.append(f"    v{i} = r[{i}]")
        if isinstance(column_type, UTCDateTime) and column_type.impl_instance.result_processor(dialect, None) is None:
            values.append(f"(None if v{i} is None else v{i}.replace(tzinfo=UTC))")
        elif isinstance(column_type, Enum) and column_type.enum_class is not None:
            members = {name: process(name) for name in column_type.enums}
            members[None] = process(None)
            scope[f"M{i}"] = members
            values.append(f"(M{i}[v{i}] if v{i} in M{i} else P{i}(v{i}))")
        else:
            values.append(f"P{i}(v{i})")
    body = "\n".join([*lines, f"    return new(Row, ({', '.join(values)},))"])
    source = f"def make(r):\n{body}\n"
    # Column positions and processors only: nothing here comes from a request.
    exec(compile(source, "<template row>", "exec"), scope)  # noqa: S102
    return scope["make"]
