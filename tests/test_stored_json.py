"""Stored JSON (a study's metadata, its report metadata) reads back as the values that were stored,
whichever JSON reader the database layer uses for them (autoscribe.db.engine.json_loads)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Text, cast, select, update

from autoscribe.db.engine import json_loads
from autoscribe.db.models import Study
from tests.support.studies_helpers import create_study

# Values at the edges of what JSON readers agree on: integers past 64 bits, doubles at both ends
# of their range and in between, negative zero, escapes and text beyond the BMP, deep nesting.
STORED = {
    "big": 2**70, "negative_big": -(2**64) - 1, "u64": 2**64 - 1, "i64": -(2**63),
    "tenth": 0.1, "max": 1.7976931348623157e308, "tiny": 5e-324, "zero": -0.0, "exp": 1e22, "third": 1 / 3,
    "text": "Ünit 5 — ☃ \U0001f600 \"quoted\" \\ \t", "nested": [[[{"a": [1, 2.5, None, True, False]}]]],
}


@pytest.mark.parametrize("text", [
    json.dumps(STORED), "1e400", "-1e400", "123456789012345678901234567890", '"\\ud800"', "[]", "null",
    '{"a": 1, "a": 2}', "-9999999999999999999", "18446744073709551616", "-9223372036854775809", "-9223372036854775808",
    "[18446744073709551615, 1.8446744073709552e19, -9.223372036854775808e18]", "[1.0, 1, -0, 1E2, 12345678901234567.5]",
    '{"mrn": "MRN1234567890123456789"}', '{"a": "x", "n": 123456789012345678901234567890}', '{"a": 1, "b": true}',
])
def test_json_loads_reads_as_json_does(text):
    assert repr(json_loads(text)) == repr(json.loads(text))


async def test_stored_metadata_reads_back_as_stored(api, services, clinic):
    """As json reads the database's own text of it (PostgreSQL's jsonb writes 1e22 as
    10000000000000000000000 and -0.0 as 0, say)."""
    study = await create_study(api, clinic.key, uid="7.1")
    async with services.db.write() as session:
        await session.execute(update(Study).where(Study.id == study["id"]).values(extra_metadata=STORED))
    text = (await services.db.fetch(select(cast(Study.extra_metadata, Text)).where(Study.id == study["id"]))).scalar()
    expected = json.dumps(json.loads(text), sort_keys=True)
    data = await api.ok("query($id: ID!) { study(id: $id) { metadata } }", {"id": study["id"]}, token=clinic.key)
    assert json.dumps(data["study"]["metadata"], sort_keys=True) == expected
    nodes = await api.ok("{ studies { nodes { metadata } } }", token=clinic.key)
    assert json.dumps(nodes["studies"]["nodes"][0]["metadata"], sort_keys=True) == expected
    assert json.loads(expected)["big"] == 2**70
