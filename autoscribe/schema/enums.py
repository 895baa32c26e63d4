"""The domain enums, and the error codes, exposed to GraphQL under their own names, each value with
what it means."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import strawberry

from autoscribe.core import errors
from autoscribe.db import enums


def described(cls: type[Enum], description: str, values: Mapping[str, str]) -> type[Enum]:
    """`strawberry.enum(cls)` with a description of every value, by name.

    The domain enums are shared with the models and the REST door (autoscribe.db.enums), so their
    members cannot be `strawberry.enum_value`s: the descriptions are given to Strawberry's
    definition of each value here, before any schema is built. A value left undescribed, or a name
    that is not one, fails at import.
    """
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__
    names = [value.name for value in definition.values]
    if sorted(names) != sorted(values):
        raise TypeError(f"{cls.__name__}: describe exactly {names}, not {list(values)}")
    for value in definition.values:
        value.description = values[value.name]
    return cls


Severity = described(enums.Severity, "How urgently a study is to be read; PRIORITY order reads STAT first.", {
    "NORMAL": "Routine: read in turn, after STAT and HIGH studies.",
    "HIGH": "Urgent: read before NORMAL studies.",
    "STAT": "Immediate: read before every other study.",
})
StudyReportStatus = described(
    enums.StudyReportStatus,
    "Where a study is in its report workflow: UNASSIGNED or ASSIGNED, IN_PROGRESS, COMPLETED, and "
    "ADDENDUM_ACTIVE while an addendum is open. It follows the study's reports; cancelling a study keeps it.",
    {
        "UNASSIGNED": "No radiologist is assigned; startReport assigns it to the report's author.",
        "ASSIGNED": "Assigned to a radiologist (assignedTo), no report started; the assignment can still change.",
        "IN_PROGRESS": "Its report is being dictated; the assignment cannot change until the report is signed.",
        "COMPLETED": "Its report is signed (and every addendum signed or cancelled); createReportAddendum can "
        "open an addendum.",
        "ADDENDUM_ACTIVE": "An addendum is being dictated; signing or cancelling it returns the study to COMPLETED.",
    },
)
ReportStatus = described(enums.ReportStatus, "Whether a report is still being dictated or signed.", {
    "IN_PROGRESS": "Being dictated: its author (or an API key) can save drafts and sign it.",
    "COMPLETED": "Signed: signedAt and isCritical are set, and its text never changes again.",
})
Sex = described(enums.Sex, "The patient's sex, as the study records it.", {
    "MALE": "Male.",
    "FEMALE": "Female.",
    "OTHER": "Recorded as neither male nor female.",
})
HeightUnit = described(enums.HeightUnit, "The unit of a height.", {
    "IN": "Inches.",
    "CM": "Centimetres.",
})
WeightUnit = described(enums.WeightUnit, "The unit of a weight.", {
    "LBS": "Pounds.",
    "KG": "Kilograms.",
})
_ADMIN = "Manages users, invitations and webhook endpoints; requires hasDashboardAccess."
_MEMBER = "No administration: what it may do besides reading is canManageStudies and canCreateReports."
UserLevel = described(enums.UserLevel, "A user's administrative level.", {
    "OWNER": "The clinic's owner: an admin that the API can neither give, change nor revoke.",
    "ADMIN": _ADMIN,
    "MEMBER": _MEMBER,
})
AssignableUserLevel = described(
    enums.AssignableUserLevel, "The levels the API can give a user (OWNER never is).", {"ADMIN": _ADMIN, "MEMBER": _MEMBER}
)
UserStatus = described(enums.UserStatus, "Whether a user can act in the clinic.", {
    "INVITED": "Invited, not yet accepted: no session, no assigned studies, no dictation.",
    "ACTIVE": "Accepted its invitation: can have sessions, be assigned studies and (with canCreateReports) dictate.",
    "REVOKED": "Access revoked (revokeUserAccess): its session tokens no longer work; reactivateUser restores it.",
})
InvitationStatus = described(enums.InvitationStatus, "Where an invitation stands.", {
    "SENT": "Waiting for an answer: it can be accepted, rejected, updated or revoked until its expiry "
    "(past it, isExpired is true and it no longer can).",
    "ACCEPTED": "Accepted through its link: the user is ACTIVE.",
    "REJECTED": "Declined through its link: the user stays INVITED and can be invited again.",
    "REVOKED": "Revoked (revokeInvitation, or revokeUserAccess of its user): its link no longer works.",
})
InvitedSource = described(enums.InvitedSource, "Who invited the person.", {
    "DASHBOARD": "A user of the clinic (inviterId names them).",
    "API": "An API key (invitedByApiKeyId names it).",
})
InvitationExpiredFilter = described(enums.InvitationExpiredFilter, "Which invitations a filter keeps by expiry.", {
    "ALL": "Every invitation, expired or not.",
    "EXPIRED": "Only SENT invitations past their expiry.",
    "NOT_EXPIRED": "Every invitation but those: unexpired SENT ones, and every answered or revoked one.",
})
StudyOrder = described(enums.StudyOrder, "The order of a list of studies.", {
    "CREATED_AT_DESC": "Newest first.",
    "CREATED_AT_ASC": "Oldest first.",
    "UPDATED_AT_DESC": "Most recently changed first.",
    "PRIORITY": "Reading order: STAT, then HIGH, then NORMAL, each oldest first.",
})
WorklistEventType = described(
    enums.WorklistEventType, "What a change did to a study's place in a worklist subscription's filter.", {
        "ADDED": "The study matches the filter now and did not before (a study created to match is ADDED): "
        "add it to the list.",
        "UPDATED": "The study matched before the change and still does: update it in the list.",
        "REMOVED": "The study matched before the change and does not now: drop it from the list.",
    },
)
ClinicRole = described(
    enums.ClinicRole,
    "A person's role in the clinic, as shown to people; it grants no rights. Each value's description is "
    "its display name, as the REST API spells it.",
    {role.name: f"{title}." for role, title in enums.CLINIC_ROLE_TITLES.items()},
)
WebhookDeliveryStatus = described(enums.WebhookDeliveryStatus, "Where a webhook delivery stands.", {
    "PENDING": "Not delivered yet: tried again with growing delays (nextAttemptAt) until a 2xx answer or "
    "the end of its retry window.",
    "DELIVERED": "The endpoint answered 2xx (deliveredAt); not sent again.",
    "FAILED": "No 2xx answer within the retry window, or its report is gone; not sent again.",
})

# The codes of `extensions.code` (SPEC §6), each with its meaning. No field returns it: it is in the
# schema so that clients (and their code generators) can list the codes; build_schema adds it.
ErrorCode = strawberry.enum(
    Enum("ErrorCode", {code.name: strawberry.enum_value(code.value, description=code.description)
                       for code in errors.ErrorCode}),
    description="The code of a GraphQL error, in its extensions.code: the kind of failure, what a client "
    "can act on. Every field can end in INTERNAL_SERVER_ERROR; each root field's description lists the "
    "other codes it can end in.",
)
