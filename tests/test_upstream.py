"""Each private or undocumented detail of Strawberry and graphql-core that the engine relies on
(autoscribe.server.engine.upstream) holds in the installed versions: an upgrade that changes one
fails here, naming the detail and the module that relies on it, before it shows up as a subtle
difference in answers or speed."""

from __future__ import annotations

from pathlib import Path

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation

from autoscribe.server.engine import upstream

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("reliance", upstream.RELIANCES, ids=lambda r: r.name)
def test_the_upstream_detail_holds(reliance):
    found = upstream.problem(reliance)
    assert found is None, upstream.message(reliance, found)


def test_each_reliance_names_modules_that_exist():
    for reliance in upstream.RELIANCES:
        for place in reliance.where.split("; "):
            path = place.split(" (")[0]
            assert (ROOT / path).is_file(), f"{reliance.name}: {path} does not exist"


def _by_name(name):
    return next(r for r in upstream.RELIANCES if r.name == name)


def test_an_operation_that_no_longer_records_its_completion_fails_with_a_clear_message(monkeypatch):
    async def forgetful(self, message):  # completes without setting `completed`
        await self.handler.send_message(message)

    monkeypatch.setattr(Operation, "send_operation_message", forgetful)
    reliance = _by_name("Operation.completed and handler.operations")
    found = upstream.problem(reliance)
    assert found is not None
    text = upstream.message(reliance, found)
    assert text.startswith("strawberry-graphql ")
    assert "changed Operation.completed and handler.operations: autoscribe/server/engine/multicast.py" in text


def test_a_changed_field_loop_fails_the_loop_check(monkeypatch):
    original = StrawberryGraphQLCoreExecutionContext.execute_fields

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        return original(self, parent_type, source_value, path, grouped_field_set, position_context)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_fields", execute_fields)
    loop = _by_name("ExecutionContext.execute_fields field loop")
    assert "digest" in (upstream.problem(loop) or "")
    # Overriding it is itself a change the signature check names.
    assert "overrides execute_fields" in (upstream.problem(_by_name("ExecutionContext.execute_fields signature")) or "")


def test_a_missing_attribute_is_reported_not_raised(monkeypatch):
    import strawberry.asgi

    for cls in strawberry.asgi.GraphQL.__mro__:
        if "graphql_transport_ws_handler_class" in vars(cls):
            monkeypatch.delattr(cls, "graphql_transport_ws_handler_class")
    assert "graphql_transport_ws_handler_class" in (upstream.problem(_by_name("connection_init_wait_timeout")) or "")
