"""What a request selects below a field, for a resolver that can read ahead of its fields."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types.nodes import SelectedField, Selection


def selects(selections: Iterable[Selection], name: str) -> bool:
    """Whether a field called `name` is selected anywhere below, through fragments and inline
    fragments too. (@skip and @include are not weighed: reading ahead for a skipped field costs a
    statement, not a wrong answer.)"""
    for selection in selections:
        if isinstance(selection, SelectedField) and selection.name == name:
            return True
        if selects(selection.selections, name):
            return True
    return False
