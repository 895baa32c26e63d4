"""What the figures of one run share: the processes started, the options, the seeded tenants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench import database
from bench.procs import Procs
from autoscribe.db.engine import Database

WORKLIST_STUDIES = 10_000
RADIOLOGISTS = 20


@dataclass
class Bench:
    procs: Procs
    quick: bool = False
    out: list[str] = field(default_factory=list)  # every table printed, for the summary at the end
    _db: Database | None = None
    _tenants: dict[str, database.Tenant] = field(default_factory=dict)
    _reset: bool = False
    _lock = None  # asyncpg connection holding database.RUN_LOCK

    @property
    def log_dir(self) -> Path:
        return self.procs.log_dir

    def scale(self, full, quick):
        return quick if self.quick else full

    def print(self, text: str) -> None:
        print(text, flush=True)
        self.out.append(text)

    async def db(self) -> Database:
        if not self._reset:
            self._lock = await database.lock_for_run()
            await database.reset()
            self._reset = True
        if self._db is None:
            self._db = Database(database.SA_URL)
        return self._db

    async def tenant(self, name: str, *, studies: int = 0, radiologists: int = RADIOLOGISTS) -> database.Tenant:
        """A clinic with `radiologists` active radiologists and `studies` studies, made once per run."""
        if name not in self._tenants:
            db = await self.db()
            tenant = await database.add_tenant(db, name, radiologists)
            if studies:
                await database.add_studies(db, tenant, studies)
            self._tenants[name] = tenant
        return self._tenants[name]

    def key_maker(self, tenant: database.Tenant):
        """`await maker(n)`: n new API keys of the tenant's clinic (made with the app's own code)."""
        from autoscribe.operations.authentication import create_api_key

        async def make(n: int) -> list[str]:
            db = await self.db()
            return [(await create_api_key(db, tenant.clinic_id, "bench subscribers"))[1] for _ in range(n)]

        return make

    async def worklist_tenant(self) -> database.Tenant:
        return await self.tenant("Northside Imaging (worklist)", studies=WORKLIST_STUDIES)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.dispose()
            self._db = None
        if self._lock is not None:
            await self._lock.close()  # releases the run lock
            self._lock = None
