"""What a caller may see: the rows of its clinic, and for a reroute session only those of its study.

Every lookup, list, lock and batch load builds its WHERE clause from `visible`, so a row outside
the caller's scope behaves as another clinic's does: lookups find nothing, lists leave it out,
mutations are NOT_FOUND. A reroute session (SPEC §5) is bound to one study: it sees that study,
its reports, and the people they name (itself, the study's assignee and its reports' authors, as
the signed report's PDF names them too); no other user, and no invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, false, or_, select

from autoscribe.db.models import Invitation, Report, Study, User


class Scoped(Protocol):
    clinic_id: str
    # Set for a reroute session: the one study it is bound to.
    study_id: str | None

    @property
    def user_id(self) -> str | None: ...


@dataclass(frozen=True)
class ClinicScope:
    """A whole clinic, for readers that act for no caller (the event log's shared loaders)."""

    clinic_id: str
    study_id: str | None = None
    user_id: str | None = None


def _study_people(scope: Scoped) -> ColumnElement[bool]:
    study, clinic = scope.study_id, scope.clinic_id
    return or_(
        User.id == scope.user_id,
        User.id.in_(select(Study.assigned_to_id).where(Study.id == study, Study.clinic_id == clinic)),
        User.id.in_(select(Report.user_id).where(Report.study_id == study, Report.clinic_id == clinic)),
    )


def visible(model, scope: Scoped) -> list[ColumnElement[bool]]:
    """The conditions that keep `model`'s rows to those `scope` may see."""
    conditions = [model.clinic_id == scope.clinic_id]
    if scope.study_id is None:
        return conditions
    if model is Study:
        conditions.append(Study.id == scope.study_id)
    elif model is Report:
        conditions.append(Report.study_id == scope.study_id)
    elif model is User:
        conditions.append(_study_people(scope))
    elif model is Invitation:
        conditions.append(false())
    else:
        raise TypeError(f"no scope rule for {model.__name__}")
    return conditions
