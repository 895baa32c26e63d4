"""PostgreSQL as the tests handle it from outside the app: a clean schema for a run, and connections
cut as a restart, a failover or a network cut would."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def terminate_connections(url: str, condition: str) -> int:
    """Cut the PostgreSQL connections to the database of `url` that match the SQL `condition` on
    pg_stat_activity (as a restart, a failover or a network cut would); how many were cut."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            rows = await conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = current_database() AND pid <> pg_backend_pid() AND ({condition})"
            ))
            return len(rows.all())
    finally:
        await engine.dispose()


async def fresh_postgres_database(url: str, suffix: str) -> str:
    """A new, empty database beside the one of `url` (named after it, with `suffix`), dropped first
    if a run before left it; its URL. For tests that must be alone on their database."""
    base = make_url(url)
    fresh = base.set(database=f"{base.database}_{suffix}")
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{fresh.database}"'))
    finally:
        await engine.dispose()
    return fresh.render_as_string(hide_password=False)
