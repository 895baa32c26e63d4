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
    kind: str  # "constant", "attribute", "computed", "nested", "joined"
    value: Any = None  # the constant; the attribute's name; the function
    finish: Finish | None = None
    nested: Callable[[Any, Pending], Any] | None = None
    join: Join | None = None
    id_attribute: str | None = None
    non_null: bool = False


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

    def nested(self, key: str, get: Callable[[Any], Any], plan: ObjectPlan, *, non_null: bool, listed: bool,
               items_non_null: bool = True) -> None:
        """An object (or a list of objects) the source makes in memory, answered by `plan`."""
        self.parts.append(_Part(key, "nested", nested=_nested(get, plan, non_null, listed, items_non_null)))

    def joined(self, key: str, id_attribute: str, join: Join, *, non_null: bool) -> None:
        if not id_attribute.isidentifier():
            raise ValueError(id_attribute)
        self.parts.append(_Part(key, "joined", join=join, id_attribute=id_attribute, non_null=non_null))

    def answer(self, source: Any, pending: Pending) -> dict:
        if self._answer is None:
            self._answer = self._compile()
        return self._answer(source, pending)

    def _compile(self) -> Callable[[Any, Pending], dict]:
        scope: dict[str, Any] = {"Deviation": Deviation}
        lines, items, after = [], [], []
        for i, part in enumerate(self.parts):
            key = f"K{i}"
            scope[key] = part.key
            if part.kind == "constant":
                scope[f"C{i}"] = part.value
                items.append(f"K{i}: C{i}")
            elif part.kind in ("attribute", "computed"):
                scope[f"F{i}"] = part.finish
                if part.kind == "attribute":
                    lines.append(f"    v{i} = source.{part.value}")
                else:
                    scope[f"G{i}"] = part.value
                    lines.append(f"    v{i} = G{i}(source)")
                exact = getattr(part.finish, "exact", None)
                memo = getattr(part.finish, "memo", None)
                iso = getattr(part.finish, "isoformat", None)
                if iso is not None:
                    scope[f"T{i}"] = iso
                    items.append(f"K{i}: v{i}.isoformat() if v{i}.__class__ is T{i} else F{i}(v{i})")
                elif exact is not None:
                    scope[f"T{i}"] = exact
                    items.append(f"K{i}: v{i} if v{i}.__class__ is T{i} else F{i}(v{i})")
                elif memo is not None:
                    scope[f"M{i}"] = memo
                    items.append(f"K{i}: M{i}.get(id(v{i})) or F{i}(v{i})")
                else:
                    items.append(f"K{i}: F{i}(v{i})")
            elif part.kind == "nested":
                scope[f"N{i}"] = part.nested
                items.append(f"K{i}: N{i}(source, pending)")
            else:  # joined: a placeholder, filled when the level is read
                scope[f"J{i}"] = part.join
                items.append(f"K{i}: None")
                after += [f"    j = source.{part.id_attribute}",
                          "    if j is not None:",
                          f"        pending.setdefault(J{i}, []).append((out, K{i}, j, {part.non_null}))"]
                if part.non_null:
                    after += ["    else:", "        raise Deviation"]
        body = "\n".join([*lines, "    out = {" + ", ".join(items) + "}", *after, "    return out"])
        source = f"def answer(source, pending):\n{body}\n"
        # Schema names and constants only: nothing here comes from a request.
        exec(compile(source, "<compiled selection>", "exec"), scope)  # noqa: S102
        return scope["answer"]


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
