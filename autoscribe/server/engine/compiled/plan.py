"""A planned selection: for each object of a type, the writers of its answer's fields, in order.

A writer puts one field of one object into that object's answer dict: a constant (`__typename`),
a leaf read from the source (a row's column, an attribute) and finished (engine.compiled.leaves),
a nested object or list of them built from the source in memory, or a placeholder for an object
that is read for a whole level at once (a study's assignee: one statement for the page, see
Join). A source is a row of columns (operations.projected) or an object of a Strawberry type
built from one (StudyReportMetadata.of(...)); either way the writer only reads attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autoscribe.server.engine.compiled.leaves import Deviation, Finish

# (source, answer, pending joins) -> None
Writer = Callable[[Any, dict, "Pending"], None]


@dataclass(eq=False)
class Join:
    """Objects of one kind (`loader`, e.g. users), read by ID for a whole level in one statement,
    each answered by `plan`. The columns to read are the plan's."""

    loader: str
    plan: ObjectPlan


# Per join: (answer, key, ID, non-null) of every placeholder still to fill.
Pending = dict[Join, list[tuple[dict, str, Any, bool]]]


@dataclass(eq=False)
class ObjectPlan:
    writers: list[Writer] = field(default_factory=list)
    # For an object read as a row: the columns it needs (model attribute names).
    columns: set[str] = field(default_factory=set)

    def answer(self, source: Any, pending: Pending) -> dict:
        out: dict = {}
        for write in self.writers:
            write(source, out, pending)
        return out


def constant(key: str, value: Any) -> Writer:
    def write(_source, out, _pending):
        out[key] = value

    return write


def leaf(key: str, get: Callable[[Any], Any], finish: Finish) -> Writer:
    def write(source, out, _pending):
        try:
            value = get(source)
        except Exception as exc:  # the standard way reports it with its path
            raise Deviation from exc
        out[key] = finish(value)

    return write


def nested(key: str, get: Callable[[Any], Any], plan: ObjectPlan, *, non_null: bool, listed: bool,
           items_non_null: bool = True) -> Writer:
    """An object (or a list of objects) the source makes in memory, answered by `plan`."""

    def write(source, out, pending):
        try:
            value = get(source)
        except Exception as exc:
            raise Deviation from exc
        if value is None:
            if non_null:
                raise Deviation
            out[key] = None
        elif not listed:
            out[key] = plan.answer(value, pending)
        else:
            items = []
            for item in value:
                if item is None:
                    if items_non_null:
                        raise Deviation
                    items.append(None)
                else:
                    items.append(plan.answer(item, pending))
            out[key] = items

    return write


def joined(key: str, get_id: Callable[[Any], Any], join: Join, *, non_null: bool) -> Writer:
    """A placeholder now (keeping the key's place in the answer), filled once the level is read."""

    def write(source, out, pending):
        ident = get_id(source)
        if ident is None:
            if non_null:
                raise Deviation
            out[key] = None
            return
        out[key] = None
        pending.setdefault(join, []).append((out, key, ident, non_null))

    return write
