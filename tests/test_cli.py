"""The autoscribe command: migrate, create-clinic, the API key lifecycle, and the kept development
secret."""

import hashlib
import json
import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect

from tests import conftest
from tests.live_server import app_server


def run(args, env):
    return subprocess.run([sys.executable, "-m", "autoscribe.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


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
    from autoscribe.settings import Settings

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
    env = {**os.environ, "AUTOSCRIBE_DATABASE_URL": url, "AUTOSCRIBE_SECRET_KEY": conftest.TEST_SECRET}
    [clinic] = _json_lines(run(["create-clinic", "--name", "Lakeside MRI"], env))
    [made] = _json_lines(run(["create-api-key", "--clinic-id", clinic["clinicId"], "--name", "PACS bridge"], env))
    assert set(made) == {"apiKeyId", "apiKey"} and made["apiKey"].startswith("ask_")
    assert made["apiKeyId"] != clinic["apiKeyId"] and made["apiKey"] != clinic["apiKey"]

    async with app_server(conftest.test_settings(url)) as (_host, _svc, api):
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
           "AUTOSCRIBE_SECRET_KEY": conftest.TEST_SECRET}
    missing_clinic = "cln_" + "0" * 32
    for args, named in (
        (["create-api-key", "--clinic-id", missing_clinic], missing_clinic),
        (["list-api-keys", "--clinic-id", missing_clinic], missing_clinic),
        (["revoke-api-key", "--id", "key_" + "0" * 32], "key_" + "0" * 32),
    ):
        out = run(args, env)
        assert out.returncode == 1 and out.stdout == "", (args, out.stdout)
        assert "No " in out.stderr and named in out.stderr, out.stderr
