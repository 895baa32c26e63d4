"""The rights an operation can require of its caller (autoscribe.operations.declared checks them;
autoscribe.core.principal says who holds which)."""

from __future__ import annotations

from enum import Enum


class Right(Enum):
    # No bearer at all: the operation's own argument (a signed link) is the credential.
    NONE = "none"
    # Any valid bearer: what it reaches is scoped by the caller (autoscribe.operations.scope).
    ANY = "any"
    # An API key, or a user with canManageStudies, not bound to a reroute study.
    MANAGE_STUDIES = "manage_studies"
    # An API key, or a user with canCreateReports (a dictation reroute session included).
    CREATE_REPORTS = "create_reports"
    # An API key, or a user of level ADMIN or OWNER, not bound to a reroute study.
    ADMIN = "admin"
    # The same holders as ADMIN, for the clinic's webhook endpoints (its refusal says so).
    MANAGE_WEBHOOKS = "manage_webhooks"
    # An API key only.
    API_KEY = "api_key"
