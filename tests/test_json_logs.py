"""AUTOSCRIBE_LOG_FORMAT=json: what `autoscribe serve` writes is one JSON object per line, and a
request's records carry the request ID its response was given (X-Request-ID)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

from autoscribe.server.logs import REQUEST_ID, JsonFormatter
from tests.support.live_server import ServeProcess, api_at
from tests.support.operator import server_clinic
from tests.support.studies_helpers import create_study


async def test_serve_writes_one_json_object_per_line_with_the_request_id(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    log = tmp_path / "serve.log"
    server = await ServeProcess(url, log=log, log_format="json", env={"AUTOSCRIBE_LOG_LEVEL": "INFO"}).start()
    try:
        _clinic_id, key = await server_clinic(url)
        async with api_at(server.host) as api:
            response = await api.client.post(
                "/graphql", json={"query": "query Mine { me { clinicId } }"}, headers={"Authorization": f"Bearer {key}"})
            assert response.status_code == 200 and not response.json().get("errors")
            refused = await api.raw("mutation Nope { cancelStudy(id: \"stu_" + "c" * 32 + "\") { id } }", token=key)
            assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
            await create_study(api, key, uid="1.2.840.9.1")
    finally:
        server.stop()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line, uvicorn's and the start-up words too
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record), record
        assert datetime.fromisoformat(record["time"].replace("Z", "+00:00")).tzinfo is not None
    loggers = {r["logger"] for r in records}
    assert {"autoscribe.cli", "uvicorn.error", "autoscribe.access"} <= loggers, loggers
    assert any(r["message"].startswith("autoscribe: database SQLite") for r in records)

    [access] = [r for r in records if r["request_id"] == response.headers["x-request-id"]]
    assert access["logger"] == "autoscribe.access" and access["level"] == "INFO"
    assert access["operation"] == "Mine" and access["status"] == 200 and access["outcome"] == "ok"
    assert access["method"] == "POST" and access["path"] == "/graphql" and isinstance(access["duration_ms"], float)
    assert key not in log.read_text()
    [failed] = [r for r in records if r["request_id"] == refused.headers["x-request-id"]]
    assert failed["operation"] == "Nope" and failed["outcome"] == "error:NOT_FOUND"


def test_a_record_written_while_serving_a_request_carries_its_id():
    """Any module's record (not only the access log's) is tagged with the request being served."""
    record = logging.LogRecord("autoscribe.bus", logging.WARNING, __file__, 1, "publish failed (%s)", ("timeout",),
                               None)
    token = REQUEST_ID.set("0123456789abcdef")
    try:
        line = JsonFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "0123456789abcdef" and entry["message"] == "publish failed (timeout)"
    assert entry["level"] == "WARNING" and entry["logger"] == "autoscribe.bus"
    assert json.loads(JsonFormatter().format(record))["request_id"] is None  # outside any request
