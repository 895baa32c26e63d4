"""The schema's date and time scalars: Strawberry's own, with descriptions that give their formats."""

from __future__ import annotations

import dataclasses
import datetime

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

# For build_schema's scalar_overrides: the same names, parsing and serialising; only the words differ.
SCALARS: dict[type, ScalarDefinition] = {
    datetime.date: dataclasses.replace(
        DateDefinition, description="A calendar day in ISO 8601: YYYY-MM-DD, e.g. 2026-11-27."
    ),
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="A moment in ISO 8601 with its UTC offset, e.g. 2026-11-27T09:30:00.123456+00:00; the server "
        "answers in UTC.",
    ),
}
