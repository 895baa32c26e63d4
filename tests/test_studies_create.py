"""createStudy: every field round-trips, every rule refuses bad input with its code and field."""

import pytest
from sqlalchemy import func, select

from autoscribe.db.models import Event, Study
from tests.support.clinics import add_user
from tests.support.studies_helpers import study_input

FIELDS = """
  id studyInstanceUid studyDescription severity studyReportStatus isCancelled cancelledAt
  createdAt updatedAt clinicalHistory clinicalIndication modality externalPatientId
  technologistNotes technologistTechnique metadata isCritical
  reportMetadata { age dateOfBirth facilityName height { value unit } mrn patientName procedure
                   referringPhysicianName sex studyDate studyTime weight { value unit } }
  priorReports { reportText externalStudyId modality studyDate studyDescription }
  assignedTo { id email } reportIds { reportId } reports { id }
"""
CREATE = f"mutation($input: CreateStudyInput!) {{ createStudy(input: $input) {{ {FIELDS} }} }}"

FULL = {
    "studyInstanceUid": "1.2.840.113619.2.55.3.604688119.971.1700000000.123",
    "studyDescription": "CT Head without contrast",
    "severity": "STAT",
    "reportMetadata": {
        "age": "54Y",
        "dateOfBirth": "1971-03-09",
        "facilityName": "Northside Main Campus",
        "height": {"value": 172.5, "unit": "CM"},
        "mrn": "MRN-0042",
        "patientName": "Doe^Jane",
        "procedure": "CT HEAD WO",
        "referringPhysicianName": "Dr. House",
        "sex": "FEMALE",
        "studyDate": "2026-11-27",
        "studyTime": "09:45",
        "weight": {"value": 140, "unit": "LBS"},
    },
    "clinicalHistory": "Fall, head strike",
    "clinicalIndication": "Rule out bleed",
    "modality": "CT",
    "externalPatientId": "EXT-77",
    "technologistNotes": ["Patient moved", "Repeat axial series"],
    "technologistTechnique": "Helical 5mm",
    "metadata": {"ris": "epic", "room": "3"},
    "priorReports": [
        {"reportText": "No acute findings.", "externalStudyId": "P-1", "modality": "CT",
         "studyDate": "2025-01-02", "studyDescription": "CT Head"},
        {"reportText": "Minimal only."},
    ],
}


async def count(services, model, clinic_id):
    async with services.db.read() as s:
        return await s.scalar(select(func.count()).select_from(model).where(model.clinic_id == clinic_id))


async def test_every_field_round_trips(api, clinic):
    created = (await api.ok(CREATE, {"input": FULL}, token=clinic.key))["createStudy"]
    assert created["id"].startswith("stu_") and len(created["id"]) == 36
    for key in ("studyInstanceUid", "studyDescription", "severity", "clinicalHistory", "clinicalIndication",
                "modality", "externalPatientId", "technologistNotes", "technologistTechnique", "metadata"):
        assert created[key] == FULL[key], key
    expected_meta = {**FULL["reportMetadata"], "weight": {"value": 140.0, "unit": "LBS"}}
    assert created["reportMetadata"] == expected_meta
    assert created["priorReports"][0] == FULL["priorReports"][0]
    assert created["priorReports"][1] == {"reportText": "Minimal only.", "externalStudyId": None,
                                          "modality": None, "studyDate": None, "studyDescription": None}
    assert created["studyReportStatus"] == "UNASSIGNED"
    assert created["isCancelled"] is False and created["cancelledAt"] is None
    assert created["isCritical"] is None and created["assignedTo"] is None
    assert created["reports"] == [] and created["reportIds"] == []
    assert created["createdAt"] == created["updatedAt"]
    # Read back through a query: the same object.
    read = await api.ok(f"query($id: ID!) {{ study(id: $id) {{ {FIELDS} }} }}", {"id": created["id"]}, token=clinic.key)
    assert read["study"] == created


async def test_minimal_study_has_empty_defaults(api, clinic):
    s = (await api.ok(CREATE, {"input": study_input()}, token=clinic.key))["createStudy"]
    assert s["technologistNotes"] == [] and s["priorReports"] == [] and s["metadata"] == {}
    assert s["reportMetadata"]["patientName"] == "Roe^Richard"
    assert s["reportMetadata"]["height"] is None and s["reportMetadata"]["studyTime"] is None


async def test_create_with_assignee_is_assigned(api, services, clinic):
    rad = await add_user(services, clinic.id)
    s = (await api.ok(CREATE, {"input": study_input(assignedTo=rad.id)}, token=clinic.key))["createStudy"]
    assert s["studyReportStatus"] == "ASSIGNED"
    assert s["assignedTo"] == {"id": rad.id, "email": rad.email}


BAD = [
    ({"studyInstanceUid": "1.02.3"}, "input.studyInstanceUid"),
    ({"studyInstanceUid": "1..2"}, "input.studyInstanceUid"),
    ({"studyInstanceUid": "abc"}, "input.studyInstanceUid"),
    ({"studyInstanceUid": "1." + "2" * 63}, "input.studyInstanceUid"),
    ({"studyInstanceUid": ""}, "input.studyInstanceUid"),
    ({"studyDescription": "   "}, "input.studyDescription"),
    ({"reportMetadata": {"studyTime": "25:00"}}, "input.reportMetadata.studyTime"),
    ({"reportMetadata": {"studyTime": "9:30"}}, "input.reportMetadata.studyTime"),
    ({"reportMetadata": {"height": {"value": 0, "unit": "CM"}}}, "input.reportMetadata.height.value"),
    ({"reportMetadata": {"weight": {"value": -3, "unit": "KG"}}}, "input.reportMetadata.weight.value"),
    ({"metadata": {"k": 1}}, "input.metadata"),
    ({"metadata": ["a"]}, "input.metadata"),
    ({"metadata": {f"k{i}": "v" for i in range(51)}}, "input.metadata"),
    ({"metadata": {"k" * 101: "v"}}, "input.metadata"),
    ({"metadata": {"k": "v" * 1001}}, "input.metadata"),
    ({"technologistNotes": ["n"] * 51}, "input.technologistNotes"),
    ({"technologistNotes": ["ok", "x" * 1001]}, "input.technologistNotes.1"),
    ({"priorReports": [{"reportText": "r"}] * 51}, "input.priorReports"),
    ({"priorReports": [{"reportText": " "}]}, "input.priorReports.0.reportText"),
    ({"assignedTo": "not-an-id"}, "input.assignedTo"),
    ({"assignedTo": "stu_" + "0" * 32}, "input.assignedTo"),
    ({"assignedTo": "usr_" + "0" * 32}, "input.assignedTo"),
]


@pytest.mark.parametrize("override,field", BAD, ids=[f for _, f in BAD])
async def test_bad_input_is_refused_with_its_field_and_nothing_stored(api, services, clinic, override, field):
    inp = study_input()
    for key, value in override.items():
        inp[key] = {**inp[key], **value} if key == "reportMetadata" else value
    err = await api.error(CREATE, {"input": inp}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT", err
    assert err["field"] == field
    assert await count(services, Study, clinic.id) == 0
    assert await count(services, Event, clinic.id) == 0


async def test_bad_date_scalar_is_bad_user_input(api, clinic):
    inp = study_input(reportMetadata={"dateOfBirth": "1971-13-40"})
    err = await api.error(CREATE, {"input": inp}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "input.reportMetadata.dateOfBirth"


async def test_duplicate_uid_is_conflict_within_a_clinic_only(api, services, clinic, other_clinic):
    await api.ok(CREATE, {"input": study_input("1.2.9")}, token=clinic.key)
    err = await api.error(CREATE, {"input": study_input("1.2.9")}, token=clinic.key)
    assert err["code"] == "CONFLICT" and err["field"] == "input.studyInstanceUid"
    assert await count(services, Study, clinic.id) == 1
    # Another clinic may use the same UID.
    await api.ok(CREATE, {"input": study_input("1.2.9")}, token=other_clinic.key)


@pytest.mark.parametrize("fields", [
    {"status": "INVITED"}, {"status": "REVOKED"}, {"can_create_reports": False},
], ids=["invited", "revoked", "cannot-report"])
async def test_assignee_must_be_an_active_reporting_user(api, services, clinic, fields):
    from autoscribe.db import enums
    values = {k: (enums.UserStatus(v) if k == "status" else v) for k, v in fields.items()}
    user = await add_user(services, clinic.id, **values)
    err = await api.error(CREATE, {"input": study_input(assignedTo=user.id)}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "input.assignedTo"
    assert await count(services, Study, clinic.id) == 0


async def test_assignee_of_another_clinic_is_unknown(api, services, clinic, other_clinic):
    foreign = await add_user(services, other_clinic.id)
    err = await api.error(CREATE, {"input": study_input(assignedTo=foreign.id)}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT" and err["field"] == "input.assignedTo"
    assert err["message"] == "No such user."
