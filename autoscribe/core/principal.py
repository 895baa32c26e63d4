"""The caller of an operation and its rights: an API key of a clinic, or a user of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from autoscribe.core.errors import Forbidden
from autoscribe.core.rights import Right
from autoscribe.db import enums
from autoscribe.db.models import User


@dataclass
class Principal:
    """An API key of a clinic (every right), or an active user of it (that user's rights).

    A reroute session (SPEC §5) is a user bound to one study (`study_id`): it sees only that study
    (autoscribe.operations.scope), may at most dictate it, and never manages studies, users or invitations.
    """

    clinic_id: str
    clinic_name: str
    api_key_id: str | None = None
    user: User | None = None
    read_only: bool = False
    study_id: str | None = None
    # The reroute link (RerouteGrant) whose opening made the session.
    grant_id: str | None = None

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    @property
    def user_id(self) -> str | None:
        return self.user.id if self.user else None

    def _user_may(self, right: bool) -> bool:
        return self.is_api_key or (not self.read_only and self.user is not None and right)

    @property
    def can_manage_studies(self) -> bool:
        return self.study_id is None and self._user_may(bool(self.user and self.user.can_manage_studies))

    @property
    def can_create_reports(self) -> bool:
        return self._user_may(bool(self.user and self.user.can_create_reports))

    @property
    def is_admin(self) -> bool:
        return self.study_id is None and self._user_may(
            bool(self.user and self.user.level in (enums.UserLevel.ADMIN, enums.UserLevel.OWNER))
        )

    def _refuse(self, reason: str) -> Forbidden:
        if self.study_id is not None:
            reason = "A session opened by a reroute link may only " + (
                "view its study." if self.read_only else "view and dictate its study."
            )
        return Forbidden(reason)

    def require_manage_studies(self) -> None:
        if not self.can_manage_studies:
            raise self._refuse("Managing studies requires the canManageStudies right.")

    def require_create_reports(self) -> None:
        if not self.can_create_reports:
            raise self._refuse("Dictating reports requires the canCreateReports right.")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise self._refuse("Managing users and invitations requires level ADMIN or OWNER.")

    def require_manage_webhooks(self) -> None:
        if not self.is_admin:
            raise self._refuse("Managing webhooks requires an API key or level ADMIN or OWNER.")

    def require_api_key(self) -> None:
        if not self.is_api_key:
            raise Forbidden("Only an API key may do this.")


def requirement(right: Right) -> Callable[[Principal], None] | None:
    """The check that raises FORBIDDEN unless a principal holds `right`; None when every caller
    holds it (Right.ANY, and Right.NONE, which has no principal at all)."""
    return _REQUIREMENTS[right]


_REQUIREMENTS: dict[Right, Callable[[Principal], None] | None] = {
    Right.NONE: None,
    Right.ANY: None,
    Right.MANAGE_STUDIES: Principal.require_manage_studies,
    Right.CREATE_REPORTS: Principal.require_create_reports,
    Right.ADMIN: Principal.require_admin,
    Right.MANAGE_WEBHOOKS: Principal.require_manage_webhooks,
    Right.API_KEY: Principal.require_api_key,
}
