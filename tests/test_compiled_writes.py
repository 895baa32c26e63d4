"""createStudy by the compiled execution (autoscribe.server.engine.compiled.writes) answers exactly
as the standard executor does, byte for byte, for the same study created the same way: the
selection with its aliases, fragments and `__typename`, the assignee, and every error with its
code, field and path; what is stored (the study and its event, or nothing) is the same too."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import delete, func, select

from autoscribe.db.models import Event, Study
from autoscribe.operations import studies as study_operations
from autoscribe.server.engine.execution import COMPILED
from tests.support.clinics import add_user, session_token
from tests.support.differential import both
from tests.support.studies_helpers import create_study

CREATE = "mutation Create($in: CreateStudyInput!) { createStudy(input: $in) { %s } }"
EVERY_FIELD = """__typename id studyInstanceUid studyDescription severity studyReportStatus isCancelled cancelledAt
  createdAt updatedAt clinicalHistory clinicalIndication modality externalPatientId technologistNotes
  technologistTechnique metadata isCritical createdByApiKeyId createdByUser { id }
  reportMetadata { age dateOfBirth facilityName height { value unit } mrn patientName procedure
                   referringPhysicianName sex studyDate studyTime weight { value unit __typename } }
  priorReports { reportText externalStudyId modality studyDate studyDescription }
  assignedTo { __typename id email firstName lastName middleName clinicRole level status createdAt }"""
FULL_INPUT = {
    "studyInstanceUid": "1.2.840.5", "studyDescription": "MR Knee — left", "severity": "STAT", "modality": "MR",
    "clinicalHistory": None, "clinicalIndication": "Pain", "externalPatientId": "P-1",
    "technologistNotes": ["motion", "contrast"], "technologistTechnique": "T2", "metadata": {"room": "3", "ward": "Ü5"},
    "reportMetadata": {"patientName": "Doe^Jane", "mrn": "M-1", "dateOfBirth": "1970-01-31", "sex": "FEMALE",
                       "studyDate": "2026-11-01", "studyTime": "09:30", "age": "56",
                       "height": {"value": 170.5, "unit": "CM"}, "weight": {"value": 61, "unit": "KG"}},
    "priorReports": [{"reportText": "Normal.", "studyDate": "2025-01-02", "modality": "CT"}],
}
STUDY_ID = "stu_" + "5" * 32
AT = datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=timezone.utc)


@pytest.fixture
async def same_study(monkeypatch, services):
    """Every study created gets one ID and one time, so that two creations answer the same bytes."""
    monkeypatch.setattr(study_operations, "new_id", lambda _prefix: STUDY_ID)
    monkeypatch.setattr(study_operations, "utcnow", lambda: AT)
    yield
    await _forget(services)


async def _stored(services) -> tuple[int, int]:
    async with services.db.read() as session:
        made = await session.scalar(select(func.count()).select_from(Study).where(Study.id == STUDY_ID))
        events = await session.scalar(select(func.count()).select_from(Event).where(Event.study_id == STUDY_ID))
    return made, events


async def _forget(services) -> None:
    async with services.db.write() as session:
        await session.execute(delete(Event).where(Event.study_id == STUDY_ID))
        await session.execute(delete(Study).where(Study.id == STUDY_ID))


async def _created_same(apps, services, token, query, variables, *, stored: bool = True) -> dict:
    """Both apps create the same study (each one's is removed before the next): the same bytes, the
    served one compiled, and the study with its one event stored by each (or nothing, `stored`
    False). The served one creates it twice: the second time the short way (engine.known_documents)
    when the first taught it the document."""
    before = COMPILED.copy()
    ours = await _post(apps.fast, token, query, variables)
    assert await _stored(services) == ((1, 1) if stored else (0, 0)), ours
    await _forget(services)
    again = await _post(apps.fast, token, query, variables)
    went = COMPILED - before
    assert await _stored(services) == ((1, 1) if stored else (0, 0)), again
    await _forget(services)
    theirs = await _post(apps.standard, token, query, variables)
    assert await _stored(services) == ((1, 1) if stored else (0, 0))
    assert ours == again == theirs, query
    assert went == {"compiled": 2}, (went, query)
    return json.loads(ours[1])


async def _post(client, token, query, variables) -> tuple:
    response = await client.post("/graphql", json={"query": query, "variables": variables},
                                 headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.content


async def test_every_field_of_the_created_study(apps, services, clinic, same_study):
    answer = await _created_same(apps, services, clinic.key, CREATE % EVERY_FIELD, {"in": FULL_INPUT})
    created = answer["data"]["createStudy"]
    assert created["id"] == STUDY_ID and created["studyReportStatus"] == "UNASSIGNED"
    assert created["reportMetadata"]["height"] == {"value": 170.5, "unit": "CM"}
    assert created["createdAt"] == "2026-12-01T08:30:15.123456+00:00"
    assert created["assignedTo"] is None and created["createdByUser"] is None


async def test_the_bench_selection_and_a_minimal_input(apps, services, clinic, same_study):
    minimal = {"studyInstanceUid": "7.1", "studyDescription": "CT Head", "severity": "NORMAL", "reportMetadata": {}}
    answer = await _created_same(apps, services, clinic.key, CREATE % "id studyReportStatus", {"in": minimal})
    assert answer == {"data": {"createStudy": {"id": STUDY_ID, "studyReportStatus": "UNASSIGNED"}}}


async def test_aliases_fragments_and_literal_input(apps, services, clinic, same_study):
    query = """mutation { made: createStudy(input: {studyInstanceUid: "7.2", studyDescription: "CR Chest",
                 severity: HIGH, reportMetadata: {sex: MALE, height: {value: 180, unit: CM}}}) {
               ...Parts ... on Study { s: severity } ... { kind: __typename } } }
             fragment Parts on Study { ident: id reportMetadata { ... on StudyReportMetadata { sex height { unit } } } }"""
    answer = await _created_same(apps, services, clinic.key, query, {})
    made = answer["data"]["made"]
    assert made["s"] == "HIGH" and made["kind"] == "Study" and made["reportMetadata"]["sex"] == "MALE"


async def test_assigned_to_a_radiologist(apps, services, clinic, same_study):
    ada = await add_user(services, clinic.id, first_name="Ada", last_name="Lovelace")
    answer = await _created_same(apps, services, clinic.key, CREATE % EVERY_FIELD,
                                 {"in": {**FULL_INPUT, "assignedTo": ada.id}})
    created = answer["data"]["createStudy"]
    assert created["studyReportStatus"] == "ASSIGNED" and created["assignedTo"]["firstName"] == "Ada"


async def test_created_by_a_user_session(apps, services, clinic, same_study):
    manager = await add_user(services, clinic.id, can_manage_studies=True, can_create_reports=False, npi_number=None)
    answer = await _created_same(apps, services, session_token(services, manager), CREATE % EVERY_FIELD,
                                 {"in": FULL_INPUT})
    created = answer["data"]["createStudy"]
    assert created["createdByUser"] == {"id": manager.id} and created["createdByApiKeyId"] is None


@pytest.mark.parametrize("change, code, field", [
    ({"studyInstanceUid": ""}, "BAD_USER_INPUT", "input.studyInstanceUid"),
    ({"reportMetadata": {"studyTime": "25:99"}}, "BAD_USER_INPUT", "input.reportMetadata.studyTime"),
    ({"assignedTo": "usr_" + "0" * 32}, "BAD_USER_INPUT", "input.assignedTo"),
])
async def test_errors_keep_their_code_field_and_path_and_store_nothing(apps, services, clinic, same_study,
                                                                       change, code, field):
    answer = await _created_same(apps, services, clinic.key, "mutation($in: CreateStudyInput!) "
                                 "{ c: createStudy(input: $in) { id } }", {"in": {**FULL_INPUT, **change}},
                                 stored=False)
    assert answer["data"] is None
    (error,) = answer["errors"]
    assert error["path"] == ["c"]
    assert error["extensions"]["code"] == code and error["extensions"].get("field") == field


async def test_a_conflict_on_the_uid_stores_nothing_more(apps, api, services, clinic):
    await create_study(api, clinic.key, uid="1.2.840.5")
    before = COMPILED.copy()
    ours, theirs = await both(apps, clinic.key, CREATE % "id", {"in": FULL_INPUT})
    assert ours == theirs and COMPILED - before == {"compiled": 1}
    (error,) = json.loads(ours[1])["errors"]
    assert error["extensions"] == {"code": "CONFLICT", "field": "input.studyInstanceUid"}
    async with services.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Study)
                                    .where(Study.study_instance_uid == "1.2.840.5")) == 1


async def test_without_the_right_or_without_a_token(apps, services, clinic, same_study):
    reader = await add_user(services, clinic.id, can_manage_studies=False)
    answer = await _created_same(apps, services, session_token(services, reader), CREATE % "id", {"in": FULL_INPUT},
                                 stored=False)
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    answer = await _created_same(apps, services, "not-a-token", CREATE % "id", {"in": FULL_INPUT}, stored=False)
    assert answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
