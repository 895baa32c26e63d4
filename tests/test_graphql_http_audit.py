"""graphql-http's audit suite, the GraphQL-over-HTTP spec's own, against `autoscribe serve`: no
error and no warning. The audit sends its API key with every request, as an integrator would:
besides `{ __typename }` (which anyone may ask), the audit introspects (`__type`), which the server
answers only to a caller with a valid token."""

import pytest

from tests.support.graphql_http import audit, audit_suite
from tests.support.live_server import ServeProcess


@pytest.mark.timeout(300)
async def test_the_graphql_over_http_audit_finds_nothing(database_url, clinic, tmp_path):
    folder = audit_suite()
    server = await ServeProcess(database_url, log=tmp_path / "serve.log").start()
    try:
        results = await audit(folder, f"http://{server.host}/graphql", clinic.key)
    finally:
        server.stop()
    assert len(results) > 50, results  # the whole suite ran
    flagged = [r for r in results if r["status"] in ("warn", "error")]
    assert not flagged, flagged
