"""The short way for a document answered by its plan before: over HTTP POST, the same text and
operation name go straight to graphql-core's execute, past Strawberry's view and schema extensions.

What those do on every request depends on the document's text alone, once it has been admitted:
the token limit and the parser cache (the same text parses to the same document), the validation
(the same document and rules; an anonymous caller's extra rule, NoIntrospection, is checked at
once when the document is learnt, so it holds for anyone). What depends on the request is done
again, each time, exactly as the standard way does it: the variables' text (engine.input_text)
and the query cost for these variables (engine.cost) are checked first, and a request either
refuses goes the standard way, whole, to be refused there; the response cache (engine.asgi), the
variables' coercion, the execution by the engine's executor (engine.execution: the plan, or the
standard executor for what the plan cannot do), and what every result goes through afterwards
(engine.schema._finish: codes, masking, the access log's outcome; engine.asgi: media type and status).

A document is learnt after the standard way answered it by its plan with no error (a request of
anyone's); at most MAX_DOCUMENTS are kept, the least recently used leaving first.
"""

from __future__ import annotations

from collections import OrderedDict

from autoscribe.server.engine.admission import Admitted, NoIntrospection, validated
from autoscribe.server.engine.cost import query_cost

MAX_DOCUMENTS = 256


class KnownDocuments:
    def __init__(self, schema, max_cost: int, maxsize: int = MAX_DOCUMENTS):
        self._schema = schema  # graphql-core's
        self._max_cost = max_cost
        self._max = maxsize
        self._entries: OrderedDict[tuple[str, str | None], Admitted] = OrderedDict()
        # Requests admitted the short way.
        self.admitted = 0

    def __len__(self) -> int:
        return len(self._entries)

    def learn(self, query: str, operation_name: str | None, admitted: Admitted) -> None:
        """Keep the document for the short way, if it validates for an anonymous caller too."""
        key = (query, operation_name)
        if key in self._entries:
            return
        if validated(self._schema, admitted.document, admitted.rules) or \
                validated(self._schema, admitted.document, (*admitted.rules, NoIntrospection)):
            return
        self._entries[key] = admitted
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def admit(self, query, operation_name, variables) -> Admitted | None:
        """The known document of this request, if its variables keep within the query cost; None
        for any other (the standard way answers it)."""
        if not isinstance(query, str) or not isinstance(operation_name, (str, type(None))):
            return None
        admitted = self._entries.get((query, operation_name))
        if admitted is None:
            return None
        try:
            cost = query_cost(self._schema, admitted.document, admitted.operation, variables)
        except Exception:  # noqa: BLE001 - the standard way reports it
            return None
        if cost > self._max_cost:
            return None
        self._entries.move_to_end((query, operation_name))
        self.admitted += 1
        return admitted
