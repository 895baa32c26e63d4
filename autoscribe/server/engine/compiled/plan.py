"""A planned selection: for each object of a type, the parts of its answer, in order, made into
one function per selection.

A part is a constant (`__typename`), a leaf read from the source (a row's column, an attribute,
or a function of the source) and finished (engine.compiled.leaves), a nested object or list of
them made from the source in memory, or a placeholder for an object read for a whole level at
once (a study's assignee: one statement for the page, see Join). A source is a row of columns
(operations.projected) or an object of a Strawberry type made from one
(StudyReportMetadata.of(...)); either way a part only reads attributes.

The parts of a selection are written out as the source of one Python function that builds the
answer's dict in one expression (graphql-jit's way): a field costs an attribute read and, for
the common values, a type check; only the rest calls its finisher. Nothing of the request goes
into that source: attribute names are the schema's Python names (checked to be identifiers),
keys and functions are passed as constants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoscribe.server.engine.compiled.leaves import Deviation, Finish


@dataclass(eq=False)
class Join:
    """Objects of one kind (`loader`, e.g. users), read by ID for a whole level in one statement,
    each answered by `plan`. The columns to read are the plan's."""

    loader: str
    plan: ObjectPlan


# Per join: (answer, key, ID, non-null) of every placeholder still to fill.
Pending = dict[Join, list[tuple[dict, str, Any, bool]]]


@dataclass(eq=False)
class _Part:
    key: str
    kind: str  # "constant", "attribute", "computed", "item", "nested", "stored", "joined"
    value: Any = None  # the constant; the attribute's name; the function; the item's key
    finish: Finish | None = None
    nested: Callable[[Any, Pending], Any] | None = None
    join: Join | None = None
    id_attribute: str | None = None
    non_null: bool = False
    # An item: whether its key must be there, and its converter (see ObjectPlan.item).
    required: bool = False
    convert: Callable[[Any], Any] | None = None
    # A stored object: its plan, and the checks of its dict (see ObjectPlan.stored).
    plan: ObjectPlan | None = None
    checks: tuple[tuple[str, Callable[[Any], Any] | None, bool], ...] = ()


@dataclass(eq=False)
class ObjectPlan:
    parts: list[_Part] = field(default_factory=list)
    # For an object read as a row: the columns it needs (model attribute names).
    columns: set[str] = field(default_factory=set)
    _answer: Callable[[Any, Pending], dict] | None = None

    def constant(self, key: str, value: Any) -> None:
        self.parts.append(_Part(key, "constant", value))

    def attribute(self, key: str, name: str, finish: Finish) -> None:
        if not name.isidentifier():
            raise ValueError(name)
        self.parts.append(_Part(key, "attribute", name, finish))

    def computed(self, key: str, function: Callable[[Any], Any], finish: Finish) -> None:
        self.parts.append(_Part(key, "computed", function, finish))

    def item(self, key: str, name: str, finish: Finish, *, required: bool,
             convert: Callable[[Any], Any] | None = None) -> None:
        """The value of the key `name` of the source (a dict; KeyError when `required` and absent),
        through `convert`. A converter made by schema.from_row.parsed is written out inline."""
        self.parts.append(_Part(key, "item", name, finish, required=required, convert=convert))

    def nested(self, key: str, get: Callable[[Any], Any], plan: ObjectPlan, *, non_null: bool, listed: bool,
               items_non_null: bool = True) -> None:
        """An object (or a list of objects) the source makes in memory, answered by `plan`."""
        self.parts.append(_Part(key, "nested", nested=_nested(get, plan, non_null, listed, items_non_null)))

    def stored(self, key: str, attribute: str, plan: ObjectPlan,
               checks: tuple[tuple[str, Callable[[Any], Any] | None, bool], ...]) -> None:
        """An object answered by `plan` (items, constants, nested parts: no joins) from the dict the
        source's `attribute` holds (a falsy value reads as an empty dict, anything else but a dict
        deviates), written out inline. `checks`: (key, converter, required) of the keys `plan` does not
        read but making the object would: each is read and converted, and its result dropped."""
        if not attribute.isidentifier():
            raise ValueError(attribute)
        if any(part.kind == "joined" for part in plan.parts):
            raise ValueError(key)
        self.parts.append(_Part(key, "stored", attribute, plan=plan, checks=tuple(checks)))

    def joined(self, key: str, id_attribute: str, join: Join, *, non_null: bool) -> None:
        if not id_attribute.isidentifier():
            raise ValueError(id_attribute)
        self.parts.append(_Part(key, "joined", join=join, id_attribute=id_attribute, non_null=non_null))

    def answer(self, source: Any, pending: Pending) -> dict:
        return (self._answer or self.compiled())(source, pending)

    def compiled(self) -> Callable[[Any, Pending], dict]:
        """The function answering a source by this plan, made on first use."""
        if self._answer is None:
            self._answer = self._compile()
        return self._answer

    def _compile(self) -> Callable[[Any, Pending], dict]:
        scope: dict[str, Any] = {"Deviation": Deviation, "EMPTY": _EMPTY}
        lines, items, after = self._write(scope, "source", "")
        body = "\n".join([*lines, "    out = {" + ", ".join(items) + "}", *after, "    return out"])
        source = f"def answer(source, pending):\n{body}\n"
        # Schema names and constants only: nothing here comes from a request.
        exec(compile(source, "<compiled selection>", "exec"), scope)  # noqa: S102
        return scope["answer"]

    def _write(self, scope: dict[str, Any], source: str, prefix: str) -> tuple[list[str], list[str], list[str]]:
        """The lines reading this plan's values from the variable `source`, the items of its answer's
        dict, and the lines after it (the joins' placeholders); names made unique by `prefix`."""
        lines, items, after = [], [], []
        for j, part in enumerate(self.parts):
            i = f"{prefix}{j}"
            scope[f"K{i}"] = part.key
            if part.kind == "constant":
                scope[f"C{i}"] = part.value
                items.append(f"K{i}: C{i}")
            elif part.kind in ("attribute", "computed", "item"):
                scope[f"F{i}"] = part.finish
                if part.kind == "attribute":
                    lines.append(f"    v{i} = {source}.{part.value}")
                elif part.kind == "computed":
                    scope[f"G{i}"] = part.value
                    lines.append(f"    v{i} = G{i}({source})")
                else:
                    scope[f"I{i}"] = part.value
                    lines.append(f"    v{i} = {source}[I{i}]" if part.required else f"    v{i} = {source}.get(I{i})")
                    lines += _converted(scope, f"v{i}", i, part.convert)
                items.append(f"K{i}: {_finished(scope, f'v{i}', i, part.finish)}")
            elif part.kind == "nested":
                scope[f"N{i}"] = part.nested
                items.append(f"K{i}: N{i}({source}, pending)")
            elif part.kind == "stored":
                data = f"d{i}"
                lines += [f"    {data} = {source}.{part.value} or EMPTY",
                          f"    if {data}.__class__ is not dict:",
                          "        raise Deviation"]
                for k, (name, convert, required) in enumerate(part.checks):
                    c = f"{i}c{k}"
                    scope[f"I{c}"] = name
                    lines.append(f"    v{c} = {data}[I{c}]" if required else f"    v{c} = {data}.get(I{c})")
                    lines += _converted(scope, f"v{c}", c, convert)
                sub_lines, sub_items, sub_after = part.plan._write(scope, data, f"{i}_")  # noqa: SLF001
                if sub_after:
                    raise ValueError(part.key)
                lines += sub_lines
                items.append(f"K{i}: {{" + ", ".join(sub_items) + "}")
            else:  # joined: a placeholder, filled when the level is read
                if prefix:
                    raise ValueError(part.key)
                scope[f"J{i}"] = part.join
                items.append(f"K{i}: None")
                after += [f"    j = {source}.{part.id_attribute}",
                          "    if j is not None:",
                          f"        pending.setdefault(J{i}, []).append((out, K{i}, j, {part.non_null}))"]
                if part.non_null:
                    after += ["    else:", "        raise Deviation"]
        return lines, items, after


# What a falsy stored value reads as (never changed: the answer only reads it).
_EMPTY: dict = {}


def _converted(scope: dict[str, Any], var: str, i: str, convert) -> list[str]:
    """The lines passing `var` through `convert` (none without one): a converter of
    schema.from_row.parsed written out (its members looked up, its parse called for the others,
    None for a falsy value), any other called."""
    if convert is None:
        return []
    parse = getattr(convert, "parse", None)
    if parse is None:
        scope[f"P{i}"] = convert
        return [f"    {var} = P{i}({var})"]
    scope[f"P{i}"] = parse
    members = getattr(convert, "members", None)
    if members is None:
        return [f"    {var} = P{i}({var}) if {var} else None"]
    scope[f"E{i}"] = members
    return [f"    {var} = (E{i}[{var}] if {var} in E{i} else P{i}({var})) if {var} else None"]


def _finished(scope: dict[str, Any], var: str, i: str, finish: Finish) -> str:
    """The expression of `var`'s answer by `finish`: the common values inline, the others by the call."""
    exact = getattr(finish, "exact", None)
    memo = getattr(finish, "memo", None)
    iso = getattr(finish, "isoformat", None)
    if iso is not None:
        scope[f"T{i}"] = iso
        return f"{var}.isoformat() if {var}.__class__ is T{i} else F{i}({var})"
    if exact is not None:
        scope[f"T{i}"] = exact
        return f"{var} if {var}.__class__ is T{i} else F{i}({var})"
    if memo is not None:
        scope[f"M{i}"] = memo
        return f"M{i}.get(id({var})) or F{i}({var})"
    return f"F{i}({var})"


def _nested(get, plan: ObjectPlan, non_null: bool, listed: bool, items_non_null: bool):
    def value(source, pending):
        made = get(source)
        if made is None:
            if non_null:
                raise Deviation
            return None
        answer = plan.answer
        if not listed:
            return answer(made, pending)
        if type(made) is list and None not in made:
            answer = plan.compiled()  # the compiled function itself, called per item
            return [answer(item, pending) for item in made]
        items = []
        for item in made:
            if item is None:
                if items_non_null:
                    raise Deviation
                items.append(None)
            else:
                items.append(answer(item, pending))
        return items

    return value
