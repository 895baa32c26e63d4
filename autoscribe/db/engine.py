"""The engine and sessions, configured the same way for SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import orjson

from sqlalchemy import Executable, Result, Row, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_, greenlet_spawn

from autoscribe.db.versions import VersionedSession

AfterCommit = Callable[[list], Awaitable[None]]

try:  # the driver's "this connection is gone" errors (asyncpg is there whenever PostgreSQL is used)
    from asyncpg import ConnectionDoesNotExistError, InterfaceError, InternalClientError
    from asyncpg.exceptions import AdminShutdownError

    # A connection the server ended can fail its next statement with any of these, depending on
    # when the end reached the driver: during the statement, asyncpg's protocol may be caught
    # mid-operation ("cannot switch to state …; another operation is in progress").
    _DRIVER_DISCONNECTS: tuple[type[Exception], ...] = (ConnectionDoesNotExistError, InterfaceError,
                                                        InternalClientError, AdminShutdownError)
except ImportError:
    _DRIVER_DISCONNECTS = ()


def json_loads(text: str | bytes):
    """Stored JSON (jsonb and JSON columns) read by orjson, and by json where orjson would read
    another value (an integer beyond 64 bits, of which it makes a float) or refuses a document json
    reads (numbers beyond a double, lone surrogates): the same values either way, at a fraction of
    json's cost (a worklist page reads 100 of them)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
    return json.loads(text) if _maybe_big_integer(value) else value


_FLAT = frozenset({str, int, bool, type(None)})


def _maybe_big_integer(value) -> bool:
    """Whether `value` holds a float that may have been written as an integer beyond 64 bits
    (orjson reads integers from -2**63 to 2**64 - 1 as integers; any other rounds to a float
    outside that range)."""
    if type(value) is dict and _FLAT.issuperset(map(type, value.values())):
        return False  # the common case, an object of texts and numbers: no float at all
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float and not -9223372036854775808.0 < item < 18446744073709551616.0 and item.is_integer():
            return True
    return False


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": 30}, json_deserializer=json_loads)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" below decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        # Writers take the write lock up front, so checks and writes of one transaction are
        # serialised against every other writer; readers use a deferred snapshot.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# Set while Database.fetch or write_one checks out its connection: no ping for it (see _ping_on_checkout).
_UNPINGED: ContextVar[bool] = ContextVar("autoscribe_unpinged_checkout", default=False)


def _ping_on_checkout(engine: AsyncEngine) -> None:
    """A pooled connection is tried before each use; a dead one (the server restarted, the
    connection was cut) is replaced, and the request goes on with a new one.

    This is pool_pre_ping, in one round trip: SQLAlchemy's asyncpg ping wraps its `;` in a
    transaction (BEGIN, `;`, ROLLBACK: three round trips per checkout) for pgbouncer's transaction
    mode; asyncpg's execute() sends one `SELECT 1` by the simple query protocol.

    Database.fetch and Database.write_one go without it (_UNPINGED): a read can simply be made
    again on a new connection if its own turns out dead, and so can a one-statement write once it
    is known not to have been committed."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):
        if _UNPINGED.get():
            return
        try:
            await_(dbapi_connection.driver_connection.execute("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure: the pool drops it and connects anew
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


async def _without_ping(engine: AsyncEngine, statement: Executable, params: dict | None) -> Result | None:
    """The statement's whole result, on a pooled connection taken without its ping; None when that
    connection turned out dead (the pool has dropped it)."""
    unpinged = _UNPINGED.set(True)
    try:
        async with engine.connect() as conn:
            _UNPINGED.reset(unpinged)
            unpinged = None
            return await conn.execute(statement, params)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return None
    finally:
        if unpinged is not None:
            _UNPINGED.reset(unpinged)


class Database:
    """Owns the engines and hands out sessions: `read()` for queries, `write()` for changes."""

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10):
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                              json_deserializer=json_loads)
            _ping_on_checkout(self.engine)
            self.read_engine = self.engine
        self._write_sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=VersionedSession
        )
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # One-statement reads need no transaction: on PostgreSQL they run in autocommit, which saves
        # the BEGIN and ROLLBACK round trips a session would make around them.
        self._single_reads = (
            self.read_engine if self.is_sqlite else self.read_engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        # A write that is one statement needs no transaction of its own either: on PostgreSQL it
        # commits by itself (write_one), without the BEGIN and COMMIT round trips.
        self._single_writes = None if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.after_commit: list[AfterCommit] = []
        # db.templates: statements compiled once to SQL text, for this database's dialect and driver.
        self.templates: dict = {}

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read_sessions() as session:
            yield session

    async def fetch(self, statement: Executable, params: dict | None = None) -> Result:
        """The whole result of one read-only statement of Core columns (not ORM objects), run on its
        own: what it reads is one consistent snapshot, as any single statement's is.

        On PostgreSQL the pooled connection is used without its ping: if it turns out dead (the
        server restarted, the connection was cut), the pool drops it and the read is made once
        more on a connection that passed its ping. One round trip instead of two."""
        if self.is_sqlite:
            async with self._single_reads.connect() as conn:
                return await conn.execute(statement, params)
        result = await _without_ping(self._single_reads, statement, params)
        if result is not None:
            return result
        async with self._single_reads.connect() as conn:
            return await conn.execute(statement, params)

    async def fetch_text(self, sql: str, args: Sequence[Any]) -> list:
        """The records (asyncpg's) of one read-only statement given as the dialect's SQL text with
        positional parameters, sent by the driver itself: no statement building, compiling or
        result processing per call; the caller made the text once (Template) and processes the
        values. PostgreSQL only. The pooled connection is taken as it is (no Connection around it)
        and without its ping, as `fetch` does: if it turns out dead, the read is made once more on
        a connection that passed its ping."""
        if self.is_sqlite:
            raise RuntimeError("fetch_text is for PostgreSQL; use fetch()")
        for unpinged in (True, False):
            token = _UNPINGED.set(unpinged)
            try:
                raw = await self._single_reads.raw_connection()
            finally:
                _UNPINGED.reset(token)
            try:
                return await raw.driver_connection.fetch(sql, *args)
            except (OSError, *_DRIVER_DISCONNECTS):
                if not unpinged:
                    raise
                await greenlet_spawn(raw.invalidate)
            finally:
                await greenlet_spawn(raw.close)
        raise AssertionError("unreachable: the second read returns or raises")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Events appended in it (db.events.append_event) are handed to the after-commit hooks
        once the commit has succeeded. Callables in session.info["on_end"] run when the
        transaction has ended, either way.
        """
        async with self._write_sessions() as session:
            try:
                async with session.begin():
                    yield session
            finally:
                for end in session.info.pop("on_end", []):  # committed or rolled back
                    end()
            events = session.info.pop("events", [])
        if events:
            await self.committed(events)

    async def write_one(self, statement: Executable, params: dict, *, landed: tuple[Executable, dict]) -> Row:
        """Run one writing statement that commits by itself (PostgreSQL only: the caller keeps to
        what one statement does atomically); the one row it returns. The caller hands the events it
        wrote to `committed`, as `write` does for a transaction's.

        Like `fetch`, it goes without the checkout ping. If the connection turns out dead, `landed`
        (a read and its parameters, returning the statement's row if the write was committed)
        tells whether it was; if not, the write is made once more on a connection that passed its
        ping. One round trip instead of two."""
        if self._single_writes is None:
            raise RuntimeError("write_one is for PostgreSQL; use write()")
        result = await _without_ping(self._single_writes, statement, params)
        if result is not None:
            return result.one()
        row = (await self.fetch(*landed)).first()
        if row is not None:
            return row
        async with self._single_writes.connect() as conn:
            return (await conn.execute(statement, params)).one()

    async def change(self, *statements: Executable) -> list[Result]:
        """Run Core writing statements in one transaction of their own, committed when the last is
        done; their results, buffered. No ORM session: no flush, no events and no data-version bump,
        so it is for bookkeeping rows that no cached answer is computed from (the PDF render queue).
        On PostgreSQL a single statement commits by itself (no BEGIN and COMMIT round trips)."""
        single = len(statements) == 1 and self._single_writes is not None
        async with (self._single_writes.connect() if single else self.engine.begin()) as conn:
            return [await conn.execute(statement) for statement in statements]

    async def committed(self, events: list) -> None:
        """Hand committed events (db.events.CommittedEvent) to the after-commit hooks."""
        for hook in self.after_commit:
            await hook(events)

    async def ping(self) -> None:
        await self.fetch(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
