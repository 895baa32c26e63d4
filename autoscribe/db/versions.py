"""Each clinic's data version: bumped by every committed write that changes any of its rows.

A reader that sees version N knows that any answer it computed from N's data stays exact until
the version moves (autoscribe.response_cache relies on this). Writes through the ORM are found by
themselves; a bulk UPDATE/DELETE statement must call `touch` for the clinic it changes.
"""

from __future__ import annotations

from sqlalchemy import Select, event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from autoscribe.db.models import Clinic

_KEY = "touched_clinics"
_BUMPED = "bumped_clinics"


class VersionedSession(Session):
    """A Session whose commit bumps the data version of every clinic whose rows it changed."""


def touch(session: AsyncSession | Session, clinic_id: str) -> None:
    """Note a change to the clinic's data that the ORM cannot see (a bulk statement)."""
    session.info.setdefault(_KEY, set()).add(clinic_id)


def bumped(session: AsyncSession | Session, clinic_id: str) -> None:
    """Note that this transaction has already bumped the clinic's version itself (db.events)."""
    session.info.setdefault(_BUMPED, set()).add(clinic_id)


def _collect(session: Session) -> None:
    touched = session.info.setdefault(_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        clinic_id = getattr(obj, "clinic_id", None)
        if isinstance(clinic_id, str):
            touched.add(clinic_id)


@event.listens_for(VersionedSession, "after_flush")
def _after_flush(session: Session, _context) -> None:
    _collect(session)


@event.listens_for(VersionedSession, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()
    touched = session.info.pop(_KEY, set()) - session.info.pop(_BUMPED, set())
    for clinic_id in sorted(touched):
        session.execute(
            update(Clinic).where(Clinic.id == clinic_id).values(data_version=Clinic.data_version + 1)
        )


def data_version(clinic_id: str) -> Select:
    """The statement that reads the clinic's data version (None when there is no such clinic)."""
    return select(Clinic.data_version).where(Clinic.id == clinic_id)
