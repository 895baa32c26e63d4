"""An exact cache of query responses, keyed by the clinic's data version.

Every commit that changes a clinic's rows bumps its data version (db.versions), so a response
computed at version N is the right answer to the same query, variables and caller for as long as
the clinic stays at N. An unchanged worklist is then served without executing the query at all;
the first request after any change executes as usual. Each process keeps its own cache, and
the version is read from the database on every request, so several processes never serve each
other's stale answers.

Not cached: anything but queries, answers with errors (a request refused for its cost among them),
documents that select a field whose value depends on the time rather than on the data (presigned
URLs, expiry flags), and answers bigger than a quarter of the cache's byte bound. The cache holds
at most max_entries answers and max_bytes of them, the least recently used leaving first.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from functools import lru_cache

from graphql import DocumentNode, FieldNode, OperationDefinitionNode, OperationType, parse, visit
from graphql.language import Visitor

from autoscribe.core.principal import Principal
from autoscribe.db.engine import Database
from autoscribe.db.versions import data_version

# Fields whose value changes with the clock, not with the data (liveCursor carries the time it was read).
TIME_DEPENDENT = frozenset({"pdfUrl", "acceptUrl", "isExpired", "liveCursor"})


class _FieldNames(Visitor):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def enter_field(self, node: FieldNode, *_args):
        self.names.add(node.name.value)


@lru_cache(maxsize=512)
def _cacheable_document(query: str, operation_name: str | None) -> bool:
    """A query operation that selects no time-dependent field (fragments included)."""
    try:
        document: DocumentNode = parse(query)
    except Exception:  # noqa: BLE001 - the executor reports syntax errors
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or chosen[0].operation != OperationType.QUERY:
        return False
    names = _FieldNames()
    visit(document, names)
    return not names.names & TIME_DEPENDENT


def _caller(principal: Principal) -> str:
    """Who the answer was computed for: their rights are part of what it shows."""
    if principal.api_key_id:
        return f"key:{principal.api_key_id}"
    user = principal.user
    return f"user:{user.id}:{user.token_epoch}:{int(principal.read_only)}:{principal.study_id or ''}"


class Encoded(str):
    """An answer's `data`, kept as its JSON text: a hit costs no encoding, and the cache holds
    strings, which the garbage collector never scans (not thousands of dicts per answer)."""

    @property
    def size(self) -> int:
        """Its length in bytes of UTF-8 (characters, when it is ASCII)."""
        return len(self) if self.isascii() else len(self.encode())


class ResponseCache:
    def __init__(self, db: Database, max_entries: int, max_bytes: int):
        self._db = db
        self._max = max_entries if max_bytes > 0 else 0
        self._max_bytes = max_bytes
        self._entries: OrderedDict[str, Encoded] = OrderedDict()
        # The answers' size in bytes of UTF-8.
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self._max > 0

    async def key(self, principal: Principal, query: str, variables: dict | None, operation_name: str | None) -> str | None:
        """The entry's key for this request, or None when its answer must not be cached."""
        if not self.enabled or not query or not _cacheable_document(query, operation_name):
            return None
        version = (await self._db.fetch(data_version(principal.clinic_id))).scalar()
        if version is None:
            return None
        raw = json.dumps(
            [principal.clinic_id, version, _caller(principal), operation_name, query, variables or {}],
            sort_keys=True, separators=(",", ":"), default=str,
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> Encoded | None:
        data = self._entries.get(key)
        if data is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return data

    def put(self, key: str, data: Encoded) -> None:
        if data.size > self._max_bytes // 4:
            return  # one answer would push out most others
        if (old := self._entries.pop(key, None)) is not None:
            self.bytes -= old.size
        self._entries[key] = data
        self.bytes += data.size
        while len(self._entries) > self._max or self.bytes > self._max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
