"""Revoked principals known to this process, so that their live subscriptions end at once.

A revocation (an API key revoked, a user's access revoked) is learnt here in three ways, whichever
comes first: in the process that committed it, right after the commit (an after-commit hook); in
every other process from the event bus, which carries a message naming the principal; and from the
event log itself, where the revocation is an event numbered before any event committed after it
(resolvers.live reads it before it can deliver anything later). Subscribers look here before each
delivery, and the hooks end idle ones at once (wake their stream, drop them from shared groups,
forget their cached authentication). The periodic re-check (autoscribe.context.live_principal)
stays the safety net for a process that learnt nothing.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

from autoscribe.core.principal import Principal
from autoscribe.core.errors import Unauthenticated
from autoscribe.db.events import CommittedEvent, Revocation

log = logging.getLogger("autoscribe.revocation")

# Principals remembered (the oldest forgotten first); past this many, the periodic re-check alone
# ends the subscriptions of the forgotten ones, as it does anyway within live_auth_check_seconds.
MAX_ENTRIES = 100_000
MESSAGE = "Access has been revoked."


def revoked_error() -> Unauthenticated:
    return Unauthenticated(MESSAGE)


class Revocations:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max = max_entries
        self._keys: OrderedDict[str, None] = OrderedDict()
        # user ID -> the lowest token epoch that still stands
        self._users: OrderedDict[str, int] = OrderedDict()
        # Goes up with every revocation learnt: whoever saw version v has seen all before it.
        self.version = 0
        self._hooks: list[Callable[[Revocation], None]] = []

    def on_revoked(self, hook: Callable[[Revocation], None]) -> None:
        """Call `hook` (synchronously, in the event loop) with each revocation learnt from now on."""
        self._hooks.append(hook)

    def note(self, revocation: Revocation) -> bool:
        """Learn of a revocation (again is harmless); True if it was new here."""
        if revocation.kind == "key":
            if revocation.id in self._keys:
                return False
            self._keys[revocation.id] = None
            table: OrderedDict = self._keys
        elif revocation.kind == "user":
            if self._users.get(revocation.id, -1) >= revocation.epoch:
                return False
            self._users[revocation.id] = revocation.epoch
            self._users.move_to_end(revocation.id)
            table = self._users
        else:
            return False
        while len(table) > self._max:
            table.popitem(last=False)
        self.version += 1
        for hook in self._hooks:
            try:
                hook(revocation)
            except Exception:  # noqa: BLE001 - one hook's failure must not keep the others from running
                log.exception("a revocation hook failed")
        return True

    async def after_commit(self, events: list[CommittedEvent]) -> None:
        """The after-commit hook: revocations committed by this process take effect in it at once."""
        for event in events:
            if event.revocation is not None:
                self.note(event.revocation)

    def revoked(self, principal: Principal) -> bool:
        if principal.api_key_id is not None:
            return principal.api_key_id in self._keys
        user = principal.user
        if user is None:
            return False
        floor = self._users.get(user.id)
        return floor is not None and user.token_epoch < floor

    def check(self, principal: Principal) -> None:
        """UNAUTHENTICATED if the principal's access has been revoked."""
        if self.revoked(principal):
            raise revoked_error()
