"""GraphiQL's page and files as HTTP serves them: the page loads scripts and styles from this
origin only, under a Content-Security-Policy of 'self' with no inline script; each file it names
is served (gzipped when asked, revalidated by ETag); the vendored files are those the README
names, with their licences; and the package data takes them into a wheel."""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

from autoscribe.server.graphiql_page import SCROLL_LOCK_STYLE, STATIC_DIR

ROOT = Path(__file__).resolve().parents[1]
VENDORED = STATIC_DIR / "graphiql"


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.inline_scripts: list[str] = []
        self.styles: list[str] = []
        self.inline_styles: int = 0
        self.style_attributes: int = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = "src" not in attrs
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.styles.append(attrs["href"])
        elif tag == "style":
            self.inline_styles += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts.append(data)


async def _graphiql(http):
    resp = await http.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    tags = _Tags()
    tags.feed(resp.text)
    return resp, tags


async def test_graphiql_loads_only_files_of_this_origin_with_no_inline_script(http):
    resp, tags = await _graphiql(http)
    sources = [s["src"] for s in tags.scripts]
    assert sources == [
        "/static/graphiql/react.production.min.js", "/static/graphiql/react-dom.production.min.js",
        "/static/graphiql/graphiql.min.js", "/static/graphiql/plugin-explorer.umd.js",
        "/static/graphiql/graphql-ws.min.js", "/static/autoscribe-graphiql.js",
    ]
    assert tags.styles == ["/static/graphiql/graphiql.min.css", "/static/graphiql/plugin-explorer.css",
                           "/static/autoscribe-graphiql.css"]
    assert tags.inline_scripts == [] and tags.inline_styles == 0 and tags.style_attributes == 0
    assert "unpkg" not in resp.text and "cdn" not in resp.text.lower() and "https://" not in resp.text
    for path in sources + tags.styles:
        asset = await http.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["content-type"].startswith("text/javascript" if path.endswith(".js") else "text/css")
        assert asset.headers["x-content-type-options"] == "nosniff"


async def test_graphiql_page_has_a_content_security_policy_of_self(http):
    resp, _ = await _graphiql(http)
    policy = dict(
        (directive.split()[0], directive.split()[1:]) for directive in resp.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == ["'self'"]
    # One inline style, by its hash: the scroll lock of GraphiQL's dialogs (the browser test opens one).
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'", SCROLL_LOCK_STYLE]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == policy["font-src"] == ["'self'", "data:"]  # graphiql.min.css embeds its fonts
    assert policy["object-src"] == policy["base-uri"] == policy["form-action"] == policy["frame-ancestors"] == ["'none'"]
    assert resp.headers["x-frame-options"] == "DENY" and resp.headers["referrer-policy"] == "no-referrer"
    # Nothing beyond 'self', data: and that hash anywhere in the policy: no host, no scheme, no 'unsafe-…'.
    assert {source for sources in policy.values() for source in sources} == {"'self'", "data:", "'none'",
                                                                           SCROLL_LOCK_STYLE}


async def test_static_files_are_gzipped_when_asked_and_revalidated_by_etag(http):
    plain = await http.get("/static/graphiql/graphiql.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.content == (VENDORED / "graphiql.min.js").read_bytes()
    zipped = await http.get("/static/graphiql/graphiql.min.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content  # httpx decodes
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert gzip.decompress(gzip.compress(plain.content)) == plain.content
    assert plain.headers["cache-control"] == "no-cache" and "Accept-Encoding" in plain.headers["vary"]
    again = await http.get("/static/graphiql/graphiql.min.js", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_only_the_packaged_files_are_served(http):
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/graphiql/../../app.py", "/static/nothing.js",
                 "/static/", "/static/graphiql"):
        resp = await http.get(path)
        assert resp.status_code == 404, path
        assert b"create_app" not in resp.content


async def test_vendored_files_are_those_the_readme_names_with_their_licences(http):
    readme = (VENDORED / "README.md").read_text()
    listed = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.MULTILINE))
    shipped = {p.name for p in VENDORED.iterdir() if p.suffix in (".js", ".css")}
    assert set(listed) == shipped
    for name, digest in listed.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, f"{name} differs from the README"
        assert f"`{name}`" in readme
    for version in ("react@18.3.1", "react-dom@18.3.1", "graphiql@3.8.3", "@graphiql/plugin-explorer@3.2.5",
                    "graphql-ws@6.4.2"):
        assert f"`{version}`" in readme
    licences = re.findall(r"`(LICENSE-[a-z-]+\.txt)`", readme)
    assert licences and {p.name for p in VENDORED.glob("LICENSE-*")} == set(licences)
    for name in licences:
        assert (await http.get(f"/static/graphiql/{name}")).text.startswith("MIT License")
    total = sum((VENDORED / name).stat().st_size for name in shipped)
    assert total < 5_000_000, f"the vendored files grew to {total} bytes"


def test_the_package_data_takes_every_static_file_into_the_wheel():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    missing = [str(p.relative_to(STATIC_DIR)) for p in STATIC_DIR.rglob("*")
               if p.is_file() and not any(fnmatch.fnmatch(p.name, pattern) for pattern in patterns)]
    assert missing == []
