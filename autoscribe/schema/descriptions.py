"""What the schema's descriptions share: ID formats, the page and cursor arguments, and the
"Requires: … Errors: …" sentence of a root field, made from the declaration of the operation it
calls (autoscribe.operations.declared), so that a field's documented right and codes are the ones
it checks and raises (tests/test_schema_descriptions.py holds every root field to it)."""

from __future__ import annotations

from collections.abc import Callable

from autoscribe.core.errors import ErrorCode
from autoscribe.core.rights import Right
from autoscribe.core.settings import Settings
from autoscribe.db.ids import PREFIXES
from autoscribe.operations.declared import Declared, declaration
from autoscribe.operations.pagination import MAX_PAGE

HEX = "32 lowercase hex digits"


def id_of(kind: str, what: str) -> str:
    """`what`, and the form of an ID of `kind` ("study", "user", …): its prefix and 32 hex digits."""
    return f"{what}: {PREFIXES[kind]} and {HEX}."


FIRST = f"How many to return: 1 to {MAX_PAGE} (else BAD_USER_INPUT on first)."
AFTER = (
    "The endCursor of the previous page, to go on after its last item; absent or null for the first page. "
    "Opaque and signed: a cursor of another list, order or clinic is BAD_USER_INPUT on after."
)
EDGE_CURSOR = "Opaque: pass it as `after` to read on after this item."



def default(setting: str) -> int:
    """A setting's default (autoscribe.core.settings), for descriptions that state it."""
    return Settings.model_fields[setting].default


def lifetime(seconds: int) -> str:
    """"1 hour", "90 minutes": a default lifetime in words."""
    return f"{seconds // 3600} hour{'s' if seconds != 3600 else ''}" if seconds % 3600 == 0 else f"{seconds // 60} minutes"


_RETENTION_DAYS = default("event_retention_days")
EVENT_CURSOR = "Opaque: pass it as `after` to resume after this event without losing or repeating one."
SUBSCRIPTION_AFTER = (
    "The cursor of the last event received: the events committed after it are replayed from the log first, "
    "then live ones follow, with no gap and no duplicate. Absent or null: from now on. A cursor older than "
    f"the log's retention ({_RETENTION_DAYS} days by default) is CURSOR_EXPIRED; one of another clinic "
    "or not a cursor, BAD_USER_INPUT."
)
OCCURRED_AT = "When the change was committed."
CREATED_AT = "When it was created (UTC)."
UPDATED_AT = "When it last changed (UTC)."

# Who holds each right (autoscribe.core.principal), as a client reads it.
REQUIRES: dict[Right, str] = {
    Right.NONE: "no bearer; the token argument is the credential",
    Right.ANY: "any valid bearer; it sees its own clinic only (a reroute session: its study, the study's "
    "reports and the people they name)",
    Right.MANAGE_STUDIES: "an API key, or a user with canManageStudies (never a reroute session)",
    Right.CREATE_REPORTS: "an API key, or a user with canCreateReports (a dictation reroute session: its study "
    "only; a viewer-only one: never)",
    Right.ADMIN: "an API key, or a user of level ADMIN or OWNER (never a reroute session)",
    Right.MANAGE_WEBHOOKS: "an API key, or a user of level ADMIN or OWNER (never a reroute session)",
    Right.API_KEY: "an API key (never a user session)",
}


def codes(right: Right, raised: frozenset[ErrorCode] | set[ErrorCode]) -> list[str]:
    """The codes a field can end in, in the enum's order: UNAUTHENTICATED wherever a bearer is read.
    (INTERNAL_SERVER_ERROR is left out: any field can fail unexpectedly.)"""
    found = set(raised) | ({ErrorCode.UNAUTHENTICATED} if right is not Right.NONE else set())
    return [code.value for code in ErrorCode if code in found]


def stated(declared: Declared) -> str:
    """"Requires: … Errors: …" of an operation's declaration."""
    return f"Requires: {REQUIRES[declared.right]}. Errors: {', '.join(codes(declared.right, declared.codes))}."


def requirements(operation: Callable) -> str:
    """"Requires: … Errors: …" of a declared operation."""
    declared = declaration(operation)
    if declared is None:
        raise TypeError(f"{operation.__qualname__} is not a declared operation")
    return stated(declared)


def described(text: str, operation: Callable) -> str:
    """A root field's description: what it does (`text`), then the right and the codes of `operation`."""
    return f"{text} {requirements(operation)}"


# A study named by one of two keys (studies.get_study, lock_study: exactly one, else BAD_USER_INPUT).
STUDY_BY_ID = f"The study's ID ({PREFIXES['study']} and {HEX}), or give studyInstanceUid instead."
STUDY_BY_UID = "The study's DICOM Study Instance UID, or give id instead."
