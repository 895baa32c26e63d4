"""updateStudy, cancelStudy, uncancelStudy: partial updates, clearing, merging, the assignment rule."""

from sqlalchemy import select

from autoscribe.db.models import Event, Study
from tests.support.clinics import add_user
from tests.support.studies_helpers import create_study

UPDATE = """mutation($id: ID!, $input: UpdateStudyInput!) { updateStudy(id: $id, input: $input) {
  id studyDescription severity studyReportStatus clinicalHistory modality technologistNotes metadata
  updatedAt createdAt assignedTo { id }
  reportMetadata { patientName mrn sex studyTime height { value unit } weight { value unit } }
  priorReports { reportText } } }"""


async def update(api, token, id, **inp):
    return await api(UPDATE, {"id": id, "input": inp}, token=token)


async def test_only_given_fields_change(api, clinic):
    s = await create_study(api, clinic.key, clinicalHistory="Fall", modality="MR", technologistNotes=["a"],
                           metadata={"x": "1"})
    body = await update(api, clinic.key, s["id"], severity="HIGH")
    out = body["data"]["updateStudy"]
    assert out["severity"] == "HIGH"
    assert out["clinicalHistory"] == "Fall" and out["modality"] == "MR"
    assert out["technologistNotes"] == ["a"] and out["metadata"] == {"x": "1"}
    assert out["studyDescription"] == "MR Knee"
    assert out["updatedAt"] > s["updatedAt"] and out["createdAt"] == s["createdAt"]


async def test_explicit_null_clears_nullable_fields(api, clinic):
    s = await create_study(api, clinic.key, clinicalHistory="Fall", modality="MR", technologistNotes=["a"],
                           metadata={"x": "1"}, priorReports=[{"reportText": "old"}])
    out = (await update(api, clinic.key, s["id"], clinicalHistory=None, modality=None, technologistNotes=None,
                        metadata=None, priorReports=None))["data"]["updateStudy"]
    assert out["clinicalHistory"] is None and out["modality"] is None
    assert out["technologistNotes"] == [] and out["metadata"] == {} and out["priorReports"] == []


async def test_report_metadata_is_merged_field_by_field(api, clinic):
    s = await create_study(api, clinic.key, reportMetadata={"patientName": "Roe^R", "mrn": "M1", "sex": "MALE",
                                                            "height": {"value": 180, "unit": "CM"}})
    out = (await update(api, clinic.key, s["id"], reportMetadata={"mrn": "M2", "sex": None,
                                                                  "weight": {"value": 80, "unit": "KG"}}))
    meta = out["data"]["updateStudy"]["reportMetadata"]
    assert meta == {"patientName": "Roe^R", "mrn": "M2", "sex": None, "studyTime": None,
                    "height": {"value": 180.0, "unit": "CM"}, "weight": {"value": 80.0, "unit": "KG"}}


async def test_lists_are_replaced_whole(api, clinic):
    s = await create_study(api, clinic.key, technologistNotes=["a", "b"], priorReports=[{"reportText": "1"}])
    out = (await update(api, clinic.key, s["id"], technologistNotes=["c"],
                        priorReports=[{"reportText": "2"}, {"reportText": "3"}]))["data"]["updateStudy"]
    assert out["technologistNotes"] == ["c"]
    assert [p["reportText"] for p in out["priorReports"]] == ["2", "3"]


async def test_required_fields_cannot_be_nulled_and_nothing_changes(api, services, clinic):
    s = await create_study(api, clinic.key)
    for field in ("studyDescription", "severity", "reportMetadata"):
        body = await update(api, clinic.key, s["id"], **{field: None}, modality="XR")
        err = body["errors"][0]["extensions"]
        assert err == {"code": "BAD_USER_INPUT", "field": f"input.{field}"}
    async with services.db.read() as session:
        row = await session.get(Study, s["id"])
        assert row.modality is None and row.study_description == "MR Knee"


async def test_invalid_update_changes_nothing(api, services, clinic):
    s = await create_study(api, clinic.key)
    body = await update(api, clinic.key, s["id"], modality="CT", reportMetadata={"studyTime": "7pm"})
    assert body["errors"][0]["extensions"]["field"] == "input.reportMetadata.studyTime"
    async with services.db.read() as session:
        assert (await session.get(Study, s["id"])).modality is None
        events = (await session.scalars(select(Event).where(Event.study_id == s["id"]))).all()
    assert [e.kind for e in events] == ["study.created"]


async def test_assign_and_unassign(api, services, clinic):
    rad = await add_user(services, clinic.id)
    s = await create_study(api, clinic.key)
    out = (await update(api, clinic.key, s["id"], assignedTo=rad.id))["data"]["updateStudy"]
    assert out["studyReportStatus"] == "ASSIGNED" and out["assignedTo"] == {"id": rad.id}
    out = (await update(api, clinic.key, s["id"], assignedTo=None))["data"]["updateStudy"]
    assert out["studyReportStatus"] == "UNASSIGNED" and out["assignedTo"] is None


async def test_assignment_refused_while_a_report_is_in_progress(api, services, clinic):
    rad = await add_user(services, clinic.id)
    other = await add_user(services, clinic.id)
    s = await create_study(api, clinic.key, assignedTo=rad.id)
    async with services.db.write() as session:
        row = await session.get(Study, s["id"])
        from autoscribe.db.enums import StudyReportStatus
        row.study_report_status = StudyReportStatus.IN_PROGRESS
    body = await update(api, clinic.key, s["id"], assignedTo=other.id)
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    body = await update(api, clinic.key, s["id"], assignedTo=None)
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    async with services.db.read() as session:
        assert (await session.get(Study, s["id"])).assigned_to_id == rad.id


async def test_update_unknown_or_malformed_id(api, clinic):
    body = await update(api, clinic.key, "stu_" + "a" * 32, modality="CT")
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND" and body["data"] is None
    body = await update(api, clinic.key, "usr_" + "a" * 32, modality="CT")
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


CANCEL = "mutation($id: ID, $uid: String) { cancelStudy(id: $id, studyInstanceUid: $uid) { id isCancelled cancelledAt studyReportStatus updatedAt } }"
UNCANCEL = "mutation($id: ID, $uid: String) { uncancelStudy(id: $id, studyInstanceUid: $uid) { id isCancelled cancelledAt studyReportStatus } }"


async def test_cancel_keeps_everything_and_is_idempotent(api, services, clinic):
    rad = await add_user(services, clinic.id)
    s = await create_study(api, clinic.key, uid="1.5.5", assignedTo=rad.id)
    first = (await api.ok(CANCEL, {"id": s["id"]}, token=clinic.key))["cancelStudy"]
    assert first["isCancelled"] is True and first["cancelledAt"] and first["studyReportStatus"] == "ASSIGNED"
    again = (await api.ok(CANCEL, {"uid": "1.5.5"}, token=clinic.key))["cancelStudy"]
    assert again == first
    restored = (await api.ok(UNCANCEL, {"id": s["id"]}, token=clinic.key))["uncancelStudy"]
    assert restored == {"id": s["id"], "isCancelled": False, "cancelledAt": None, "studyReportStatus": "ASSIGNED"}
    assert (await api.ok(UNCANCEL, {"id": s["id"]}, token=clinic.key))["uncancelStudy"] == restored
    async with services.db.read() as session:
        kinds = (await session.scalars(select(Event.kind).where(Event.study_id == s["id"]).order_by(Event.seq))).all()
    assert kinds == ["study.created", "study.cancelled", "study.uncancelled"]


async def test_cancel_needs_exactly_one_key(api, clinic):
    err = await api.error(CANCEL, {}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    s = await create_study(api, clinic.key, uid="1.5.6")
    err = await api.error(CANCEL, {"id": s["id"], "uid": "1.5.6"}, token=clinic.key)
    assert err["code"] == "BAD_USER_INPUT"
    err = await api.error(CANCEL, {"uid": "9.9.9"}, token=clinic.key)
    assert err["code"] == "NOT_FOUND"
