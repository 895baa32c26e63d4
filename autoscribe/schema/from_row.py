"""`of()` for output types, derived from the type's own fields, so a plain field is written once.

From a model row (`from_row`): a type's plain fields (those without a resolver) are copied from
the row attribute of the same name; the type lists only the few that are computed or renamed, and
a Private field named `row` gets the row itself. Each plain field must be an attribute of the
model, checked when the type is defined (its module imported): a field added to the type but not
to the model fails at import, not on the first request.

From a JSON object stored in a column (`from_json`): each field from the key of its GraphQL name,
through a converter where the stored value is not the field's (dates, enums, nested objects);
`parsed(parse)` makes the usual kind of converter, None for a value not given, `parse(value)` for
one that is.

The function is generated once per type, as the hand-written `of()` would read
(`cls(id=row.id, ...)`): `of()` runs for every object of every page (a worklist page is 100
studies), so it must cost no more than writing it out by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from strawberry.utils.str_converters import to_camel_case

ROW = "row"


def from_row(model: type, **computed: Callable[[Any], Any]) -> Callable[[type], type]:
    """Class decorator (above `@strawberry.type`) giving the type the classmethod `of(row)`.

    `computed` maps a field's Python name to a function of the row, for the fields whose value is
    not the row's attribute of that name.
    """

    def decorate(cls: type) -> type:
        args = {}
        for name in _init_fields(cls, computed):
            if name in computed:
                args[name] = f"_{name}(row)"
            elif name == ROW:
                args[name] = "row"
            elif hasattr(model, name):
                args[name] = f"row.{name}"
            else:
                raise TypeError(f"{cls.__name__}.{name} is neither an attribute of {model.__name__} nor computed")
        cls.of = classmethod(_compile(cls, "row", "", args, computed))
        # What each field is of the row, for readers that load only the columns they need: the
        # attribute's name, or the function computing it (server.engine.compiled).
        cls.__row_model__ = model
        cls.__row_fields__ = {name: computed.get(name, name) for name in args if name != ROW}
        return cls

    return decorate


def from_json(**convert: Callable[[Any], Any]) -> Callable[[type], type]:
    """Class decorator (above `@strawberry.type`) giving the type the classmethod `of(data)`.

    `data` is a dict keyed by the fields' GraphQL names (None reads as empty); a field without a
    default must be there. `convert` maps a field's Python name to a function of the stored value.
    """

    def decorate(cls: type) -> type:
        _init_fields(cls, convert)
        args, stored = {}, {}
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            name = getattr(f, "graphql_name", None) or to_camel_case(f.name)
            key = repr(name)
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            value = f"data[{key}]" if required else f"data.get({key})"
            args[f.name] = f"_{f.name}({value})" if f.name in convert else value
            stored[f.name] = (name, convert.get(f.name), required)
        cls.of = classmethod(_compile(cls, "data", "    data = data or {}\n", args, convert))
        # How `of` reads each field, for readers that answer from the stored dict without making
        # the object (server.engine.compiled): (key, converter or None, whether the key must be there).
        cls.__json_fields__ = stored
        return cls

    return decorate


def parsed(parse: Callable[[Any], Any], members: dict | None = None) -> Callable[[Any], Any]:
    """A converter for from_json: None for a value not given (falsy), else `parse(value)`.

    It keeps `parse` and `members` (values `parse` maps to these objects, as `parse` itself would)
    as attributes, for readers that write the conversion out inline (server.engine.compiled)."""

    def convert(value):
        return parse(value) if value else None

    convert.parse, convert.members = parse, members
    return convert


def _init_fields(cls: type, special: dict) -> list[str]:
    """The fields `cls(...)` takes, in declaration order; every special one among them."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = set(special) - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__} has no fields {sorted(unknown)}")
    return names


def _compile(cls: type, param: str, prologue: str, args: dict[str, str], functions: dict) -> Callable[..., Any]:
    scope = {f"_{name}": fn for name, fn in functions.items()}
    call = ", ".join(f"{name}={expr}" for name, expr in args.items())
    source = f"def of(cls, {param}):\n{prologue}    return cls({call})\n"
    # Our own field names and keys only: nothing here comes from a request.
    exec(compile(source, f"<{cls.__name__}.of>", "exec"), scope)  # noqa: S102
    of = scope["of"]
    of.__qualname__ = f"{cls.__name__}.of"
    of.__doc__ = f"A {cls.__name__} of its stored form."
    return of
