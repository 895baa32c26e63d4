"""Printing figures as plain-text tables."""

from __future__ import annotations

import math
from collections.abc import Sequence


def fmt(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence], notes: Sequence[str] = ()) -> str:
    cells = [[fmt(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values):
        # First column left-aligned (labels), the others right-aligned (figures).
        return "  ".join(v.ljust(widths[0]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(values))

    out = [title, "=" * len(title), line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    out += [f"  {n}" for n in notes]
    return "\n".join(out) + "\n"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"
