"""Each operation's declaration: the right its caller needs and the error codes it can end in.

    @operation(right=Right.MANAGE_STUDIES, errors={ErrorCode.NOT_FOUND, ErrorCode.BAD_USER_INPUT})
    async def update_study(svc, principal, id, data): ...

- The right is checked before the body runs, with the Principal's own check and message, so no
  operation starts with a `require_*()` line of its own and none can forget it. Its FORBIDDEN is
  implied; `errors` lists what the body itself can raise. INTERNAL_SERVER_ERROR is never declared:
  any operation can fail unexpectedly.
- The declaration is kept in OPERATIONS, so that rights and codes can be listed and checked
  (tests/test_operation_declarations.py checks every mutation against them).

An operation that needs a right takes `(svc, principal, ...)`; one of Right.ANY takes the principal
for its scope; one of Right.NONE takes none. The cost per call is the right check alone: Right.ANY
and Right.NONE get the function itself back, the others one wrapper that calls the check.

With AUTOSCRIBE_CHECK_DECLARED_ERRORS=1 in the environment when this module is imported (the test
suite sets it), every operation is wrapped so that an AppError whose code it did not declare
raises UndeclaredError instead, and is noted in `undeclared`; a declaration that says less than the
code does fails whichever test goes that way.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from autoscribe.core.errors import AppError, ErrorCode
from autoscribe.core.principal import requirement
from autoscribe.core.rights import Right

CHECKING = os.environ.get("AUTOSCRIBE_CHECK_DECLARED_ERRORS") == "1"


@dataclass(frozen=True)
class Declared:
    # The operation's module (within autoscribe.operations) and function: "studies.create_study".
    name: str
    right: Right
    # What it can raise: the declared codes, and FORBIDDEN when its right is checked.
    codes: frozenset[ErrorCode]
    # The body, undecorated.
    function: Callable


class UndeclaredError(AssertionError):
    """An operation raised a code it does not declare (only when CHECKING)."""


OPERATIONS: dict[str, Declared] = {}
# The undeclared raises seen while CHECKING, "name: CODE", for the test suite to fail on.
undeclared: list[str] = []


def declaration(fn: Callable) -> Declared | None:
    """The declaration of a decorated operation (None for any other function)."""
    return getattr(fn, "__declared__", None)


def _takes_principal(fn: Callable) -> bool:
    params = list(inspect.signature(fn).parameters)
    if "principal" in params and params.index("principal") != 1:
        raise TypeError(f"{fn.__qualname__}: the principal must be the second parameter, after svc")
    return "principal" in params


def operation(*, right: Right, errors: Iterable[ErrorCode]) -> Callable[[Callable], Callable]:
    def declare(fn: Callable) -> Callable:
        codes = frozenset(ErrorCode(code) for code in errors)
        if ErrorCode.INTERNAL_SERVER_ERROR in codes:
            raise TypeError(f"{fn.__qualname__}: INTERNAL_SERVER_ERROR is never declared")
        if _takes_principal(fn) == (right is Right.NONE):
            raise TypeError(
                f"{fn.__qualname__}: an operation of Right.NONE takes no principal, any other takes one"
            )
        check = requirement(right)
        if check is not None:
            codes |= {ErrorCode.FORBIDDEN}
        name = f"{fn.__module__.rpartition('.')[2]}.{fn.__name__}"
        if name in OPERATIONS:
            raise TypeError(f"{name} is declared twice")
        declared = Declared(name, right, codes, fn)
        OPERATIONS[name] = declared

        if CHECKING:

            @wraps(fn)
            async def called(*args, **kwargs):
                if check is not None:
                    check(args[1])
                try:
                    return await fn(*args, **kwargs)
                except AppError as exc:
                    if exc.code not in codes:
                        undeclared.append(f"{name}: {exc.code}")
                        raise UndeclaredError(f"{name} raised {exc.code}, which it does not declare") from exc
                    raise

        elif check is not None:

            @wraps(fn)
            async def called(svc, principal, /, *args, **kwargs):
                check(principal)
                return await fn(svc, principal, *args, **kwargs)

        else:
            called = fn
        called.__declared__ = declared
        return called

    return declare
