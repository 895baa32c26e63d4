"""Every input rule matches the whole value: one trailing newline (which `$` lets through) is bad input."""

import pytest

from autoscribe.db.models import Invitation, Study, User
from tests.support.people_helpers import INVITE, NPI_A, UPDATE_USER, count, invite, invite_input
from tests.support.studies_helpers import CREATE, create_study, study_input

HEX = "0" * 32
STORED = ((Study, "studies"), (User, "users"), (Invitation, "invitations"))


async def stored(services, clinic_id) -> dict:
    return {name: await count(services, model, clinic_id) for model, name in STORED}


STUDY_CASES = [
    (study_input("1.2.3\n"), "input.studyInstanceUid"),
    (study_input("1.2.4", reportMetadata={"studyTime": "12:30\n"}), "input.reportMetadata.studyTime"),
    (study_input("1.2.5", reportMetadata={"studyDate": "2026-11-27\n"}), "input.reportMetadata.studyDate"),
    (study_input("1.2.6", reportMetadata={"dateOfBirth": "1970-01-01\n"}), "input.reportMetadata.dateOfBirth"),
    (study_input("1.2.7", priorReports=[{"reportText": "Normal.", "studyDate": "2020-01-01\n"}]),
     "input.priorReports.0.studyDate"),
    (study_input("1.2.8", assignedTo=f"usr_{HEX}\n"), "input.assignedTo"),
]

PERSON_CASES = [
    (invite_input("grace\n@example.com"), "input.email"),
    (invite_input("ada@example.com", phoneNumber="5551234567\n"), "input.phoneNumber"),
    (invite_input("ada@example.com", npiNumber=NPI_A + "\n"), "input.npiNumber"),
]

ID_CASES = [
    ("query($id: ID!) { study(id: $id) { id } }", f"stu_{HEX}\n", "id"),
    ("query($id: ID!) { user(id: $id) { id } }", f"usr_{HEX}\n", "id"),
    ("query($id: ID!) { invitation(id: $id) { id } }", f"inv_{HEX}\n", "id"),
    ("query($id: ID!) { report(id: $id) { id } }", f"rep_{HEX}\n", "id"),
    ("query($id: ID!) { node(id: $id) { id } }", f"stu_{HEX}\n", "id"),
    ("query($id: ID!) { studies(filter: {assignedTo: $id}) { totalCount } }", f"usr_{HEX}\n", "filter.assignedTo"),
    ("query($id: ID!) { invitations(filter: {userId: $id}) { totalCount } }", f"usr_{HEX}\n", "filter.userId"),
    ("mutation($id: ID!) { cancelStudy(id: $id) { id } }", f"stu_{HEX}\n", "id"),
]


@pytest.mark.parametrize("given, field", STUDY_CASES, ids=[f for _, f in STUDY_CASES])
async def test_study_input_with_a_trailing_newline_is_bad_input(api, services, clinic, given, field):
    err = await api.error(CREATE, {"input": given}, token=clinic.key)
    assert (err["code"], err.get("field")) == ("BAD_USER_INPUT", field), err
    assert (await stored(services, clinic.id))["studies"] == 0


async def test_one_clinic_cannot_hold_a_uid_twice_by_a_trailing_newline(api, services, clinic):
    await create_study(api, clinic.key, "1.2.3")
    err = await api.error(CREATE, {"input": study_input("1.2.3\n")}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "input.studyInstanceUid")
    assert (await stored(services, clinic.id))["studies"] == 1


@pytest.mark.parametrize("given, field", PERSON_CASES, ids=[f for _, f in PERSON_CASES])
async def test_person_input_with_a_trailing_newline_is_bad_input(api, services, clinic, given, field):
    before = await stored(services, clinic.id)
    err = await api.error(INVITE, {"input": given}, token=clinic.key)
    assert (err["code"], err.get("field")) == ("BAD_USER_INPUT", field), err
    assert await stored(services, clinic.id) == before


async def test_a_phone_number_change_with_a_trailing_newline_is_bad_input(api, clinic):
    user = await invite(api, clinic.key, "lin@example.com", phoneNumber="5551234567")
    err = await api.error(UPDATE_USER, {"id": user["id"], "input": {"phoneNumber": "5557654321\n"}}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "input.phoneNumber")
    query = "query($id: ID!) { user(id: $id) { phoneNumber } }"
    assert (await api.ok(query, {"id": user["id"]}, token=clinic.key))["user"]["phoneNumber"] == "5551234567"


@pytest.mark.parametrize("query, value, field", ID_CASES, ids=[q.split("{")[1].split("(")[0].strip() for q, _, _ in ID_CASES])
async def test_an_id_with_a_trailing_newline_is_bad_input_not_not_found(api, clinic, query, value, field):
    err = await api.error(query, {"id": value}, token=clinic.key)
    assert (err["code"], err.get("field")) == ("BAD_USER_INPUT", field), err


async def test_filter_times_and_dates_with_a_trailing_newline_are_bad_input(api, clinic):
    err = await api.error("query($f: StudyFilter) { studies(filter: $f) { totalCount } }",
                          {"f": {"createdAfter": "2026-11-27T09:00:00Z\n"}}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "f.createdAfter")
    err = await api.error("query($f: InvitationFilter) { invitations(filter: $f) { totalCount } }",
                          {"f": {"startDate": "2026-11-27\n"}}, token=clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "f.startDate")
