"""The HTTP surface: health checks, CORS for browser frontends, request IDs, GET queries, GraphiQL."""

import json


async def test_healthz_and_readyz(http):
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_cors_preflight_allows_only_configured_origins(http):
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type"}
    ok = await http.options("/graphql", headers=headers)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    bad = await http.options("/graphql", headers={**headers, "Origin": "https://evil.example.net"})
    assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers


async def test_cors_on_actual_request(http, clinic):
    resp = await http.post("/graphql", json={"query": "{ me { clinicId } }"},
                           headers={"Origin": "https://app.example.com", "Authorization": f"Bearer {clinic.key}"})
    assert resp.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "x-request-id" in resp.headers["access-control-expose-headers"].lower()


async def test_every_response_has_a_request_id(http):
    a, b = await http.get("/healthz"), await http.get("/healthz")
    assert len(a.headers["x-request-id"]) == 16 and a.headers["x-request-id"] != b.headers["x-request-id"]


async def test_get_query_works_and_get_mutation_does_not(http, clinic):
    auth = {"Authorization": f"Bearer {clinic.key}"}
    resp = await http.get("/graphql", params={"query": "{ me { clinicId } }"}, headers=auth)
    assert resp.json() == {"data": {"me": {"clinicId": clinic.id}}}
    mutation = 'mutation { cancelStudy(studyInstanceUid: "1.2") { id } }'
    resp = await http.get("/graphql", params={"query": mutation}, headers=auth)
    assert resp.status_code == 405 and resp.headers["allow"] == "POST"


async def test_requests_refused_before_executing_get_graphql_errors_with_a_code(http, clinic):
    auth = {"Authorization": f"Bearer {clinic.key}"}
    # httpx accepts */*: application/json, where a well-formed request (an unknown operationName
    # among them) is answered 200; one that is not well-formed, 400; a mutation over GET, 405.
    unknown_operation = await http.post(
        "/graphql", json={"query": "query A { me { clinicId } }", "operationName": "B"}, headers=auth)
    refused = [
        (await http.post("/graphql", content=b'{"query": ', headers={**auth, "Content-Type": "application/json"}),
         400),
        (await http.post("/graphql", json={"variables": {}}, headers=auth), 400),
        (await http.get("/graphql", params={"query": 'mutation { cancelStudy(studyInstanceUid: "1.2") { id } }'},
                        headers=auth), 405),
    ]
    for resp, status in [(unknown_operation, 200), *refused]:
        assert resp.status_code == status and resp.headers["content-type"] == "application/json"
        assert "data" not in resp.json(), resp.json()
        [error] = resp.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["message"]
    for resp, _status in refused:
        assert resp.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}
    [error] = unknown_operation.json()["errors"]
    assert error == {"message": 'Unknown operation named "B".',
                     "extensions": {"code": "BAD_USER_INPUT", "field": "operationName"}}


async def test_graphiql_is_served_to_browsers(http):
    resp = await http.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status_code == 200 and "graphiql" in resp.text.lower()


async def test_access_log_has_one_line_per_request(http, clinic, caplog):
    import logging
    with caplog.at_level(logging.INFO, logger="autoscribe.access"):
        resp = await http.post("/graphql", json={"query": "query Mine { me { clinicId } }", "operationName": "Mine"},
                               headers={"Authorization": f"Bearer {clinic.key}"})
    lines = [r.getMessage() for r in caplog.records if r.name == "autoscribe.access"]
    assert len(lines) == 1
    line = lines[0]
    assert resp.headers["x-request-id"] in line and "op=Mine" in line and "status=200" in line
    assert "outcome=ok" in line and "duration_ms=" in line
    assert json.dumps(clinic.key) not in line and clinic.key not in line


async def test_a_subscription_over_http_is_bad_input_not_an_internal_error(http, clinic):
    auth = {"Authorization": f"Bearer {clinic.key}"}
    subscription = "subscription { worklist { cursor } }"
    for resp in (await http.post("/graphql", json={"query": subscription}, headers=auth),
                 await http.get("/graphql", params={"query": subscription}, headers=auth)):
        assert resp.status_code == 200
        err = resp.json()["errors"][0]
        assert err["extensions"] == {"code": "BAD_USER_INPUT"} and "WebSocket" in err["message"]


async def test_cors_origins_from_the_environment_comma_separated_or_as_a_json_list(monkeypatch, database_url):
    import httpx

    from autoscribe.server.app import create_app
    from autoscribe.core.settings import Settings

    for value, origins in (("https://app.example", ["https://app.example"]),
                           ("https://a.example, https://b.example", ["https://a.example", "https://b.example"]),
                           ('["https://a.example","https://b.example"]', ["https://a.example", "https://b.example"])):
        monkeypatch.setenv("AUTOSCRIBE_CORS_ORIGINS", value)
        assert Settings().cors_origins == origins

    monkeypatch.setenv("AUTOSCRIBE_CORS_ORIGINS", "https://app.example,https://b.example")
    monkeypatch.setenv("AUTOSCRIBE_DATABASE_URL", database_url)
    monkeypatch.setenv("AUTOSCRIBE_SECRET_KEY", "cors-test-secret")
    app = create_app(Settings())
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for origin in ("https://app.example", "https://b.example"):
            ok = await client.options("/graphql", headers={**preflight, "Origin": origin})
            assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == origin
            resp = await client.get("/healthz", headers={"Origin": origin})
            assert resp.headers["access-control-allow-origin"] == origin
        bad = await client.options("/graphql", headers={**preflight, "Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in bad.headers
