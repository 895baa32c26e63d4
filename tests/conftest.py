"""Test fixtures: the app on SQLite (always) and PostgreSQL (when AUTOSCRIBE_TEST_DATABASE_URL is set),
a GraphQL client that talks to it as a client would, and a fresh clinic per test."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import tempfile

import httpx
import pytest

# Before autoscribe is imported: every operation then checks that the codes it raises are the ones it
# declares (autoscribe.operations.declared); subprocesses of the tests inherit it.
os.environ["AUTOSCRIBE_CHECK_DECLARED_ERRORS"] = "1"

from autoscribe.db.migrate import upgrade  # noqa: E402
from autoscribe.operations import declared  # noqa: E402
from autoscribe.operations.authentication import create_clinic  # noqa: E402
from autoscribe.server.app import create_app  # noqa: E402
from tests.support import browser, timeout_stacks  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.clinics import Clinic  # noqa: E402
from tests.support.databases import fresh_postgres_database, reset_postgres  # noqa: E402
from tests.support.differential import two_apps  # noqa: E402
from tests.support.live_server import serving  # noqa: E402
from tests.support.settings import BACKENDS, PG_URL, settings_for  # noqa: E402

# The embedded default database and its key go to a folder of the test run's own, never to the
# real home directory (commands run as subprocesses inherit this).
os.environ["AUTOSCRIBE_DATA_DIR"] = tempfile.mkdtemp(prefix="autoscribe-test-data-")
atexit.register(shutil.rmtree, os.environ["AUTOSCRIBE_DATA_DIR"], True)


@pytest.fixture(autouse=True)
def declared_errors_only():
    """Fails the test in which an operation raised an error code it does not declare, even when the
    test did not look at the code (the client got INTERNAL_SERVER_ERROR instead)."""
    declared.undeclared.clear()
    yield
    assert not declared.undeclared, f"undeclared error codes raised: {declared.undeclared}"


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


@pytest.fixture(scope="session")
def migrated_postgres() -> None:
    """Migrates the PostgreSQL test database for the tests that run on PostgreSQL alone and use
    PG_URL as it is (several apps or processes on one database): on a new machine it starts empty.
    If `database_url` resets it later in the run, that migrates it again."""
    upgrade(PG_URL)


@pytest.fixture
async def own_database_url(request, tmp_path) -> str:
    """A migrated database of the test's own, which no other app (the shared one included) uses."""
    if request.param == "postgresql":
        url = await fresh_postgres_database(PG_URL, "own")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"
    await asyncio.to_thread(upgrade, url)
    return url


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True, scope="session")
    if "own_database_url" in metafunc.fixturenames:
        metafunc.parametrize("own_database_url", BACKENDS, indirect=True)


@pytest.fixture(scope="session", autouse=True)
async def _timeout_shows_tasks():
    """A test that runs out of time prints the asyncio tasks' stacks too (tests.support.timeout_stacks)."""
    timeout_stacks.watch(asyncio.get_running_loop())
    yield


@pytest.fixture(scope="session")
async def app(database_url):
    application = create_app(settings_for(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def services(app):
    return app.state.services


@pytest.fixture(scope="session")
async def http(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
def api(http) -> Api:
    return Api(http)


@pytest.fixture
async def apps(database_url, monkeypatch):
    """The app as served and one with the standard executor, on the test database (tests.support.differential)."""
    async with two_apps(database_url, monkeypatch) as made:
        yield made


@pytest.fixture
async def clinic(services) -> Clinic:
    clinic_id, key = await create_clinic(services.db, "Northside Imaging")
    return Clinic(clinic_id, key)


@pytest.fixture
async def other_clinic(services) -> Clinic:
    clinic_id, key = await create_clinic(services.db, "Southside Radiology")
    return Clinic(clinic_id, key)


@pytest.fixture(scope="session")
async def ws_url(app) -> str:
    """The shared app served over a real socket (uvicorn in this process), for WebSocket clients."""
    async with serving(app) as host:
        yield f"ws://{host}/graphql"


@pytest.fixture(scope="session")
async def site_url(app) -> str:
    """The shared app served over a socket, as a browser opens it: "http://127.0.0.1:<port>"."""
    async with serving(app) as host:
        yield f"http://{host}"


@pytest.fixture(scope="session")
async def chromium():
    """Headless Chromium (tests.support.browser): skipped where it is not installed, unless CI is set."""
    from playwright.async_api import async_playwright

    browser.chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await browser.launch(playwright)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
async def rest_url(app) -> str:
    """The shared app (`app`) served over a socket: the SDK's base_url."""
    async with serving(app) as host:
        yield f"http://{host}"
