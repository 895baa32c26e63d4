"""Input rules: pydantic models over the given fields, failures as BAD_USER_INPUT with the field."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Optional, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model, field_validator
from pydantic.alias_generators import to_camel

from autoscribe.core.errors import BadInput
from autoscribe.db.ids import is_id_of

M = TypeVar("M", bound=BaseModel)


class Rules(BaseModel):
    """Base of input models: camelCase names as in the GraphQL schema, nothing extra."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


def _not_null(cls, value):
    if value is None:
        raise ValueError("Cannot be null.")
    return value


def changes_of(rules: type[M], name: str, doc: str) -> type[M]:
    """The rules of a change to what `rules` checks whole: each field optional and checked as there
    when given; an explicit null is refused for the fields `rules` requires (they cannot be cleared).

    So a field is written once, in `rules`, for both the create and the update of its entity.
    """
    required = [field for field, info in rules.model_fields.items() if info.is_required()]
    fields: dict[str, Any] = {
        field: (Optional[info.rebuild_annotation()], None) for field, info in rules.model_fields.items()  # noqa: UP045
    }
    validators = {"_not_null": field_validator(*required)(classmethod(_not_null))} if required else {}
    model = create_model(name, __base__=Rules, __doc__=doc, __validators__=validators, **fields)
    model.__module__ = rules.__module__
    return model


def _field_path(prefix: str, loc: tuple) -> str:
    parts = [prefix] if prefix else []
    parts += [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    return ".".join(parts)


def validate(model: type[M], data: dict, *, field: str = "input") -> M:
    """Validate `data` (camelCase keys, only the given ones) against `model`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err.get("msg", "Invalid value.")
        msg = msg.removeprefix("Value error, ")
        raise BadInput(msg, field=_field_path(field, err["loc"])) from None


def given(model: Rules) -> dict:
    """The validated fields that were given, camelCase, as JSON-ready values."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


# Filter and search strings are refused over this length (BAD_USER_INPUT naming the field): no stored
# value searched by a filter is longer, and a longer pattern only costs the database work.
MAX_FILTER_TEXT = 1000


def check_filter_text(flt: dict, keys: tuple[str, ...], field: str = "filter") -> None:
    for key in keys:
        value = flt.get(key)
        if isinstance(value, str) and len(value) > MAX_FILTER_TEXT:
            raise BadInput(f"At most {MAX_FILTER_TEXT} characters.", field=f"{field}.{key}")


def check_id(value: Any, kind: str, field: str) -> str:
    """A well-formed ID of the expected kind, else BAD_USER_INPUT on `field`."""
    if not isinstance(value, str) or not is_id_of(value, kind):
        raise BadInput(f"Not a valid {kind} ID.", field=field)
    return value


# Reusable constrained types ---------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("Must not be blank.")
    return value


def _positive_finite(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ValueError("Must be a positive number.")
    return value


# Every rule matches the whole value (fullmatch): `$` would also match before a trailing newline.
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def _hhmm(value: str) -> str:
    if not _HHMM.fullmatch(value):
        raise ValueError("Must be a time as HH:MM (24-hour).")
    return value


NonBlank = Annotated[str, AfterValidator(_not_blank)]
PositiveFloat = Annotated[float, AfterValidator(_positive_finite)]
TimeHHMM = Annotated[str, AfterValidator(_hhmm)]
