"""The page at `/` and the schema at /graphql/schema.graphql."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


async def test_the_landing_page_says_what_this_is_and_every_link_works(http, clinic):
    resp = await http.get("/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "AutoScribe" in resp.text and "radiology reporting" in resp.text
    links = re.findall(r'href="([^"]+)"', resp.text)
    assert links == ["/app/", "/graphql", "/graphql/schema.graphql", "/v1/openapi.json", "/healthz", "/readyz"]
    auth = {"Authorization": f"Bearer {clinic.key}"}
    for link in links:
        answer = await http.get(link, headers={"Accept": "text/html", **auth})
        assert answer.status_code == 200, link
    assert "<script" not in resp.text
    assert resp.headers["content-security-policy"].startswith("default-src 'none'")


async def test_the_schema_is_the_served_sdl_for_a_valid_token(http, clinic):
    resp = await http.get("/graphql/schema.graphql", headers={"Authorization": f"Bearer {clinic.key}"})
    assert resp.status_code == 200 and resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.text == (ROOT / "schema.graphql").read_text()
    assert "type Subscription {" in resp.text


async def test_the_schema_needs_a_valid_token_as_introspection_does(http):
    for headers in ({}, {"Authorization": "Bearer ask_not-a-key"}):
        resp = await http.get("/graphql/schema.graphql", headers=headers)
        assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
        assert "needs a valid bearer token" in resp.text and "type Query" not in resp.text
