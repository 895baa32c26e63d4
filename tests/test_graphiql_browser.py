"""GraphiQL in headless Chromium with the network cut off: every request to another origin is
aborted and recorded (tests.support.browser.Offline), and none may be attempted. The page loads
from the package's own files, takes a token, runs the worklist query, and shows a live
subscription event after a mutation made through the API. The token is the bearer of each HTTP
request and is in connection_init's payload; it is kept in sessionStorage only, until "Forget"."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from tests.support.browser import ARTIFACTS, offline_page
from tests.support.live_helpers import cursor_at, update
from tests.support.studies_helpers import create_study

WORKLIST_QUERY = """query Worklist {
  studies(orderBy: PRIORITY, first: 10) {
    totalCount
    nodes { id studyInstanceUid studyDescription severity }
  }
}"""


def subscription(after: str) -> str:
    return f"""subscription Live {{
  worklist(after: "{after}") {{
    cursor
    type
    study {{ studyInstanceUid studyDescription }}
  }}
}}"""


async def type_into_editor(page, text: str) -> None:
    """Replace the query editor's text, as a paste would (no auto-closed brackets, no completion)."""
    await page.locator(".graphiql-query-editor .CodeMirror").click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)
    # GraphiQL reads the operation (its name, and whether it is a subscription) from the editor a
    # moment after the last edit (debounced): run before then and it runs the previous text.
    await page.wait_for_timeout(1000)


@pytest.fixture
async def page(chromium, site_url):
    async with offline_page(chromium, site_url, width=1400) as page:
        yield _recording(page)


def _recording(page):
    page.sent_headers = []  # of each POST /graphql
    page.frames_sent = []  # of each WebSocket
    page.on("request", lambda r: page.sent_headers.append(r.headers) if r.method == "POST" else None)
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: page.frames_sent.append(frame)))
    return page


async def use_token(page, token: str) -> None:
    await page.fill("#as-token", token)
    await page.click("text=Use token")
    await expect(page.locator("#as-token-state")).to_contain_text("Token in use")


async def storage(page, kind: str) -> str:
    return await page.evaluate(f"JSON.stringify(Object.assign({{}}, window.{kind}))")


async def test_graphiql_runs_a_query_and_shows_a_live_event_with_no_request_elsewhere(page, site_url, api, clinic):
    study = await create_study(api, clinic.key, uid="1.2.840.99.1", studyDescription="CT Head")
    offline = page.offline

    await page.goto(f"{site_url}/graphql")
    await expect(page.locator(".graphiql-container")).to_be_visible()
    await use_token(page, clinic.key)

    await type_into_editor(page, WORKLIST_QUERY)
    await page.click(".graphiql-execute-button")
    response = page.locator(".graphiql-response")
    await expect(response).to_contain_text('"studyInstanceUid": "1.2.840.99.1"')
    await expect(response).to_contain_text('"totalCount": 1')

    # From before the clinic's first event: the study's creation is replayed first, which shows
    # that the subscription is open and reading; the change made after that arrives live.
    await type_into_editor(page, subscription(cursor_at(clinic.id, 0)))
    await page.click(".graphiql-execute-button")
    await expect(response).to_contain_text('"type": "ADDED"')
    await update(api, clinic.key, study["id"], studyDescription="CT Head with contrast")
    await expect(response).to_contain_text('"studyDescription": "CT Head with contrast"')
    await expect(response).to_contain_text('"type": "UPDATED"')

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / "graphiql-live-subscription.png")
    assert offline.elsewhere == [], f"requests to other origins were attempted: {offline.elsewhere}"
    assert offline.sockets and offline.foreign_sockets() == [], offline.sockets
    assert offline.console_errors == [], offline.console_errors

    # The token went as the bearer of every request (the schema's introspection, the query) and
    # in connection_init; it is in this tab's sessionStorage and nowhere in localStorage.
    assert len(page.sent_headers) >= 2
    assert all(h.get("authorization") == f"Bearer {clinic.key}" for h in page.sent_headers)
    assert all(h["accept"] == "application/graphql-response+json, application/json;q=0.9" for h in page.sent_headers)
    frames = [json.loads(f) for f in page.frames_sent]
    assert frames[0] == {"type": "connection_init", "payload": {"authorization": f"Bearer {clinic.key}"}}
    assert clinic.key in await storage(page, "sessionStorage")
    assert clinic.key not in await storage(page, "localStorage")


async def test_forget_drops_the_token_and_a_bad_one_is_told_on_the_websocket(page, site_url, clinic):
    await page.goto(f"{site_url}/graphql")
    await use_token(page, clinic.key)
    await page.reload()  # kept for the tab
    await expect(page.locator("#as-token-state")).to_contain_text("Token in use")
    await page.click("text=Forget")
    await expect(page.locator("#as-token-state")).to_contain_text("No token")
    assert clinic.key not in await storage(page, "sessionStorage")

    await use_token(page, "ask_not-a-key")
    await type_into_editor(page, subscription(cursor_at(clinic.id, 0)))
    await page.click(".graphiql-execute-button")
    await expect(page.locator(".graphiql-response")).to_contain_text("The WebSocket was closed: 4403")
    assert page.offline.elsewhere == []
    # GraphiQL's introspection with the refused token is answered 401 (GraphQL over HTTP), which
    # Chromium logs as a failed load; nothing else may be logged.
    assert all("status of 401" in e for e in page.offline.console_errors), page.offline.console_errors


async def test_an_answer_in_the_graphql_over_http_media_type_is_shown_whatever_its_status(page, site_url, clinic):
    """As GraphQL over HTTP answers a request error: 4xx, application/graphql-response+json."""
    async def as_graphql_response(route):
        if route.request.method == "POST" and "Broken" in (route.request.post_data or ""):
            answer = await route.fetch()
            await route.fulfill(response=answer, status=400,
                                headers={**answer.headers, "content-type": "application/graphql-response+json"})
        else:
            await route.fallback()

    await page.route("**/graphql", as_graphql_response)
    await page.goto(f"{site_url}/graphql")
    await use_token(page, clinic.key)
    await type_into_editor(page, "query Broken { studies(first: 0) { totalCount } }")
    await page.click(".graphiql-execute-button")
    response = page.locator(".graphiql-response")
    await expect(response).to_contain_text('"code": "BAD_USER_INPUT"')
    await expect(response).to_contain_text('"field": "first"')


async def test_graphiql_dialogs_and_panels_open_under_the_content_security_policy(page, site_url, clinic):
    await page.goto(f"{site_url}/graphql")
    await use_token(page, clinic.key)
    for dialog, shows in (("Open settings dialog", "Theme"), ("Open short keys dialog", "Prettify")):
        await page.click(f"[aria-label='{dialog}']")
        await expect(page.get_by_role("dialog")).to_contain_text(shows)
        await page.keyboard.press("Escape")
        await expect(page.get_by_role("dialog")).to_have_count(0)
    await page.click("[aria-label='Show Documentation Explorer']")
    await expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Query")  # the schema, with the token
    await page.click("[aria-label='Show GraphiQL Explorer']")
    await expect(page.locator(".graphiql-explorer-root, .docExplorerWrap").first).to_be_visible()
    assert page.offline.console_errors == [], page.offline.console_errors
    assert page.offline.elsewhere == []
