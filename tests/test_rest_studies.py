"""The nine study calls of the avara SDK (`client.auto_scribe.studies.*`) against the REST API,
with strict response validation: wire spellings, who created a study, cursor pages, and the
error classes the SDK raises (NotFoundError, AuthenticationError, BadRequestError with the field,
ConflictError sent once)."""

from __future__ import annotations

import avara
import httpx
import pytest

from tests.support.clinics import add_user, session_token
from tests.support.reroute_helpers import hand_over, session_token_in
from tests.support.rest_helpers import Sent, api_key_id, create_study, sdk, unique_uid

FULL = dict(
    study_description="MRI Brain with contrast",
    severity="high",
    report_metadata={
        "patient_name": "Doe^Jane", "sex": "female", "date_of_birth": "1970-01-02", "study_time": "09:30",
        "height": {"value": 170, "unit": "cm"}, "weight": {"value": 150, "unit": "lbs"},
    },
    clinical_history="Headaches for two weeks.",
    metadata={"ward": "4B"},
    modality="MR",
    prior_reports=[{"report_text": "No acute findings.", "study_date": "2025-01-02"}],
    technologist_notes=["Patient moved once."],
)


async def test_create_retrieve_update_and_retrieve_by_uid_speak_the_sdk_wire_format(rest_url, clinic, services, api):
    async with sdk(rest_url, clinic.key) as client:
        uid = unique_uid()
        created = await client.auto_scribe.studies.create(study_instance_uid=uid, **FULL)
        assert created.study_id.startswith("stu_") and created.study_instance_uid == uid
        assert (created.severity, created.study_report_status, created.study_type) == ("high", "unassigned", "standard")
        meta = created.report_metadata
        assert (meta.sex, meta.height.unit, meta.weight.unit, meta.date_of_birth) == ("female", "cm", "lbs", "1970-01-02")
        assert created.metadata == {"ward": "4B"} and created.prior_reports[0].report_text == "No acute findings."
        assert created.created_by_api_key.api_key_id == await api_key_id(services, clinic.id)
        assert created.created_by_user is None

        fetched = await client.auto_scribe.studies.retrieve(created.study_id)
        assert fetched.model_dump() == created.model_dump()
        by_uid = await client.auto_scribe.studies.retrieve_by_uid(uid)
        assert by_uid.study_id == created.study_id

        updated = await client.auto_scribe.studies.update(
            created.study_id, severity="stat", report_metadata={"mrn": "MRN-7", "sex": "male"}, modality=None
        )
        assert updated.severity == "stat" and updated.modality is None
        # reportMetadata is merged, as in GraphQL: the fields not given are kept.
        assert (updated.report_metadata.mrn, updated.report_metadata.sex, updated.report_metadata.patient_name) == (
            "MRN-7", "male", "Doe^Jane")

    # The same study through GraphQL, with who created it.
    data = await api.ok("query($id: ID) { study(id: $id) { severity createdByApiKeyId createdByUser { id } } }",
                        {"id": created.study_id}, token=clinic.key)
    assert data["study"] == {"severity": "STAT", "createdByApiKeyId": created.created_by_api_key.api_key_id,
                             "createdByUser": None}


async def test_a_user_session_token_is_a_bearer_and_the_user_is_recorded_as_creator(rest_url, clinic, services, api):
    manager = await add_user(services, clinic.id, can_manage_studies=True, first_name="Grace", last_name="Hopper")
    async with sdk(rest_url, session_token(services, manager)) as client:
        created = await create_study(client)
        assert created.created_by_api_key is None
        assert (created.created_by_user.user_id, created.created_by_user.email) == (manager.id, manager.email)
        assert (await client.auto_scribe.studies.list()).studies[0].study_id == created.study_id
    data = await api.ok("query($id: ID) { study(id: $id) { createdByApiKeyId createdByUser { id lastName } } }",
                        {"id": created.study_id}, token=clinic.key)
    assert data["study"] == {"createdByApiKeyId": None, "createdByUser": {"id": manager.id, "lastName": "Hopper"}}


async def test_list_pages_to_the_end_with_no_duplicate_and_filters(rest_url, clinic):
    sent = Sent()
    async with sdk(rest_url, clinic.key, sent=sent) as client:
        made = [(await create_study(client, severity="stat" if i % 2 else "normal")).study_id for i in range(5)]
        seen = [s.study_id async for s in client.auto_scribe.studies.list(limit=2.0)]
        assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == 5
        # Newest first, as GraphQL's default order; 2 + 2 + 1: three pages, then the SDK stops.
        assert seen == made[::-1]
        assert sent.count("GET", "/v1/autoScribe/studies") == 3

        first = await client.auto_scribe.studies.list(limit=2)
        assert first.has_more is True and first.cursor
        second = await client.auto_scribe.studies.list(limit=2, cursor=first.cursor)
        assert [s.study_id for s in second.studies] == made[::-1][2:4]

        stat = await client.auto_scribe.studies.list(severity="stat")
        assert sorted(s.study_id for s in stat.studies) == sorted(made[1::2]) and stat.has_more is False
        await client.auto_scribe.studies.cancel(study_id=made[0])
        cancelled = await client.auto_scribe.studies.list(is_cancelled=True)
        assert [s.study_id for s in cancelled.studies] == [made[0]]
        statuses = await client.auto_scribe.studies.list(study_report_status=["assigned", "in_progress"])
        assert statuses.studies == []
        unassigned = await client.auto_scribe.studies.list(study_report_status=["unassigned", "assigned"])
        assert len(unassigned.studies) == 5
        assert (await client.auto_scribe.studies.list(study_type="external")).studies == []
        assert len((await client.auto_scribe.studies.list(study_type="standard")).studies) == 5


async def test_cancel_and_uncancel_answer_success_and_change_the_study(rest_url, clinic):
    async with sdk(rest_url, clinic.key) as client:
        study = await create_study(client)
        ack = await client.auto_scribe.studies.cancel(study_id=study.study_id)
        assert ack.success is True and ack.message
        fetched = await client.auto_scribe.studies.retrieve(study.study_id)
        assert fetched.is_cancelled is True and fetched.cancelled_at is not None
        ack = await client.auto_scribe.studies.uncancel(study_instance_uid=study.study_instance_uid)
        assert ack.success is True
        fetched = await client.auto_scribe.studies.retrieve(study.study_id)
        assert fetched.is_cancelled is False and fetched.cancelled_at is None


async def test_reroute_urls_assign_the_radiologist_and_open_the_study(rest_url, clinic, services, http):
    radiologist = await add_user(services, clinic.id)
    async with sdk(rest_url, clinic.key) as client:
        study = await create_study(client)
        link = await client.auto_scribe.studies.reroute_url(assigned_to_user_id=radiologist.id, study_id=study.study_id)
        assert link.url.startswith("http://testserver/reroute/")
        fetched = await client.auto_scribe.studies.retrieve(study.study_id)
        assert fetched.study_report_status == "assigned"
        assert (fetched.assigned_to.user_id, fetched.assigned_to.email) == (radiologist.id, radiologist.email)
        viewer = await client.auto_scribe.studies.viewer_only_reroute_url(
            study_instance_uid=study.study_instance_uid, user_id=radiologist.id)
        assert viewer.url.startswith("http://testserver/reroute/") and viewer.url != link.url
    opened = await http.get(viewer.url.removeprefix("http://testserver"))
    assert opened.status_code == 303, opened.text  # into the reading room, read-only
    assert hand_over(opened) == {"study": study.study_id, "session": session_token_in(opened), "mode": "viewer"}


async def test_another_clinics_study_is_not_found(rest_url, clinic, other_clinic):
    async with sdk(rest_url, other_clinic.key) as theirs, sdk(rest_url, clinic.key) as ours:
        study = await create_study(theirs)
        with pytest.raises(avara.NotFoundError) as found:
            await ours.auto_scribe.studies.retrieve(study.study_id)
        assert found.value.body["code"] == "NOT_FOUND" and found.value.body["field"] == "studyId"
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.studies.retrieve_by_uid(study.study_instance_uid)
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.studies.update(study.study_id, severity="stat")
        with pytest.raises(avara.NotFoundError):
            await ours.auto_scribe.studies.cancel(study_id=study.study_id)
        assert (await theirs.auto_scribe.studies.retrieve(study.study_id)).severity == "normal"
        assert (await theirs.auto_scribe.studies.retrieve(study.study_id)).is_cancelled is False


async def test_a_missing_or_bad_token_is_an_authentication_error(rest_url):
    async with sdk(rest_url, "ask_not-a-key") as client:
        with pytest.raises(avara.AuthenticationError) as refused:
            await client.auto_scribe.studies.list()
    assert refused.value.body["code"] == "UNAUTHENTICATED"
    async with httpx.AsyncClient(base_url=rest_url) as raw:
        response = await raw.get("/v1/autoScribe/studies")
    assert response.status_code == 401 and response.json()["code"] == "UNAUTHENTICATED"


async def test_a_user_without_the_right_is_permission_denied(rest_url, clinic, services):
    reader = await add_user(services, clinic.id, can_manage_studies=False)
    async with sdk(rest_url, session_token(services, reader)) as client:
        with pytest.raises(avara.PermissionDeniedError) as refused:
            await create_study(client)
    assert refused.value.body["code"] == "FORBIDDEN"


@pytest.mark.parametrize(("fields", "field"), [
    ({"study_instance_uid": "1.2.x"}, "studyInstanceUid"),
    ({"severity": "urgent"}, "severity"),
    ({"report_metadata": {"height": {"value": 170, "unit": "feet"}}}, "reportMetadata.height.unit"),
    ({"report_metadata": {"study_time": "25:00"}}, "reportMetadata.studyTime"),
    ({"assigned_to": "usr_nope"}, "assignedTo"),
])
async def test_bad_input_is_a_bad_request_naming_the_field(rest_url, clinic, services, fields, field):
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.BadRequestError) as refused:
            await create_study(client, **fields)
        assert refused.value.body["code"] == "BAD_USER_INPUT" and refused.value.body["field"] == field
        assert (await client.auto_scribe.studies.list()).studies == []


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 2.5}, "limit"), ({"severity": "loud"}, "severity"),
    ({"study_report_status": ["done"]}, "studyReportStatus"), ({"cursor": "forged"}, "cursor"),
])
async def test_bad_list_parameters_are_bad_requests_naming_them(rest_url, clinic, query, field):
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.BadRequestError) as refused:
            await client.auto_scribe.studies.list(**query)
    assert refused.value.body["field"] == field


async def test_a_conflict_is_sent_once_not_retried(rest_url, clinic):
    sent = Sent()
    # The SDK's default: two retries for a 409, unless the answer says x-should-retry: false.
    async with sdk(rest_url, clinic.key, max_retries=2, sent=sent) as client:
        study = await create_study(client)
        with pytest.raises(avara.ConflictError) as refused:
            await create_study(client, study_instance_uid=study.study_instance_uid)
    assert refused.value.response.headers["x-should-retry"] == "false"
    assert refused.value.body == {"code": "CONFLICT", "message": "A study with this studyInstanceUid exists.",
                                  "field": "studyInstanceUid"}
    assert sent.count("POST", "/v1/autoScribe/studies") == 2


@pytest.mark.parametrize(("body", "reason"), [
    (b"[1, 2]", "must be a JSON object"),
    (b'{"studyDescription": "\xff"}', "not valid UTF-8"),
    (b"[" * 100 + b"]" * 100, "nested deeper"),
    (b"{not json", "Not valid JSON"),
])
async def test_a_body_that_is_not_a_json_object_is_bad_input(rest_url, clinic, body, reason):
    async with httpx.AsyncClient(base_url=rest_url) as raw:
        response = await raw.post("/v1/autoScribe/studies", content=body,
                                  headers={"authorization": f"Bearer {clinic.key}", "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_USER_INPUT" and response.json()["field"] == "body"
    assert reason in response.json()["message"]


async def test_an_unexpected_failure_is_a_500_with_the_request_id_and_no_trace(rest_url, clinic, monkeypatch, caplog):
    from autoscribe.rest import views

    async with sdk(rest_url, clinic.key) as client:
        study = await create_study(client)

        async def broken(*_args):
            raise RuntimeError("secret internals")

        monkeypatch.setattr(views, "study", broken)
        with pytest.raises(avara.InternalServerError) as failed:
            await client.auto_scribe.studies.retrieve(study.study_id)
    response = failed.value.response
    request_id = response.headers["x-request-id"]
    assert failed.value.body["code"] == "INTERNAL_SERVER_ERROR" and request_id in failed.value.body["message"]
    assert "secret internals" not in response.text
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_the_readme_example_against_autoscribe_serve(database_url, services, clinic, tmp_path):
    """README "Using the avara SDK": the sync client against `autoscribe serve` in its own process."""
    import asyncio

    from tests.support.live_server import ServeProcess

    server = await ServeProcess(database_url, log=tmp_path / "serve.log").start()
    try:
        def example() -> tuple[str, list[str]]:
            with avara.Avara(api_key=clinic.key, base_url=f"http://{server.host}", _strict_response_validation=True) as client:
                study = client.auto_scribe.studies.create(
                    study_instance_uid=unique_uid(), study_description="CT Head", severity="stat",
                    report_metadata={"patient_name": "Doe^Jane"})
                return study.study_id, [s.study_id for s in client.auto_scribe.studies.list(limit=10)]

        study_id, listed = await asyncio.to_thread(example)
    finally:
        server.stop()
    assert listed == [study_id]
