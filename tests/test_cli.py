"""The autoscribe command: migrate, create-clinic, the API key lifecycle, the kept development
secret, the one default database whatever folder a command is run from, and links that point at
the server's own port."""

import hashlib
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

from sqlalchemy import create_engine, inspect

from tests.support.clinics import Clinic
from tests.support.live_server import ServeProcess, api_at, app_server
from tests.support.operator import server_clinic
from tests.support.people_helpers import invite
from tests.support.reports_helpers import new_study
from tests.support.settings import TEST_SECRET, settings_for

STUDIES = "{ studies(first: 5) { nodes { id } } }"
VIEWER_LINK = "mutation($id: ID) { createViewerOnlyRerouteUrl(id: $id) { url } }"


def run(args, env, cwd=None):
    return subprocess.run([sys.executable, "-m", "autoscribe.server.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def test_migrate_and_create_clinic_on_a_fresh_sqlite_file(tmp_path):
    db_file = tmp_path / "data" / "autoscribe.db"
    env = {**os.environ, "AUTOSCRIBE_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}"}
    env.pop("AUTOSCRIBE_SECRET_KEY", None)
    assert run(["migrate"], env).returncode == 0
    tables = set(inspect(create_engine(f"sqlite:///{db_file}")).get_table_names())
    assert {"clinics", "api_keys", "users", "studies", "reports", "events", "alembic_version"} <= tables

    out = run(["create-clinic", "--name", "Lakeside MRI"], env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    printed = json.loads(lines[0])
    assert set(printed) == {"clinicId", "apiKeyId", "apiKey"}
    assert printed["clinicId"].startswith("cln_") and printed["apiKey"].startswith("ask_")
    assert printed["apiKeyId"].startswith("key_")

    engine = create_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        name = conn.exec_driver_sql("SELECT name FROM clinics WHERE id = ?", (printed["clinicId"],)).scalar()
        stored = conn.exec_driver_sql("SELECT key_hash FROM api_keys").scalar()
    assert name == "Lakeside MRI" and stored != printed["apiKey"]


def test_development_secret_is_generated_once_and_kept(tmp_path):
    from autoscribe.core.settings import Settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    first = Settings(database_url=url, secret_key=None).signing_key
    again = Settings(database_url=url, secret_key=None).signing_key
    assert first == again and len(first) >= 32
    assert (tmp_path / "secret_key").read_text() == first
    assert Settings(database_url=url, secret_key="given").signing_key == "given"


def _json_lines(out) -> list[dict]:
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.strip().splitlines()]


async def test_api_keys_are_created_listed_without_the_key_and_revoked(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'autoscribe.db'}"
    env = {**os.environ, "AUTOSCRIBE_DATABASE_URL": url, "AUTOSCRIBE_SECRET_KEY": TEST_SECRET}
    [clinic] = _json_lines(run(["create-clinic", "--name", "Lakeside MRI"], env))
    [made] = _json_lines(run(["create-api-key", "--clinic-id", clinic["clinicId"], "--name", "PACS bridge"], env))
    assert set(made) == {"apiKeyId", "apiKey"} and made["apiKey"].startswith("ask_")
    assert made["apiKeyId"] != clinic["apiKeyId"] and made["apiKey"] != clinic["apiKey"]

    async with app_server(settings_for(url)) as (_host, _svc, api):
        assert (await api.ok("{ studies(first: 1) { nodes { id } } }", token=made["apiKey"]))["studies"]
        listed = run(["list-api-keys", "--clinic-id", clinic["clinicId"]], env)
        keys = _json_lines(listed)
        for secret in (clinic["apiKey"], made["apiKey"]):
            assert secret not in listed.stdout and hashlib.sha256(secret.encode()).hexdigest() not in listed.stdout
        assert [(k["id"], k["name"], k["revoked"]) for k in keys] == [
            (clinic["apiKeyId"], "default", False), (made["apiKeyId"], "PACS bridge", False)]
        assert set(keys[0]) == {"id", "name", "createdAt", "lastUsedAt", "revoked", "revokedAt"}
        assert keys[0]["lastUsedAt"] is None and keys[1]["lastUsedAt"] is not None and keys[1]["createdAt"]

        [revoked] = _json_lines(run(["revoke-api-key", "--id", made["apiKeyId"]], env))
        assert revoked["apiKeyId"] == made["apiKeyId"] and revoked["revokedAt"]
        # Refused at once; the clinic's other key goes on.
        assert (await api.error("{ studies(first: 1) { nodes { id } } }", token=made["apiKey"]))["code"] == \
            "UNAUTHENTICATED"
        assert (await api.ok("{ studies(first: 1) { nodes { id } } }", token=clinic["apiKey"]))["studies"]
    keys = _json_lines(run(["list-api-keys", "--clinic-id", clinic["clinicId"]], env))
    assert [(k["revoked"], k["revokedAt"] is not None) for k in keys] == [(False, False), (True, True)]
    # Revoking again changes nothing.
    assert _json_lines(run(["revoke-api-key", "--id", made["apiKeyId"]], env))[0]["revokedAt"] == keys[1]["revokedAt"]


def test_unknown_clinic_and_key_ids_are_an_error(tmp_path):
    env = {**os.environ, "AUTOSCRIBE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'autoscribe.db'}",
           "AUTOSCRIBE_SECRET_KEY": TEST_SECRET}
    missing_clinic = "cln_" + "0" * 32
    for args, named in (
        (["create-api-key", "--clinic-id", missing_clinic], missing_clinic),
        (["list-api-keys", "--clinic-id", missing_clinic], missing_clinic),
        (["revoke-api-key", "--id", "key_" + "0" * 32], "key_" + "0" * 32),
    ):
        out = run(args, env)
        assert out.returncode == 1 and out.stdout == "", (args, out.stdout)
        assert "No " in out.stderr and named in out.stderr, out.stderr


async def test_create_clinic_from_another_folder_makes_a_key_the_server_accepts(tmp_path):
    """With nothing configured, `serve` in one folder and `create-clinic` in another share one database."""
    home, served_from, other = tmp_path / "home", tmp_path / "project", tmp_path / "elsewhere"
    served_from.mkdir()
    other.mkdir()
    defaults = {"HOME": str(home), "XDG_DATA_HOME": None, "AUTOSCRIBE_DATA_DIR": None,
                "AUTOSCRIBE_DATABASE_URL": None, "AUTOSCRIBE_SECRET_KEY": None}
    server = await ServeProcess(None, log=tmp_path / "serve.log", env=defaults, cwd=served_from).start()
    try:
        env = {k: v for k, v in {**os.environ, **defaults}.items() if v is not None}
        out = run(["create-clinic", "--name", "Lakeside MRI"], env, cwd=other)
        assert out.returncode == 0, out.stderr
        key = json.loads(out.stdout)["apiKey"]
        async with api_at(server.host) as api:
            assert (await api.ok(STUDIES, token=key))["studies"]["nodes"] == []
        database = home / ".local" / "share" / "autoscribe" / "autoscribe.db"
        assert f"autoscribe: database SQLite {database}\n" in out.stderr  # it says which, and it is not new
        assert (database.parent / "secret_key").exists()  # the development key beside it, as before
        assert not list(served_from.iterdir()) and not list(other.iterdir())
    finally:
        server.stop()


def test_the_default_database_follows_xdg_data_home_and_the_data_dir_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOSCRIBE_DATA_DIR", "AUTOSCRIBE_DATABASE_URL")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "xdg"))
    out = run(["migrate"], env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    xdg_db = tmp_path / "xdg" / "autoscribe" / "autoscribe.db"
    assert f"autoscribe: database SQLite {xdg_db} (new: it does not exist yet)" in out.stderr
    assert xdg_db.exists() and not (tmp_path / "home").exists()

    env["AUTOSCRIBE_DATA_DIR"] = str(tmp_path / "data")
    out = run(["migrate"], env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"autoscribe: database SQLite {tmp_path / 'data' / 'autoscribe.db'}" in out.stderr
    assert (tmp_path / "data" / "autoscribe.db").exists()


def test_a_postgresql_database_is_named_without_its_password():
    from autoscribe.core.settings import Settings

    label = Settings(database_url="postgresql+asyncpg://scribe:s3cret@db.example:5432/autoscribe").database_label
    assert label == "postgresql+asyncpg://scribe:***@db.example:5432/autoscribe"


async def test_links_point_at_the_port_serve_listens_on(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'links.db'}"
    server = await ServeProcess(url, log=tmp_path / "serve.log", env={"AUTOSCRIBE_PUBLIC_URL": None}).start()
    try:
        clinic_id, key = await server_clinic(url)
        async with api_at(server.host) as api:
            accept_url = (await invite(api, key))["invitations"][0]["acceptUrl"]
            study = await new_study(api, Clinic(clinic_id, key))
            reroute_url = (await api.ok(VIEWER_LINK, {"id": study["id"]}, token=key))["createViewerOnlyRerouteUrl"]["url"]
        for link in (accept_url, reroute_url):
            assert urlsplit(link).netloc == server.host, link
            assert urlsplit(link).scheme == "http"
    finally:
        server.stop()
