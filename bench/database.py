"""The `bench` PostgreSQL database: reset, migrated with the app's own migrations, and seeded.

Clinics and API keys are made by the app's own code (create_clinic of
autoscribe.operations.authentication); users and studies are bulk-inserted with SQLAlchemy Core
over the app's own tables, so every value is stored exactly as the app stores it.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import asyncpg
from sqlalchemy import insert

from autoscribe.operations.authentication import create_clinic
from autoscribe.db import enums
from autoscribe.db.engine import Database
from autoscribe.db.ids import new_id
from autoscribe.db.migrate import upgrade
from autoscribe.db.models import Study, User
from bench.procs import cpu_seconds

# Only ever this database: `reset` drops its public schema.
DB_NAME = "bench"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
SA_URL = DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
SECRET_KEY = "bench-secret-key-not-for-production"


def _npi(base9: str) -> str:
    """A valid NPI: nine digits and the Luhn check digit over 80840 + them."""
    digits = "80840" + base9
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base9 + str((10 - total % 10) % 10)


FIRST = ["Ada", "Grace", "Alan", "Marie", "Rosalind", "Edsger", "Barbara", "Donald", "Frances", "John"]
LAST = ["Lovelace", "Hopper", "Turing", "Curie", "Franklin", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus"]
DESCRIPTIONS = [
    ("CT", "CT Head without contrast"), ("CT", "CT Chest with contrast"), ("CT", "CT Abdomen/Pelvis"),
    ("MR", "MRI Brain with and without contrast"), ("MR", "MRI Lumbar Spine"), ("CR", "XR Chest 2 views"),
    ("US", "US Abdomen complete"), ("MG", "Screening mammogram bilateral"), ("NM", "Bone scan whole body"),
]


@dataclass
class Tenant:
    clinic_id: str
    api_key: str
    radiologists: list[str] = field(default_factory=list)


# A session-level advisory lock held for a whole run, so that two runs never share the database
# (a second run's reset would drop the first one's data under its servers).
RUN_LOCK = 0x62656E63  # "benc"


async def lock_for_run() -> asyncpg.Connection:
    """Wait until no other bench run uses the database; the lock lasts as long as the connection."""
    conn = await asyncpg.connect(DSN)
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RUN_LOCK):
        print(f"another bench run is using the {DB_NAME} database: waiting for it to finish ...", flush=True)
        await conn.execute("SELECT pg_advisory_lock($1)", RUN_LOCK)
    return conn


async def reset() -> None:
    """Empty the bench database's public schema, then migrate it to the latest schema."""
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()
    await asyncio.to_thread(upgrade, SA_URL)


async def add_tenant(db: Database, name: str, radiologists: int) -> Tenant:
    clinic_id, key = await create_clinic(db, name)
    tenant = Tenant(clinic_id, key)
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(radiologists):
        uid = new_id("user")
        email = f"rad{i}.{uid[4:12]}@example.com"
        rows.append(dict(
            id=uid, clinic_id=clinic_id, email=email, email_lower=email,
            first_name=FIRST[i % len(FIRST)], last_name=LAST[(i // len(FIRST) + i) % len(LAST)],
            middle_name=None, suffix1="MD", suffix2=None, phone_number=None,
            npi_number=_npi(f"{123456000 + i:09d}"), clinic_role=enums.ClinicRole.RADIOLOGIST,
            level=enums.UserLevel.MEMBER, status=enums.UserStatus.ACTIVE, invited_source=enums.InvitedSource.API,
            accepted_at=now, token_epoch=0, can_create_reports=True, can_manage_studies=False,
            has_dashboard_access=False, created_at=now, updated_at=now, last_login_at=None,
        ))
        tenant.radiologists.append(uid)
    if rows:
        async with db.write() as session:
            await session.execute(insert(User), rows)
    return tenant


def study_rows(clinic_id: str, radiologists: list[str], n: int, seed: int = 42) -> list[dict]:
    """`n` studies: ~10% STAT, ~25% HIGH, the rest NORMAL, created over the last 30 days; about
    one in three assigned to one of `radiologists`."""
    rnd = random.Random(seed)
    now = datetime.now(timezone.utc)
    rows = []
    for i in range(n):
        severity = rnd.choices([enums.Severity.STAT, enums.Severity.HIGH, enums.Severity.NORMAL], [10, 25, 65])[0]
        assigned = rnd.choice(radiologists) if radiologists and rnd.random() < 1 / 3 else None
        created = now - timedelta(seconds=rnd.randrange(30 * 86400), microseconds=rnd.randrange(10**6))
        modality, description = rnd.choice(DESCRIPTIONS)
        born = date(1930, 1, 1) + timedelta(days=rnd.randrange(90 * 365))
        rows.append(dict(
            id=new_id("study"), clinic_id=clinic_id,
            study_instance_uid=f"1.2.826.0.1.3680043.10.{seed}.{i + 1}",
            study_description=description, severity=severity, severity_rank=enums.SEVERITY_RANK[severity],
            study_report_status=enums.StudyReportStatus.ASSIGNED if assigned else enums.StudyReportStatus.UNASSIGNED,
            is_cancelled=False, cancelled_at=None, created_at=created, updated_at=created,
            report_metadata={
                "patientName": f"{rnd.choice(LAST)}^{rnd.choice(FIRST)}", "mrn": f"MRN{rnd.randrange(10**7):07d}",
                "dateOfBirth": born.isoformat(), "sex": rnd.choice(["MALE", "FEMALE", "OTHER"]),
                "studyDate": created.date().isoformat(), "studyTime": created.strftime("%H:%M"),
                "facilityName": "Northside Imaging Center", "age": f"{(created.date() - born).days // 365}Y",
                "referringPhysicianName": "Dr. Welby",
            },
            assigned_to_id=assigned, clinical_history="Headache for two weeks.",
            clinical_indication="Rule out acute pathology.", modality=modality,
            external_patient_id=f"EXT{i:06d}", technologist_notes=["Patient tolerated the exam well."],
            technologist_technique=None, extra_metadata={"accession": f"ACC{i:08d}"}, prior_reports=[],
            is_critical=None,
        ))
    return rows


async def add_studies(db: Database, tenant: Tenant, n: int, seed: int = 42) -> None:
    rows = study_rows(tenant.clinic_id, tenant.radiologists, n, seed)
    async with db.write() as session:
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Study), rows[start:start + 2000])
    conn = await asyncpg.connect(DSN)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


class PgBackends:
    """CPU time of the PostgreSQL backends serving the bench database (read from /proc; the
    measuring connection itself excluded). A backend that appears during a window counts whole."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    @classmethod
    async def open(cls) -> PgBackends:
        return cls(await asyncpg.connect(DSN))

    async def close(self) -> None:
        await self.conn.close()

    async def snapshot(self) -> dict[int, float]:
        pids = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", DB_NAME
        )
        out = {}
        for r in pids:
            try:
                out[r["pid"]] = cpu_seconds(r["pid"])
            except OSError:
                pass
        return out

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def any_study(db: Database, clinic_id: str) -> str:
    """The ID of one not-cancelled study of the clinic."""
    from sqlalchemy import select

    async with db.read() as session:
        return await session.scalar(
            select(Study.id).where(Study.clinic_id == clinic_id, Study.is_cancelled.is_(False)).limit(1)
        )
