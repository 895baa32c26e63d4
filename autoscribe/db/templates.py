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

from sqlalchemy import Select

from autoscribe.db.engine import Database


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
        self._make = _row_maker(self.row_type, [column.type._cached_result_processor(dialect, None)  # noqa: SLF001
                                                for column in statement.selected_columns])
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


def _row_maker(row_type, processors: list):
    """record -> row, applying each column's result processor (None: the value as it is)."""
    scope: dict[str, Any] = {"Row": row_type}
    values = []
    for i, process in enumerate(processors):
        if process is None:
            values.append(f"r[{i}]")
        else:
            scope[f"P{i}"] = process
            values.append(f"P{i}(r[{i}])")
    source = f"def make(r):\n    return Row({', '.join(values)})\n"
    # Column positions and processors only: nothing here comes from a request.
    exec(compile(source, "<template row>", "exec"), scope)  # noqa: S102
    return scope["make"]
