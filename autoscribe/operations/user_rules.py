"""The rules a person's fields must satisfy, for users and invitations alike (SPEC §2)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from autoscribe.core.errors import BadInput
from autoscribe.db.enums import AssignableUserLevel, ClinicRole
from autoscribe.operations.validation import NonBlank, Rules, changes_of

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DIGITS = re.compile(r"[0-9]+")
# The NPI check digit is the Luhn digit of the number prefixed with 80840 (US health identifiers).
NPI_PREFIX = "80840"


def valid_email(value: str) -> bool:
    if len(value) > 320 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    labels = domain.split(".")
    return (
        len(local) <= 64
        and bool(_LOCAL.fullmatch(local))
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
    )


def valid_npi(value: str) -> bool:
    """10 digits whose last is the Luhn check digit of 80840 followed by the first nine."""
    if len(value) != 10 or not _DIGITS.fullmatch(value):
        return False
    total = 0
    for i, ch in enumerate(reversed(NPI_PREFIX + value)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _email(value: str) -> str:
    if not valid_email(value):
        raise ValueError("Must be a valid e-mail address.")
    return value


def _npi(value: str) -> str:
    if not valid_npi(value):
        raise ValueError("Must be a 10-digit NPI number with a valid check digit.")
    return value


def _phone(value: str) -> str:
    if not _DIGITS.fullmatch(value) or not 10 <= len(value) <= 15:
        raise ValueError("Must be 10 to 15 digits.")
    return value


Email = Annotated[str, AfterValidator(_email)]
Npi = Annotated[str, AfterValidator(_npi)]
Phone = Annotated[str, AfterValidator(_phone)]
Name = Annotated[NonBlank, StringConstraints(max_length=200)]
MiddleName = Annotated[str, StringConstraints(max_length=200)]
Suffix = Annotated[str, StringConstraints(max_length=50)]


class PersonRules(Rules):
    """The person's fields as an invitation states them whole."""

    first_name: Name
    last_name: Name
    middle_name: MiddleName | None = None
    suffix1: Suffix | None = None
    suffix2: Suffix | None = None
    phone_number: Phone | None = None
    npi_number: Npi | None = None
    clinic_role: ClinicRole
    level: AssignableUserLevel
    can_create_reports: bool
    can_manage_studies: bool
    has_dashboard_access: bool


PersonChangeRules = changes_of(
    PersonRules,
    "PersonChangeRules",
    "The person's fields of updateUser and updateInvitation: each optional, given ones checked.",
)


class InviteRules(PersonRules):
    """inviteUser's input: the person, and the e-mail (which does not change later)."""

    email: Email


def check_person(person: dict, field: str = "input") -> None:
    """The rules between fields, over the person as it would be stored (camelCase keys).

    An NPI number is required when the person can create reports (blamed on npiNumber), and
    level ADMIN requires dashboard access (blamed on hasDashboardAccess).
    """
    if person.get("canCreateReports") and not person.get("npiNumber"):
        raise BadInput("An NPI number is required to create reports.", field=f"{field}.npiNumber")
    if person.get("level") == AssignableUserLevel.ADMIN.value and not person.get("hasDashboardAccess"):
        raise BadInput("Level ADMIN requires dashboard access.", field=f"{field}.hasDashboardAccess")
