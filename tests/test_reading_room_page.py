"""The reading room's shell at /app and its files: served from the package, under a
Content-Security-Policy that allows the server's own origin alone."""

from __future__ import annotations

import re

from autoscribe.server.graphiql_page import STATIC_DIR

APP_DIR = STATIC_DIR / "app"


async def test_the_shell_is_served_at_app_with_a_policy_of_this_origin_only(http):
    moved = await http.get("/app")
    assert (moved.status_code, moved.headers["location"]) == (308, "/app/")
    resp = await http.get("/app/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in resp.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and "unsafe" not in resp.headers["content-security-policy"]
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"
    assert (policy["frame-ancestors"], policy["base-uri"], policy["object-src"]) == ("'none'", "'none'", "'none'")
    assert resp.headers["x-frame-options"] == "DENY" and resp.headers["referrer-policy"] == "no-referrer"
    # No inline script or style: every script and sheet is a file of this origin.
    assert not re.search(r"<script(?![^>]*\ssrc=)", resp.text) and "<style" not in resp.text
    assert not re.search(r"\s(style|on[a-z]+)=", resp.text)


async def test_a_host_header_that_is_not_a_host_gets_no_websocket_origin(http):
    resp = await http.get("/app/", headers={"Host": "evil.example; script-src *"})
    assert resp.headers["content-security-policy"].count("connect-src 'self';") == 1
    assert "evil" not in resp.headers["content-security-policy"]


async def test_every_file_the_shell_and_its_modules_name_is_served(http):
    shell = (await http.get("/app/")).text
    names = re.findall(r'(?:src|href)="(/static/[^"]+)"', shell)
    assert "/static/app/main.js" in names and "/static/graphiql/graphql-ws.min.js" in names
    modules = sorted(p.name for p in APP_DIR.glob("*.js"))
    for name in modules:
        source = (APP_DIR / name).read_text()
        for imported in re.findall(r'from "\./([a-z]+\.js)"', source):
            assert (APP_DIR / imported).exists(), f"{name} imports {imported}"
        # Nothing from elsewhere: no absolute URL, no storage but sessionStorage, no cookies.
        assert "http://" not in source and "https://" not in source, name
        assert "localStorage" not in source and "indexedDB" not in source and "document.cookie" not in source, name
    for path in names + [f"/static/app/{m}" for m in modules]:
        resp = await http.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith("text/javascript" if path.endswith(".js") else "text/css"), path
