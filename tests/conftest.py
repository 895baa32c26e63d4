"""Test fixtures: the app on SQLite (always) and PostgreSQL (when AUTOSCRIBE_TEST_DATABASE_URL is set),
a GraphQL client that talks to it as a client would, and a fresh clinic per test."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from autoscribe.server.app import create_app
from autoscribe.operations.authentication import create_clinic, mint_session_token
from autoscribe.core.settings import Settings
from autoscribe.db import enums
from autoscribe.db.ids import new_id
from autoscribe.db.migrate import upgrade
from autoscribe.db.models import User
from autoscribe.db.types import utcnow
from tests import timeout_stacks

# The embedded default database and its key go to a folder of the test run's own, never to the
# real home directory (commands run as subprocesses inherit this).
os.environ["AUTOSCRIBE_DATA_DIR"] = tempfile.mkdtemp(prefix="autoscribe-test-data-")
atexit.register(shutil.rmtree, os.environ["AUTOSCRIBE_DATA_DIR"], True)

PG_URL = os.environ.get("AUTOSCRIBE_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_SECRET = "test-secret-key"
# A valid NPI (Luhn over 80840 + the number).
VALID_NPI = "1234567893"


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


def test_settings(url: str, **overrides) -> Settings:
    values = dict(
        database_url=url,
        secret_key=TEST_SECRET,
        public_url="http://testserver",
        events_url="memory://",
        cors_origins=["https://app.example.com"],
        # Receivers in tests are on 127.0.0.1; the shared app sends none (tests/test_webhooks.py
        # runs the servers that do, so that it knows which process delivered).
        webhooks_allow_private=True,
        webhook_worker=False,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> str:
    backend = request.param if hasattr(request, "param") else "sqlite"
    if backend == "postgresql":
        asyncio.run(reset_postgres(PG_URL))
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True, scope="session")


@pytest.fixture(scope="session", autouse=True)
async def _timeout_shows_tasks():
    """A test that runs out of time prints the asyncio tasks' stacks too (tests.timeout_stacks)."""
    timeout_stacks.watch(asyncio.get_running_loop())
    yield


@pytest.fixture(scope="session")
async def app(database_url):
    application = create_app(test_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def services(app):
    return app.state.services


@dataclass
class Clinic:
    id: str
    key: str


class Api:
    """Posts GraphQL to the app as a client would, with a bearer token."""

    def __init__(self, client: httpx.AsyncClient):
        self.client = client

    async def raw(self, query: str, variables: dict | None = None, *, token: str | None = None, headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token}"
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=hdrs)

    async def __call__(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        response = await self.raw(query, variables, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        body = await self(query, variables, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict | None = None, *, token: str | None = None) -> dict:
        """The first error's extensions, with its message under 'message'."""
        body = await self(query, variables, token=token)
        assert body.get("errors"), f"expected an error, got {body}"
        err = body["errors"][0]
        return {**err.get("extensions", {}), "message": err["message"]}


@pytest.fixture(scope="session")
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def api(http) -> Api:
    return Api(http)


@pytest.fixture
async def clinic(services) -> Clinic:
    clinic_id, key = await create_clinic(services.db, "Northside Imaging")
    return Clinic(clinic_id, key)


@pytest.fixture
async def other_clinic(services) -> Clinic:
    clinic_id, key = await create_clinic(services.db, "Southside Radiology")
    return Clinic(clinic_id, key)


async def add_user(services, clinic_id: str, **fields) -> User:
    """An ACTIVE radiologist of the clinic, stored directly (for tests that need one as given)."""
    n = new_id("user")
    values = dict(
        id=n,
        clinic_id=clinic_id,
        email=f"{n}@example.com",
        email_lower=f"{n}@example.com",
        first_name="Ada",
        last_name="Lovelace",
        npi_number=VALID_NPI,
        clinic_role=enums.ClinicRole.RADIOLOGIST,
        level=enums.UserLevel.MEMBER,
        status=enums.UserStatus.ACTIVE,
        invited_source=enums.InvitedSource.API,
        can_create_reports=True,
        can_manage_studies=False,
        has_dashboard_access=False,
        accepted_at=utcnow(),
        token_epoch=0,
    )
    values.update(fields)
    user = User(**values)
    async with services.db.write() as session:
        session.add(user)
    return user


def session_token(services, user: User, ttl: int = 3600) -> str:
    return mint_session_token(services.signer, user, ttl)[0]


@pytest.fixture(scope="session")
async def ws_url(app) -> str:
    """The shared app served over a real socket (uvicorn in this process), for WebSocket clients."""
    from tests.live_server import serving

    async with serving(app) as host:
        yield f"ws://{host}/graphql"
