"""The person's fields that users and invitations share, between GraphQL names and model columns."""

from __future__ import annotations

from sqlalchemy import Enum

from autoscribe.db.models import PersonFields, User
from autoscribe.operations.user_rules import PersonChangeRules

# camelCase input name -> column attribute, for the fields that can change after the invitation:
# the fields of the rules that check a change, whose names are the columns' (tests/test_field_lists.py).
CHANGEABLE = {field.alias: name for name, field in PersonChangeRules.model_fields.items()}

# The changeable fields stored as enums: validated input holds their values.
_ENUMS = {
    key: User.__table__.c[attr].type.enum_class
    for key, attr in CHANGEABLE.items()
    if isinstance(User.__table__.c[attr].type, Enum)
}


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
