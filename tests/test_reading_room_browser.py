"""The reading room (/app) in headless Chromium, two radiologists at once: one dictates from a
reroute link, the other watches the worklist change live; reconnecting after a dropped WebSocket,
a read-only link, addenda, and a conflict explained in words. No request may leave for another
origin, and nothing may be logged to the console."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import expect

from tests.support.live_helpers import cancel, update
from tests.support.reading_room import (
    SocketSwitch,
    backdate,
    assert_offline_clean,
    document_kept,
    mark_document,
    open_link,
    person,
    row,
    screenshot,
    sign_in,
)
from tests.support.reports_helpers import REPORT_BY_ID, new_study, radiologist, sign, signed_report, start, study_state
from tests.support.reroute_helpers import dictation_link, viewer_link

DICTATED = "FINDINGS: A 9 mm nodule in the right upper lobe.\nIMPRESSION: Follow-up CT in 3 months."


async def test_a_dictation_from_a_reroute_link_is_seen_live_on_another_radiologist_s_worklist(
        chromium, site_url, api, http, services, clinic):
    ada, _ = await radiologist(services, clinic, first_name="Ada", last_name="Lovelace")
    grace, grace_token = await radiologist(services, clinic, first_name="Grace", last_name="Hopper")
    study = await new_study(api, clinic, severity="STAT",
                            reportMetadata={"patientName": "Doe^Jane", "procedure": "CT Chest"},
                            clinicalHistory="Smoker, 30 pack-years.", technologistNotes=["Patient moved once."])

    async with person(chromium, site_url) as watcher, person(chromium, site_url) as dictator:
        # Grace keeps the worklist open the whole time.
        await sign_in(watcher, site_url, grace_token)
        await mark_document(watcher)
        grace_row = row(watcher, study["id"])
        await expect(grace_row).to_contain_text("Unassigned")
        await expect(grace_row).to_have_class("stat")

        link = await dictation_link(api, clinic.key, study["id"], ada.id)
        await expect(grace_row.locator(".status")).to_have_text("Assigned")
        await expect(grace_row.locator(".assignee")).to_have_text("Ada Lovelace")

        # Ada opens the link: the study, in the app, with the link's session.
        await open_link(dictator, site_url, link)
        await expect(dictator).to_have_url(f"{site_url}/app/#/study/{study['id']}")  # the token left the URL
        await expect(dictator.locator("#study-title")).to_contain_text("Doe^Jane")
        await expect(dictator.get_by_text("Smoker, 30 pack-years.")).to_be_visible()
        await expect(dictator.get_by_text("Patient moved once.")).to_be_visible()
        await dictator.get_by_role("button", name="Start the report").click()
        await expect(grace_row.locator(".status")).to_have_text("In progress")

        editor = dictator.get_by_label("Report text")
        await editor.fill(DICTATED)
        await expect(dictator.locator(".save-state")).to_have_text("Saved")
        state = await study_state(api, clinic, study["id"])
        report_id = state["reports"][0]["id"]
        stored = (await api.ok(REPORT_BY_ID, {"id": report_id}, token=clinic.key))["report"]
        assert stored["plainText"] == DICTATED and stored["status"] == "IN_PROGRESS"
        await screenshot(dictator, "reading-room-dictation.png")

        # A reload keeps the session (sessionStorage) and the draft (the server's).
        await dictator.reload()
        await expect(dictator.get_by_label("Report text")).to_have_value(DICTATED)

        # Sign as critical, behind a confirmation.
        await dictator.get_by_label("Critical result").check()
        await dictator.get_by_role("button", name="Sign the report").click()
        dialog = dictator.get_by_role("dialog")
        await expect(dialog).to_contain_text("CRITICAL")
        await dialog.get_by_role("button", name="Sign as critical").click()
        await expect(dictator.locator("#study-status")).to_have_text("Completed")
        await expect(grace_row.locator(".status")).to_have_text("Completed")

        signed = (await api.ok(REPORT_BY_ID, {"id": report_id}, token=clinic.key))["report"]
        assert (signed["status"], signed["isCritical"], signed["plainText"]) == ("COMPLETED", True, DICTATED)
        pdf_link = dictator.get_by_role("link", name="Open the PDF of the report")
        href = await pdf_link.get_attribute("href")
        assert httpx.URL(href).path == httpx.URL(signed["pdfUrl"]).path == f"/files/reports/{report_id}.pdf"
        pdf = await http.get(httpx.URL(href).raw_path.decode())
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"

        assert await document_kept(watcher), "the worklist was reloaded"
        await screenshot(watcher, "reading-room-worklist.png")
        assert_offline_clean(watcher)
        assert_offline_clean(dictator)
        stored_session = await dictator.evaluate("JSON.stringify(Object.assign({}, window.sessionStorage))")
        assert "ust_" in stored_session
        assert await dictator.evaluate("window.localStorage.length") == 0
        assert await dictator.evaluate("document.cookie") == ""


async def test_a_dropped_websocket_shows_reconnecting_and_resumes_by_cursor_missing_no_change(
        chromium, site_url, api, services, clinic):
    _, token = await radiologist(services, clinic)
    first = await new_study(api, clinic, reportMetadata={"patientName": "First^Patient"})
    second = await new_study(api, clinic, reportMetadata={"patientName": "Second^Patient"})
    async with person(chromium, site_url) as page:
        switch = SocketSwitch()
        await switch.attach(page)
        await sign_in(page, site_url, token)
        await mark_document(page)
        await expect(row(page, second["id"])).to_be_visible()
        # One live event first: from then on the worklist holds a cursor to resume from.
        await update(api, clinic.key, first["id"], modality="MR")
        await expect(row(page, first["id"]).locator(".procedure")).to_have_text("MR · CT Chest without contrast")
        [last_seen] = switch.event_cursors("worklist")

        await switch.cut()
        await expect(page.locator("#connection")).to_have_text("Reconnecting…")
        # Meanwhile: a study added, one cancelled (it leaves the list), one started.
        third = await new_study(api, clinic, severity="STAT", reportMetadata={"patientName": "Third^Patient"})
        await cancel(api, clinic.key, second["id"])
        _, b_token = await radiologist(services, clinic, first_name="Grace", last_name="Hopper")
        await start(api, b_token, first["id"])
        await expect(page.locator("#connection")).to_have_text("Reconnecting…")
        await expect(row(page, third["id"])).to_have_count(0)

        switch.restore()
        await expect(page.locator("#connection")).to_have_text("Live", timeout=20000)
        await expect(row(page, third["id"])).to_be_visible()
        await expect(row(page, third["id"])).to_have_class("stat")
        await expect(row(page, second["id"])).to_have_count(0)
        await expect(row(page, first["id"]).locator(".status")).to_have_text("In progress")
        await expect(row(page, first["id"]).locator(".assignee")).to_have_text("Grace Hopper")
        # STAT first: the new study heads the list.
        await expect(page.locator("#worklist tbody tr").first).to_have_attribute("data-study-id", third["id"])

        # It began after the live cursor it read before the list (no gap between the two), resumed
        # from the last cursor it had got, not from now, and the page was never reloaded.
        resumed = switch.subscriptions("worklist")
        assert resumed[0]["after"] is not None and resumed[-1]["after"] == last_seen, resumed
        assert await document_kept(page)
        assert page.offline.elsewhere == [] and page.offline.console_errors == [], page.offline.console_errors


async def test_a_viewer_only_link_shows_the_study_and_reports_read_only(chromium, site_url, api, services, clinic):
    study, signed, _, _ = await signed_report(api, services, clinic, text="IMPRESSION: No acute finding.")
    viewer, _ = await radiologist(services, clinic, first_name="Vera", last_name="Viewer")
    link = await viewer_link(api, clinic.key, study["id"], viewer.id)
    async with person(chromium, site_url) as page:
        await open_link(page, site_url, link)
        await expect(page).to_have_url(f"{site_url}/app/#/study/{study['id']}")
        await expect(page.locator("#read-only")).to_contain_text("read-only")
        await expect(page.get_by_text("IMPRESSION: No acute finding.")).to_be_visible()
        await expect(page.locator("#who")).to_contain_text("Vera Viewer")
        # Nothing to dictate, sign or amend with.
        await expect(page.locator("textarea")).to_have_count(0)
        await expect(page.get_by_role("button", name="Open an addendum")).to_have_count(0)
        await expect(page.get_by_role("button", name="Start the report")).to_have_count(0)
        await expect(page.locator("main button")).to_have_count(0)
        await page.reload()  # the session kept for the tab, still read-only
        await expect(page.locator("#read-only")).to_be_visible()
        assert_offline_clean(page)
    assert (await study_state(api, clinic, study["id"]))["reports"] == [
        {"id": signed["id"], "isAddendum": False, "status": "COMPLETED"}]


async def test_an_addendum_is_opened_and_cancelled_then_opened_and_signed(chromium, site_url, api, services, clinic):
    ada, ada_token = await radiologist(services, clinic, first_name="Ada", last_name="Lovelace")
    study = await new_study(api, clinic)
    report = await start(api, ada_token, study["id"])
    await sign(api, ada_token, report["id"], text="IMPRESSION: Normal chest.")
    async with person(chromium, site_url) as page:
        await sign_in(page, site_url, ada_token)
        await row(page, study["id"]).get_by_role("link").click()
        await expect(page.locator("#study-status")).to_have_text("Completed")

        await page.get_by_role("button", name="Open an addendum").click()
        await expect(page.locator("#study-status")).to_have_text("Addendum open")
        await page.get_by_label("Addendum 1 text").fill("Draft to be dropped.")
        await expect(page.locator(".save-state")).to_have_text("Saved")
        await page.get_by_role("button", name="Cancel the addendum").click()
        await page.get_by_role("dialog").get_by_role("button", name="Cancel the addendum").click()
        await expect(page.locator("#study-status")).to_have_text("Completed")
        state = await study_state(api, clinic, study["id"])
        assert (state["studyReportStatus"], len(state["reports"])) == ("COMPLETED", 1)

        await page.get_by_role("button", name="Open an addendum").click()
        await page.get_by_label("Addendum 1 text").fill("ADDENDUM: Rib fracture on review.")
        # Going back from the confirmation signs nothing.
        await page.get_by_role("button", name="Sign the addendum").click()
        await page.get_by_role("dialog").get_by_role("button", name="Go back").click()
        await expect(page.get_by_role("dialog")).to_be_hidden()
        assert (await study_state(api, clinic, study["id"]))["studyReportStatus"] == "ADDENDUM_ACTIVE"
        await page.get_by_role("button", name="Sign the addendum").click()
        await page.get_by_role("dialog").get_by_role("button", name="Sign", exact=True).click()
        await expect(page.locator("#study-status")).to_have_text("Completed")
        await expect(page.locator(".report")).to_have_count(2)
        await expect(page.get_by_role("link", name="Open the PDF of the addendum 1")).to_be_visible()
        assert_offline_clean(page)
    state = await study_state(api, clinic, study["id"])
    assert [(r["isAddendum"], r["status"]) for r in state["reports"]] == [(False, "COMPLETED"), (True, "COMPLETED")]
    addendum = (await api.ok(REPORT_BY_ID, {"id": state["reports"][1]["id"]}, token=clinic.key))["report"]
    assert (addendum["plainText"], addendum["isCritical"]) == ("ADDENDUM: Rib fracture on review.", False)


async def test_starting_a_report_someone_else_started_a_moment_ago_is_explained(
        chromium, site_url, api, services, clinic):
    _, ada_token = await radiologist(services, clinic, first_name="Ada", last_name="Lovelace")
    _, grace_token = await radiologist(services, clinic, first_name="Grace", last_name="Hopper")
    study = await new_study(api, clinic)
    async with person(chromium, site_url) as page:
        switch = SocketSwitch()
        await switch.attach(page)
        await sign_in(page, site_url, grace_token)
        await row(page, study["id"]).get_by_role("link").click()
        start_button = page.get_by_role("button", name="Start the report")
        await expect(start_button).to_be_visible()
        # Ada starts it from her own screen a moment before Grace clicks, on a screen that has not
        # heard of it yet (its events are held back).
        switch.muted = True
        await start(api, ada_token, study["id"])
        await start_button.click()
        message = page.locator("#study-message")
        await expect(message).to_have_text(
            "Ada Lovelace started this report a moment ago: it is theirs to dictate now.")
        assert "CONFLICT" not in await page.locator("main").inner_text()
        await expect(page.locator("#dictation")).to_have_count(0)
        await expect(page.get_by_text("Ada Lovelace is dictating this report")).to_be_visible()
    state = await study_state(api, clinic, study["id"])
    assert len(state["reports"]) == 1



async def test_the_worklist_orders_filters_and_marks_an_overdue_stat_under_its_policy(
        chromium, site_url, api, services, clinic):
    me, my_token = await radiologist(services, clinic, first_name="Ada", last_name="Lovelace")
    other, _ = await radiologist(services, clinic, first_name="Grace", last_name="Hopper")
    normal = await new_study(api, clinic, severity="NORMAL", assignedTo=other.id)
    high = await new_study(api, clinic, severity="HIGH", assignedTo=me.id)
    late = await new_study(api, clinic, severity="STAT")
    fresh = await new_study(api, clinic, severity="STAT")
    await backdate(services, late["id"], hours=2)
    async with person(chromium, site_url) as page:
        shell = await page.goto(f"{site_url}/app")
        policy = await shell.header_value("content-security-policy")
        host = site_url.removeprefix("http://")
        assert f"connect-src 'self' ws://{host} wss://{host};" in policy and "script-src 'self';" in policy
        # The clinic's API key is refused: a browser holds a person's session only.
        await page.get_by_label("Session token").fill(clinic.key)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text("This is an API key")
        assert await page.evaluate("window.sessionStorage.length") == 0
        await sign_in(page, site_url, my_token)
        rows = page.locator("#worklist tbody tr")
        await expect(rows).to_have_count(4)
        assert [await r.get_attribute("data-study-id") for r in await rows.all()] == [
            late["id"], fresh["id"], high["id"], normal["id"]]
        await expect(row(page, late["id"])).to_have_class("stat overdue")
        await expect(row(page, late["id"]).locator(".severity")).to_have_text("STATOverdue")
        await expect(row(page, fresh["id"])).to_have_class("stat")
        await expect(row(page, late["id"]).locator(".age")).to_have_text(re.compile(r"^2 h \d+ min$"))

        await page.get_by_label("Assigned to").select_option("mine")
        await expect(rows).to_have_count(1)
        await expect(row(page, high["id"])).to_be_visible()
        # Live under the filter: assigned to me now, it enters the list.
        await update(api, clinic.key, normal["id"], assignedTo=me.id)
        await expect(row(page, normal["id"])).to_be_visible()
        await page.get_by_label("Assigned to").select_option("unassigned")
        await expect(rows).to_have_count(2)
        await page.get_by_label("Severity").select_option("HIGH")
        await expect(rows).to_have_text([re.compile("No study matches")])
        await page.get_by_label("Assigned to").select_option("")
        await expect(rows).to_have_count(1)
        await expect(row(page, high["id"])).to_be_visible()
        await page.get_by_label("Severity").select_option("")
        await page.get_by_label("Status").select_option("ASSIGNED")
        await expect(rows).to_have_count(2)

        # At 200% zoom (half the width) nothing needs a sideways scroll of the page; the keyboard
        # opens a study.
        await page.set_viewport_size({"width": 640, "height": 900})
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await row(page, high["id"]).get_by_role("link").focus()
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(f"{site_url}/app/#/study/{high['id']}")
        await expect(page.get_by_role("button", name="Start the report")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert_offline_clean(page)
