"""Studies of every kind and a selection of every Study field, for the compiled execution's differential tests."""

from __future__ import annotations

from tests.support.clinics import add_user
from tests.support.studies_helpers import create_study

EVERY_FIELD = """id studyInstanceUid studyDescription severity studyReportStatus isCancelled cancelledAt
  createdAt updatedAt clinicalHistory clinicalIndication modality externalPatientId technologistNotes
  technologistTechnique metadata isCritical createdByApiKeyId createdByUser { id }
  reportMetadata { age dateOfBirth facilityName height { value unit } mrn patientName procedure
                   referringPhysicianName sex studyDate studyTime weight { value unit __typename } }
  priorReports { reportText externalStudyId modality studyDate studyDescription }
  assignedTo { __typename id email firstName lastName middleName suffix1 suffix2 phoneNumber npiNumber
               clinicRole level status canCreateReports canManageStudies hasDashboardAccess invitedSource
               createdAt lastLoginAt }"""


async def _seed(api, services, clinic) -> dict:
    """Eight studies: every severity, some assigned, full and empty metadata, one cancelled."""
    ada = await add_user(services, clinic.id, first_name="Ada", last_name="Lovelace", middle_name="Émilie")
    grace = await add_user(services, clinic.id, first_name="Grace", last_name="Hopper")
    made = []
    for i, severity in enumerate(["NORMAL", "STAT", "HIGH", "NORMAL", "STAT", "NORMAL", "HIGH", "NORMAL"]):
        extra: dict = {}
        if i % 3 == 1:
            extra["assignedTo"] = ada.id
        elif i % 3 == 2:
            extra["assignedTo"] = grace.id
        if i % 2 == 0:
            extra.update(
                modality="MR", clinicalIndication="Pain — left knee", externalPatientId=f"P{i}",
                technologistNotes=["motion", "contrast"], metadata={"room": "3", "ward": "Ünit 5"},
                reportMetadata={"patientName": "Doe^Jane", "mrn": f"M-{i}", "dateOfBirth": "1970-01-31",
                                "sex": "FEMALE", "studyDate": "2026-11-01", "studyTime": "09:30", "age": "56",
                                "height": {"value": 170.5, "unit": "CM"}, "weight": {"value": 61, "unit": "KG"}},
                priorReports=[{"reportText": "Normal.", "studyDate": "2025-01-02", "modality": "CT"}],
            )
        made.append(await create_study(api, clinic.key, uid=f"9.{i}", severity=severity, **extra))
    await api.ok("mutation($id: ID) { cancelStudy(id: $id) { id } }", {"id": made[3]["id"]}, token=clinic.key)
    return {"studies": made, "ada": ada, "grace": grace}
