"""The person's fields that users and invitations share, between GraphQL names and model columns."""

from __future__ import annotations

from autoscribe.db import enums
from autoscribe.db.models import PersonFields

# camelCase input name -> column attribute, for the fields that can change after the invitation.
CHANGEABLE = {
    "firstName": "first_name",
    "lastName": "last_name",
    "middleName": "middle_name",
    "suffix1": "suffix1",
    "suffix2": "suffix2",
    "phoneNumber": "phone_number",
    "npiNumber": "npi_number",
    "clinicRole": "clinic_role",
    "level": "level",
    "canCreateReports": "can_create_reports",
    "canManageStudies": "can_manage_studies",
    "hasDashboardAccess": "has_dashboard_access",
}

_ENUMS = {"clinicRole": enums.ClinicRole, "level": enums.UserLevel}


def person_of(row: PersonFields) -> dict:
    """The row's changeable fields as validated input looks (camelCase, enums by value)."""
    out = {}
    for key, attr in CHANGEABLE.items():
        value = getattr(row, attr)
        out[key] = value.value if key in _ENUMS else value
    return out


def apply_person(row: PersonFields, values: dict) -> None:
    """Set the given changeable fields (validated, camelCase, JSON values) on the row."""
    for key, attr in CHANGEABLE.items():
        if key in values:
            value = values[key]
            setattr(row, attr, _ENUMS[key](value) if key in _ENUMS else value)
