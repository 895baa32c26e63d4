"""Reroute URLs (SPEC §5): creating them, and opening them as a browser would."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from autoscribe.operations.reroute import DICTATION, reroute_token
from autoscribe.db.enums import UserStatus
from autoscribe.db.ids import new_id
from autoscribe.db.models import User
from tests.support.live_helpers import cancel, uncancel, update
from tests.support.pages_helpers import assert_not_framable
from tests.support.reports_helpers import (
    START,
    events_of,
    new_study,
    radiologist,
    start,
    stored_study,
)
from tests.support.reroute_helpers import (
    ME,
    REROUTE,
    VIEWER,
    dictation_link,
    grants_of,
    hand_over,
    open_link,
    session_token_in,
    token_of,
    viewer_link,
)

EVIL_NAME = "<script>alert('x')</script> & Co"


async def test_reroute_assigns_and_opens_dictation(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic, reportMetadata={"patientName": EVIL_NAME})
    before = datetime.now(timezone.utc)
    link = (await api.ok(REROUTE, {"id": study["id"], "u": user.id}, token=clinic.key))["createRerouteUrl"]
    assert link["study"] == {"id": study["id"], "studyReportStatus": "ASSIGNED", "assignedTo": {"id": user.id}}
    expires = datetime.fromisoformat(link["expiresAt"])
    assert before + timedelta(seconds=3590) < expires < before + timedelta(seconds=3610)

    token = token_of(link["url"])
    payload = services.signer.verify("reroute", token)
    assert set(payload) == {"c", "s", "u", "m", "g"}, "IDs and the mode only: no patient data"
    assert (payload["c"], payload["s"], payload["u"], payload["m"]) == (clinic.id, study["id"], user.id, "dictation")
    [grant] = await grants_of(services, study["id"])
    assert (grant.id, grant.user_id, grant.viewer_only, grant.clinic_id) == (payload["g"], user.id, False, clinic.id)
    assert grant.created_by_api_key_id is not None and grant.created_by_user_id is None
    assert [e.kind for e in await events_of(services, study["id"])] == ["study.created", "study.assigned"]

    # No VIEWER_URL: into the reading room on the study, the session in the fragment (which no
    # server, log or Referer sees); nothing of the patient's in the answer.
    page = await http.get(f"/reroute/{token}")
    assert page.status_code == 303 and page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert hand_over(page) == {"study": study["id"], "session": session_token_in(page), "mode": "dictation"}
    assert page.headers["location"].startswith(f"/app/#/study/{study['id']}?session=ust_")
    assert EVIL_NAME not in page.text and "Chest" not in page.text
    session = session_token_in(page)
    assert (await api.ok(ME, token=session))["me"]["user"]["id"] == user.id
    report = await start(api, session, study["id"])
    assert report["userId"] == user.id


async def test_reroute_by_uid_and_by_a_user_who_manages_studies(api, services, clinic):
    manager, manager_token = await radiologist(services, clinic, can_manage_studies=True)
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = (
        await api.ok(REROUTE, {"uid": study["studyInstanceUid"], "u": user.id}, token=manager_token)
    )["createRerouteUrl"]
    assert link["study"]["assignedTo"] == {"id": user.id}
    [grant] = await grants_of(services, study["id"])
    assert grant.created_by_user_id == manager.id and grant.created_by_api_key_id is None


async def test_reroute_refusals_change_nothing(api, services, clinic, other_clinic):
    user, token = await radiologist(services, clinic)
    other, other_token = await radiologist(services, clinic)
    no_right, _ = await radiologist(services, clinic, can_create_reports=False, npi_number=None)
    inactive, _ = await radiologist(services, clinic, status=UserStatus.REVOKED)
    outsider, _ = await radiologist(services, other_clinic)
    study = await new_study(api, clinic)

    cases = [
        ({"id": study["id"], "u": user.id}, token, "FORBIDDEN", None),
        ({"id": study["id"], "u": no_right.id}, clinic.key, "BAD_USER_INPUT", "assignedToUserId"),
        ({"id": study["id"], "u": inactive.id}, clinic.key, "BAD_USER_INPUT", "assignedToUserId"),
        ({"id": study["id"], "u": outsider.id}, clinic.key, "BAD_USER_INPUT", "assignedToUserId"),
        ({"id": study["id"], "u": "usr_1"}, clinic.key, "BAD_USER_INPUT", "assignedToUserId"),
        ({"id": "stu_1", "u": user.id}, clinic.key, "BAD_USER_INPUT", "id"),
        ({"u": user.id}, clinic.key, "BAD_USER_INPUT", None),
        ({"id": new_id("study"), "u": user.id}, clinic.key, "NOT_FOUND", None),
        ({"id": study["id"], "u": outsider.id}, other_clinic.key, "NOT_FOUND", None),
    ]
    for variables, bearer, code, field in cases:
        err = await api.error(REROUTE, variables, token=bearer)
        assert err["code"] == code, (variables, err)
        if field:
            assert err["field"] == field, err
    assert await grants_of(services, study["id"]) == []
    row = await stored_study(services, study["id"])
    assert row.assigned_to_id is None and row.study_report_status.value == "UNASSIGNED"

    # While a report is in progress only its own radiologist can be sent the study.
    await start(api, token, study["id"])
    err = await api.error(REROUTE, {"id": study["id"], "u": other.id}, token=clinic.key)
    assert (err["code"], err["field"]) == ("CONFLICT", "assignedToUserId")
    assert len(await grants_of(services, study["id"])) == 0
    link = (await api.ok(REROUTE, {"id": study["id"], "u": user.id}, token=clinic.key))["createRerouteUrl"]
    assert link["study"]["studyReportStatus"] == "IN_PROGRESS"
    assert len(await grants_of(services, study["id"])) == 1
    assert [e.kind for e in await events_of(services, study["id"])] == ["study.created", "report.started"]


async def test_viewer_only_url_is_read_only_and_keeps_the_assignment(api, http, services, clinic):
    assignee, _ = await radiologist(services, clinic)
    viewer, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic, assignedTo=assignee.id)
    link = (await api.ok(VIEWER, {"id": study["id"], "u": viewer.id}, token=clinic.key))["createViewerOnlyRerouteUrl"]
    assert link["study"]["assignedTo"] == {"id": assignee.id}
    assert link["study"]["studyReportStatus"] == "ASSIGNED"
    [grant] = await grants_of(services, study["id"])
    assert (grant.user_id, grant.viewer_only) == (viewer.id, True)
    assert [e.kind for e in await events_of(services, study["id"])] == ["study.created"]

    page = await http.get(f"/reroute/{token_of(link['url'])}")
    assert hand_over(page)["mode"] == "viewer"
    session = session_token_in(page)
    assert (await api.ok(ME, token=session))["me"]["user"]["id"] == viewer.id
    assert (await api.error(START, {"s": study["id"]}, token=session))["code"] == "FORBIDDEN"


async def test_viewer_only_url_without_a_user(api, http, services, clinic):
    study = await new_study(api, clinic)
    link = (await api.ok(VIEWER, {"uid": study["studyInstanceUid"]}, token=clinic.key))["createViewerOnlyRerouteUrl"]
    [grant] = await grants_of(services, study["id"])
    assert grant.user_id is None and grant.viewer_only
    page = await http.get(f"/reroute/{token_of(link['url'])}")
    # No session to open the reading room with: the built-in page shows what the study is.
    assert page.status_code == 200 and "read-only" in page.text
    assert study["studyInstanceUid"] in page.text and session_token_in(page) is None
    assert_not_framable(page)
    assert_not_framable(await http.get("/reroute/not-a-token"))


async def test_viewer_only_refusals(api, services, clinic, other_clinic):
    user, token = await radiologist(services, clinic)
    outsider, _ = await radiologist(services, other_clinic)
    study = await new_study(api, clinic)
    cases = [
        ({"id": study["id"]}, token, "FORBIDDEN", None),
        ({"id": study["id"], "u": outsider.id}, clinic.key, "BAD_USER_INPUT", "userId"),
        ({"id": study["id"], "u": new_id("user")}, clinic.key, "BAD_USER_INPUT", "userId"),
        ({"id": study["id"], "u": "usr_"}, clinic.key, "BAD_USER_INPUT", "userId"),
        ({"id": new_id("study")}, clinic.key, "NOT_FOUND", None),
        ({"id": study["id"]}, other_clinic.key, "NOT_FOUND", None),
    ]
    for variables, bearer, code, field in cases:
        err = await api.error(VIEWER, variables, token=bearer)
        assert err["code"] == code, (variables, err)
        if field:
            assert err["field"] == field
    assert await grants_of(services, study["id"]) == []


async def test_tampered_expired_and_revoked_links_are_refused(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = (await api.ok(REROUTE, {"id": study["id"], "u": user.id}, token=clinic.key))["createRerouteUrl"]
    token = token_of(link["url"])

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", services.signer.sign("pdf", {"s": study["id"]})):
        page = await http.get(f"/reroute/{bad}")
        assert page.status_code == 403 and "not valid" in page.text
    expired = reroute_token(
        services.signer, clinic_id=clinic.id, study_id=study["id"], user_id=user.id, mode=DICTATION,
        grant_id="g", ttl_seconds=-1,
    )
    page = await http.get(f"/reroute/{expired}")
    assert page.status_code == 403 and "expired" in page.text
    assert "ust_" not in page.text

    async with services.db.write() as session:
        (await session.get(User, user.id)).status = UserStatus.REVOKED
    page = await http.get(f"/reroute/{token}")
    assert page.status_code == 403 and "revoked" in page.text and "ust_" not in page.text


async def test_a_configured_viewer_gets_a_redirect_with_the_session(api, http, services, clinic, monkeypatch):
    monkeypatch.setattr(
        services.settings, "viewer_url",
        "https://viewer.example.com/open?uid={studyInstanceUid}&study={studyId}&session={token}",
    )
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = (await api.ok(REROUTE, {"id": study["id"], "u": user.id}, token=clinic.key))["createRerouteUrl"]
    response = await http.get(f"/reroute/{token_of(link['url'])}")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "viewer.example.com", "/open")
    query = parse_qs(location.query)
    assert query["uid"] == [study["studyInstanceUid"]] and query["study"] == [study["id"]]
    assert (await api.ok(ME, token=query["session"][0]))["me"]["user"]["id"] == user.id

    viewer_link = (await api.ok(VIEWER, {"id": study["id"]}, token=clinic.key))["createViewerOnlyRerouteUrl"]
    response = await http.get(f"/reroute/{token_of(viewer_link['url'])}")
    assert response.status_code == 303
    assert "session=" in response.headers["location"]
    assert parse_qs(urlsplit(response.headers["location"]).query, keep_blank_values=True)["session"] == [""]


# A link opens once, and only while what it names still holds ----------------------------------


async def _opened_at(services, study_id):
    return [g.opened_at for g in await grants_of(services, study_id)]


async def test_a_link_opens_once(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = await dictation_link(api, clinic.key, study["id"], user.id)
    session = await open_link(http, link)
    [opened] = await _opened_at(services, study["id"])
    assert opened is not None

    again = await http.get(f"/reroute/{token_of(link['url'])}")
    assert again.status_code == 409 and "already been opened" in again.text
    assert session_token_in(again) is None and "ust_" not in again.text
    assert await _opened_at(services, study["id"]) == [opened]
    # The first opening's session goes on working.
    assert (await api.ok(ME, token=session))["me"]["user"]["id"] == user.id

    viewer = await viewer_link(api, clinic.key, study["id"])
    # A link checker's HEAD does not use the link up.
    assert (await http.head(f"/reroute/{token_of(viewer['url'])}")).status_code == 200
    assert (await http.get(f"/reroute/{token_of(viewer['url'])}")).status_code == 200  # for no one: the built-in page
    assert (await http.get(f"/reroute/{token_of(viewer['url'])}")).status_code == 409


async def test_of_two_openings_at_once_one_wins(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = await dictation_link(api, clinic.key, study["id"], user.id)
    url = f"/reroute/{token_of(link['url'])}"
    pages = await asyncio.gather(*(http.get(url) for _ in range(4)))
    assert sorted(p.status_code for p in pages) == [303, 409, 409, 409]
    assert sum(session_token_in(p) is not None for p in pages) == 1


async def test_a_reassigned_study_s_link_is_refused_and_stays_unused(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    other, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = await dictation_link(api, clinic.key, study["id"], user.id)
    await update(api, clinic.key, study["id"], assignedTo=other.id)
    page = await http.get(f"/reroute/{token_of(link['url'])}")
    assert page.status_code == 409 and "no longer assigned to you" in page.text
    assert session_token_in(page) is None
    assert await _opened_at(services, study["id"]) == [None]

    # Unassigned, it is not the user's either.
    await update(api, clinic.key, study["id"], assignedTo=None)
    assert (await http.get(f"/reroute/{token_of(link['url'])}")).status_code == 409
    # The refusals used nothing up: assigned to the user again, the link opens (once).
    await update(api, clinic.key, study["id"], assignedTo=user.id)
    await open_link(http, link)


async def test_a_cancelled_study_s_links_are_refused_and_stay_unused(api, http, services, clinic):
    user, _ = await radiologist(services, clinic)
    viewer, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    links = [
        await dictation_link(api, clinic.key, study["id"], user.id),
        await viewer_link(api, clinic.key, study["id"], viewer.id),
    ]
    await cancel(api, clinic.key, study["id"])
    for link in links:
        page = await http.get(f"/reroute/{token_of(link['url'])}")
        assert page.status_code == 409 and "cancelled" in page.text
        assert session_token_in(page) is None
    assert await _opened_at(services, study["id"]) == [None, None]

    await uncancel(api, clinic.key, study["id"])
    for link in links:
        await open_link(http, link)


async def test_the_session_expires_when_the_link_would_have(api, http, services, clinic, monkeypatch):
    monkeypatch.setattr(services.settings, "reroute_ttl_seconds", 4)
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    link = await dictation_link(api, clinic.key, study["id"], user.id)
    expires = datetime.fromisoformat(link["expiresAt"])
    await asyncio.sleep(2)  # opened halfway through the link's life
    session = await open_link(http, link)
    assert (await api.ok(ME, token=session))["me"]["user"]["id"] == user.id
    await asyncio.sleep((expires - datetime.now(timezone.utc)).total_seconds() + 0.2)
    assert (await api.error(ME, token=session))["code"] == "UNAUTHENTICATED"
