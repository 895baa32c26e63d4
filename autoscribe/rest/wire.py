"""Wire spellings of the domain's enumerations, as the avara SDK's types spell them: lowercase
(`in_progress`, `lbs`, `cm`), hyphenated (`not-expired`), and clinicRole in human-readable words
(the explicit table db.enums.CLINIC_ROLE_TITLES, from avara/types/shared/clinic_role.py, not
derived from the names).

Each `Spelling` converts both ways and gives the pydantic type (`.type`, a Literal of the wire
values) that the response and body models use, so the OpenAPI document lists the same values.
"""

from __future__ import annotations

import enum
from typing import Generic, Literal, TypeVar

from autoscribe.core.errors import BadInput
from autoscribe.db import enums

E = TypeVar("E", bound=enum.Enum)


class Spelling(Generic[E]):
    def __init__(self, table: dict[str, E]):
        self.to_domain: dict[str, E] = dict(table)
        self.to_wire: dict[E, str] = {member: text for text, member in table.items()}
        self.type = Literal[tuple(table)]  # type: ignore[valid-type]

    def wire(self, value: E | None) -> str | None:
        return None if value is None else self.to_wire[value]

    def domain(self, text: str, field: str) -> E:
        try:
            return self.to_domain[text]
        except (KeyError, TypeError):
            raise BadInput(f"Must be one of: {', '.join(self.to_domain)}.", field=field) from None


def lowercase(enum_cls: type[E]) -> Spelling[E]:
    return Spelling({member.value.lower(): member for member in enum_cls})


SEVERITY = lowercase(enums.Severity)
STUDY_REPORT_STATUS = lowercase(enums.StudyReportStatus)
REPORT_STATUS = lowercase(enums.ReportStatus)
SEX = lowercase(enums.Sex)
HEIGHT_UNIT = lowercase(enums.HeightUnit)
WEIGHT_UNIT = lowercase(enums.WeightUnit)
USER_LEVEL = lowercase(enums.UserLevel)
ASSIGNABLE_USER_LEVEL = lowercase(enums.AssignableUserLevel)
INVITED_SOURCE = lowercase(enums.InvitedSource)
INVITATION_STATUS = lowercase(enums.InvitationStatus)
INVITATION_EXPIRED = Spelling({
    "all": enums.InvitationExpiredFilter.ALL,
    "expired": enums.InvitationExpiredFilter.EXPIRED,
    "not-expired": enums.InvitationExpiredFilter.NOT_EXPIRED,
})

CLINIC_ROLE = Spelling({title: role for role, title in enums.CLINIC_ROLE_TITLES.items()})


class StudyType(enum.Enum):
    """The REST API's kinds of study: every AutoScribe study is a live reading-workflow one
    ("standard"); imported archive studies ("external") are not kept here."""

    STANDARD = "STANDARD"
    EXTERNAL = "EXTERNAL"


STUDY_TYPE = lowercase(StudyType)
