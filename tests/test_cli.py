"""The autoscribe command: migrate, create-clinic, and the kept development secret."""

import json
import os
import subprocess
import sys

from sqlalchemy import create_engine, inspect


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
    assert set(printed) == {"clinicId", "apiKey"}
    assert printed["clinicId"].startswith("cln_") and printed["apiKey"].startswith("ask_")

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
