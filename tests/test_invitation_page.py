"""The invitation link opened in a browser: the page shows the invitation; its buttons answer it once."""

from autoscribe.db.enums import InvitationStatus, UserStatus
from tests.support.pages_helpers import assert_not_framable
from tests.support.people_helpers import expire, invite, stored_invitation, stored_user


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_page_shows_the_invitation_and_accept_activates_the_user(api, http, services, clinic):
    user = await invite(api, clinic.key, "grace@example.com", firstName="Grace", lastName="<Hopper>")
    url = path_of(user["invitations"][0]["acceptUrl"])
    shown = await http.get(url)
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert "Northside Imaging" in shown.text and "grace@example.com" in shown.text
    assert "&lt;Hopper&gt;" in shown.text and "<Hopper>" not in shown.text
    assert 'action="' in shown.text and "/accept" in shown.text and "/reject" in shown.text
    assert_not_framable(shown)

    accepted = await http.post(url + "/accept")
    assert accepted.status_code == 200 and "accepted" in accepted.text
    # What to do next, not "You can now sign in": studies come as links; the reading room is linked.
    assert "sign in." not in accepted.text and "sends you studies to read as links" in accepted.text
    assert '<a href="/app/">the reading room</a>' in accepted.text
    assert (await http.get("/app/")).status_code == 200
    assert (await stored_user(services, user["id"])).status == UserStatus.ACTIVE
    invitation = await stored_invitation(services, user["invitations"][0]["id"])
    assert invitation.status == InvitationStatus.ACCEPTED

    again = await http.post(url + "/accept")
    assert again.status_code == 409
    assert_not_framable(again)
    assert (await http.get(url)).status_code == 409


async def test_decline_rejects_and_leaves_the_user_invited(api, http, services, clinic):
    user = await invite(api, clinic.key, "ada@example.com")
    url = path_of(user["invitations"][0]["acceptUrl"])
    declined = await http.post(url + "/reject")
    assert declined.status_code == 200 and "declined" in declined.text
    assert (await stored_invitation(services, user["invitations"][0]["id"])).status == InvitationStatus.REJECTED
    assert (await stored_user(services, user["id"])).status == UserStatus.INVITED


async def test_forged_and_expired_links_answer_nothing(api, http, services, clinic):
    user = await invite(api, clinic.key, "linus@example.com")
    url = path_of(user["invitations"][0]["acceptUrl"])
    forged = url[:-3] + ("abc" if not url.endswith("abc") else "xyz")
    assert (await http.get(forged)).status_code == 403
    assert (await http.post(forged + "/accept")).status_code == 403
    await expire(services, user["invitations"][0]["id"])
    expired = await http.post(url + "/accept")
    assert expired.status_code == 409 and "expired" in expired.text
    assert (await stored_user(services, user["id"])).status == UserStatus.INVITED
    assert (await http.get("/invitations/x/delete")).status_code in (404, 405)


async def test_page_names_the_role_as_people_write_it(api, http, clinic):
    user = await invite(api, clinic.key, "kay@example.com", clinicRole="IT_ADMINISTRATOR",
                        canCreateReports=False, npiNumber=None)
    shown = await http.get(path_of(user["invitations"][0]["acceptUrl"]))
    assert shown.status_code == 200 and "as IT Administrator.</p>" in shown.text
    other = await invite(api, clinic.key, "pat@example.com", clinicRole="PATHOLOGISTS_ASSISTANT")
    shown = await http.get(path_of(other["invitations"][0]["acceptUrl"]))
    assert "as Pathologists&#x27; Assistant.</p>" in shown.text
