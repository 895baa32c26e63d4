"""The report workflow of SPEC §3 through the API: start, save, sign, addenda, and every refusal."""

from __future__ import annotations

from autoscribe.operations.authentication import mint_session_token
from autoscribe.db.enums import UserStatus
from autoscribe.db.ids import new_id
from tests.support.clinics import add_user
from tests.support.reports_helpers import (
    ADDENDUM,
    CANCEL_ADDENDUM,
    REPORT_BY_ID,
    SAVE,
    SIGN,
    START,
    events_of,
    new_study,
    radiologist,
    report_count,
    sign,
    signed_report,
    start,
    stored_report,
    stored_study,
    study_state,
)

UPDATE_STUDY = "mutation($id: ID!, $input: UpdateStudyInput!) { updateStudy(id: $id, input: $input) { id } }"
CANCEL_STUDY = "mutation($id: ID!) { cancelStudy(id: $id) { studyReportStatus isCancelled } }"
UNCANCEL_STUDY = "mutation($id: ID!) { uncancelStudy(id: $id) { studyReportStatus isCancelled } }"
REPORTS = """query($s: ID, $u: String) { reports(studyId: $s, studyInstanceUid: $u) {
    id isAddendum status plainText parentReport { id } } }"""


# The whole way through -------------------------------------------------------------------------


async def test_a_radiologist_dictates_signs_and_amends_a_study(api, services, clinic):
    user, token = await radiologist(services, clinic, first_name="Jane", last_name="Smith", suffix1="MD")
    study = await new_study(api, clinic)

    report = await start(api, token, study["id"])
    assert report["status"] == "IN_PROGRESS"
    assert (report["studyId"], report["userId"], report["author"]["id"]) == (study["id"], user.id, user.id)
    assert report["isAddendum"] is False and report["parentReport"] is None
    assert report["isCritical"] is None and report["signedAt"] is None and report["plainText"] is None
    assert report["pdfUrl"] is None
    assert report["snapshotMetadata"]["patientName"] == "Doe^Jane"
    state = await study_state(api, clinic, study["id"])
    assert state["studyReportStatus"] == "IN_PROGRESS"
    assert state["assignedTo"] == {"id": user.id}, "an unassigned study is assigned on start"
    assert state["isCritical"] is None
    assert state["reportIds"] == [{"reportId": report["id"], "status": "IN_PROGRESS", "isCritical": None}]

    saved = (await api.ok(SAVE, {"id": report["id"], "t": "FINDINGS: draft"}, token=token))["saveReportDraft"]
    assert saved["plainText"] == "FINDINGS: draft" and saved["status"] == "IN_PROGRESS"
    saved = (await api.ok(SAVE, {"id": report["id"], "t": "FINDINGS: nodule."}, token=token))["saveReportDraft"]
    assert saved["plainText"] == "FINDINGS: nodule."

    # Signing without text signs the draft.
    signed = (await api.ok(SIGN, {"id": report["id"], "c": True}, token=token))["signReport"]
    assert signed["status"] == "COMPLETED" and signed["isCritical"] is True
    assert signed["plainText"] == "FINDINGS: nodule." and signed["signedAt"] is not None
    assert signed["pdfUrl"].startswith(f"http://testserver/files/reports/{report['id']}.pdf?token=")
    row = await stored_report(services, report["id"])
    assert (row.signer_name, row.signer_npi) == ("Jane Smith, MD", user.npi_number)
    state = await study_state(api, clinic, study["id"])
    assert state["studyReportStatus"] == "COMPLETED" and state["isCritical"] is True

    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    assert addendum["isAddendum"] is True and addendum["status"] == "IN_PROGRESS"
    assert addendum["parentReport"] == {"id": report["id"]} and addendum["userId"] == user.id
    assert (await study_state(api, clinic, study["id"]))["studyReportStatus"] == "ADDENDUM_ACTIVE"

    amended = await sign(api, token, addendum["id"], text="ADDENDUM: nodule is benign.", critical=False)
    assert amended["status"] == "COMPLETED" and amended["isCritical"] is False
    state = await study_state(api, clinic, study["id"])
    assert state["studyReportStatus"] == "COMPLETED"
    assert state["isCritical"] is True, "an addendum never changes the study's isCritical"
    original = (await api.ok(REPORT_BY_ID, {"id": report["id"]}, token=token))["report"]
    assert original["plainText"] == "FINDINGS: nodule." and original["isCritical"] is True
    assert original["signedAt"] == signed["signedAt"] and original["updatedAt"] == signed["updatedAt"]

    # An addendum of the addendum, and the order of the study's reports.
    second = (await api.ok(ADDENDUM, {"id": addendum["id"]}, token=token))["createReportAddendum"]
    await sign(api, token, second["id"], text="ADDENDUM 2.")
    state = await study_state(api, clinic, study["id"])
    assert [r["id"] for r in state["reports"]] == [report["id"], addendum["id"], second["id"]]
    assert [r["reportId"] for r in state["reportIds"]] == [report["id"], addendum["id"], second["id"]]
    assert [r["isCritical"] for r in state["reportIds"]] == [True, False, False]


async def test_an_api_key_dictates_for_a_named_radiologist(api, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, clinic.key, study["id"], user.id)
    assert report["userId"] == user.id
    await api.ok(SAVE, {"id": report["id"], "t": "draft"}, token=clinic.key)
    await sign(api, clinic.key, report["id"], text="Signed for the radiologist.")

    # Another radiologist amends by session; the API key amends in the name of the parent's author.
    other, other_token = await radiologist(services, clinic)
    by_other = (await api.ok(ADDENDUM, {"id": report["id"]}, token=other_token))["createReportAddendum"]
    assert by_other["userId"] == other.id
    await api.ok(CANCEL_ADDENDUM, {"id": by_other["id"]}, token=other_token)
    by_key = (await api.ok(ADDENDUM, {"id": report["id"]}, token=clinic.key))["createReportAddendum"]
    assert by_key["userId"] == user.id


async def test_reports_query_by_study_id_or_uid_and_report_by_id(api, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    by_id = (await api.ok(REPORTS, {"s": study["id"]}, token=token))["reports"]
    by_uid = (await api.ok(REPORTS, {"u": study["studyInstanceUid"]}, token=token))["reports"]
    assert by_id == by_uid
    assert [(r["id"], r["isAddendum"]) for r in by_id] == [(report["id"], False), (addendum["id"], True)]
    assert (await api.ok(REPORTS, {"s": new_id("study")}, token=token))["reports"] == []
    assert (await api.ok(REPORTS, {"u": "9.9.9"}, token=token))["reports"] == []
    for variables in ({}, {"s": study["id"], "u": study["studyInstanceUid"]}):
        err = await api.error(REPORTS, variables, token=token)
        assert err["code"] == "BAD_USER_INPUT"
    err = await api.error(REPORTS, {"s": "stu_nope"}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "studyId")

    assert (await api.ok(REPORT_BY_ID, {"id": report["id"]}, token=token))["report"]["id"] == report["id"]
    assert (await api.ok(REPORT_BY_ID, {"id": new_id("report")}, token=token))["report"] is None
    err = await api.error(REPORT_BY_ID, {"id": study["id"]}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "id")


async def test_snapshot_metadata_never_follows_the_study(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    await api.ok(
        UPDATE_STUDY,
        {"id": study["id"], "input": {"reportMetadata": {"patientName": "Roe^Richard", "mrn": None}}},
        token=clinic.key,
    )
    again = (await api.ok(REPORT_BY_ID, {"id": report["id"]}, token=token))["report"]
    assert again["snapshotMetadata"] == {"patientName": "Doe^Jane", "mrn": "MRN-0042", "facilityName": "Northside Main Campus"}
    signed = await sign(api, token, report["id"])
    assert signed["snapshotMetadata"]["patientName"] == "Doe^Jane"
    # An addendum snapshots the metadata as it is when the addendum starts.
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    assert addendum["snapshotMetadata"]["patientName"] == "Roe^Richard"
    assert addendum["snapshotMetadata"]["mrn"] is None


async def test_every_transition_writes_its_event(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    await api.ok(SAVE, {"id": report["id"], "t": "draft"}, token=token)
    await sign(api, token, report["id"], critical=True)
    first = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    await api.ok(CANCEL_ADDENDUM, {"id": first["id"]}, token=token)
    second = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    await sign(api, token, second["id"])

    events = await events_of(services, study["id"])
    assert [(e.kind, e.report_id, e.status_before, e.status_after) for e in events] == [
        ("study.created", None, None, "UNASSIGNED"),
        ("report.started", report["id"], "UNASSIGNED", "IN_PROGRESS"),
        ("report.draft_saved", report["id"], "IN_PROGRESS", "IN_PROGRESS"),
        ("report.signed", report["id"], "IN_PROGRESS", "COMPLETED"),
        ("addendum.created", first["id"], "COMPLETED", "ADDENDUM_ACTIVE"),
        ("addendum.cancelled", first["id"], "ADDENDUM_ACTIVE", "COMPLETED"),
        ("addendum.created", second["id"], "COMPLETED", "ADDENDUM_ACTIVE"),
        ("addendum.signed", second["id"], "ADDENDUM_ACTIVE", "COMPLETED"),
    ]
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))
    started = events[1]
    assert started.before["assignedTo"] is None and started.after["assignedTo"] == user.id
    assert all(e.clinic_id == clinic.id for e in events)


# Addenda ----------------------------------------------------------------------------------------


async def test_cancelling_an_addendum_discards_it_and_leaves_the_original(api, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic, text="Original.", critical=True)
    before = await stored_report(services, report["id"])

    for given in ("own", "parent"):
        addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
        await api.ok(SAVE, {"id": addendum["id"], "t": "to be discarded"}, token=token)
        key = addendum["id"] if given == "own" else report["id"]
        cancelled = (await api.ok(CANCEL_ADDENDUM, {"id": key}, token=token))["cancelReportAddendum"]
        assert cancelled["id"] == addendum["id"] and cancelled["plainText"] == "to be discarded"
        assert cancelled["status"] == "IN_PROGRESS" and cancelled["parentReport"] == {"id": report["id"]}
        assert await stored_report(services, addendum["id"]) is None
        assert (await api.ok(REPORT_BY_ID, {"id": addendum["id"]}, token=token))["report"] is None
        state = await study_state(api, clinic, study["id"])
        assert state["studyReportStatus"] == "COMPLETED" and state["isCritical"] is True
        assert [r["id"] for r in state["reports"]] == [report["id"]]

    after = await stored_report(services, report["id"])
    assert (after.plain_text, after.is_critical, after.signed_at, after.updated_at) == (
        before.plain_text, before.is_critical, before.signed_at, before.updated_at,
    )


async def test_addendum_refusals(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])

    err = await api.error(ADDENDUM, {"id": report["id"]}, token=token)
    assert (err["code"], err["field"]) == ("CONFLICT", "reportId"), "an in-progress report cannot be amended"
    err = await api.error(CANCEL_ADDENDUM, {"id": report["id"]}, token=token)
    assert err["code"] == "CONFLICT", "nothing to cancel"

    await sign(api, token, report["id"])
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    for target in (report["id"], addendum["id"]):
        err = await api.error(ADDENDUM, {"id": target}, token=token)
        assert err["code"] == "CONFLICT", "one addendum open at a time"
    assert await report_count(services, study["id"]) == 2

    # Only the addendum's author (or an API key) cancels or signs it.
    other, other_token = await radiologist(services, clinic)
    for query, variables in (
        (CANCEL_ADDENDUM, {"id": addendum["id"]}),
        (SAVE, {"id": addendum["id"], "t": "mine now"}),
        (SIGN, {"id": addendum["id"], "c": False, "t": "mine now"}),
    ):
        assert (await api.error(query, variables, token=other_token))["code"] == "FORBIDDEN"
    no_right, no_right_token = await radiologist(services, clinic, can_create_reports=False, npi_number=None)
    assert (await api.error(CANCEL_ADDENDUM, {"id": addendum["id"]}, token=no_right_token))["code"] == "FORBIDDEN"
    assert (await stored_report(services, addendum["id"])).plain_text is None
    await api.ok(CANCEL_ADDENDUM, {"id": addendum["id"]}, token=clinic.key)

    # Not a report of this clinic, or not a report ID at all.
    assert (await api.error(ADDENDUM, {"id": new_id("report")}, token=token))["code"] == "NOT_FOUND"
    err = await api.error(ADDENDUM, {"id": study["id"]}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "reportId")
    assert (await api.error(ADDENDUM, {"id": report["id"]}, token=no_right_token))["code"] == "FORBIDDEN"


async def test_an_api_key_cannot_amend_for_an_author_who_lost_access(api, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    async with services.db.write() as session:
        (await session.get(type(user), user.id)).status = UserStatus.REVOKED
    err = await api.error(ADDENDUM, {"id": report["id"]}, token=clinic.key)
    assert err["code"] == "CONFLICT"
    assert await report_count(services, study["id"]) == 1


# Refusals of start, save and sign ----------------------------------------------------------------


async def test_start_refusals_change_nothing(api, services, clinic):
    user, token = await radiologist(services, clinic)
    other, other_token = await radiologist(services, clinic)
    study = await new_study(api, clinic)

    async def refused(token_, study_id, user_id=None) -> dict:
        return await api.error(START, {"s": study_id, "u": user_id}, token=token_)

    viewer_token = mint_session_token(services.signer, user, 600, read_only=True)[0]
    no_right, no_right_token = await radiologist(services, clinic, can_create_reports=False, npi_number=None)
    invited = await add_user(services, clinic.id, status=UserStatus.INVITED)

    cases = [
        (await refused(no_right_token, study["id"]), "FORBIDDEN", None),
        (await refused(viewer_token, study["id"]), "FORBIDDEN", None),
        (await refused(token, study["id"], other.id), "FORBIDDEN", None),
        (await refused(clinic.key, study["id"]), "BAD_USER_INPUT", "userId"),
        (await refused(clinic.key, study["id"], no_right.id), "BAD_USER_INPUT", "userId"),
        (await refused(clinic.key, study["id"], invited.id), "BAD_USER_INPUT", "userId"),
        (await refused(clinic.key, study["id"], new_id("user")), "BAD_USER_INPUT", "userId"),
        (await refused(clinic.key, study["id"], "usr_x"), "BAD_USER_INPUT", "userId"),
        (await refused(token, "stu_x"), "BAD_USER_INPUT", "studyId"),
        (await refused(token, new_id("study")), "NOT_FOUND", "studyId"),
    ]
    for err, code, field in cases:
        assert err["code"] == code, err
        if field:
            assert err["field"] == field, err
    assert await report_count(services, study["id"]) == 0
    state = await study_state(api, clinic, study["id"])
    assert state["studyReportStatus"] == "UNASSIGNED" and state["assignedTo"] is None

    # Assigned to another radiologist.
    await api.ok(UPDATE_STUDY, {"id": study["id"], "input": {"assignedTo": other.id}}, token=clinic.key)
    err = await refused(token, study["id"])
    assert (err["code"], err["field"]) == ("CONFLICT", "studyId")
    assert (await refused(clinic.key, study["id"], user.id))["code"] == "CONFLICT"
    assert await report_count(services, study["id"]) == 0

    # Already started, then completed.
    report = await start(api, other_token, study["id"])
    assert (await refused(other_token, study["id"]))["code"] == "CONFLICT"
    await sign(api, other_token, report["id"])
    assert (await refused(other_token, study["id"]))["code"] == "CONFLICT"
    await api.ok(ADDENDUM, {"id": report["id"]}, token=other_token)
    assert (await refused(other_token, study["id"]))["code"] == "CONFLICT"
    assert await report_count(services, study["id"]) == 2


async def test_save_and_sign_refusals(api, services, clinic):
    user, token = await radiologist(services, clinic)
    other, other_token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    await api.ok(SAVE, {"id": report["id"], "t": "draft"}, token=token)

    viewer_token = mint_session_token(services.signer, user, 600, read_only=True)[0]
    for bad_token in (other_token, viewer_token):
        assert (await api.error(SAVE, {"id": report["id"], "t": "x"}, token=bad_token))["code"] == "FORBIDDEN"
        assert (await api.error(SIGN, {"id": report["id"], "c": True, "t": "x"}, token=bad_token))["code"] == "FORBIDDEN"
    err = await api.error(SAVE, {"id": "rep_1", "t": "x"}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "id")
    err = await api.error(SIGN, {"id": new_id("report"), "c": True, "t": "x"}, token=token)
    assert (err["code"], err["field"]) == ("NOT_FOUND", "id")
    err = await api.error(SAVE, {"id": report["id"], "t": "x" * 100_001}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "plainText")
    for text in ("", "   \n "):
        err = await api.error(SIGN, {"id": report["id"], "c": False, "t": text}, token=token)
        assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "plainText")
    row = await stored_report(services, report["id"])
    assert (row.status.value, row.plain_text) == ("IN_PROGRESS", "draft")
    assert (await study_state(api, clinic, study["id"]))["studyReportStatus"] == "IN_PROGRESS"

    # Signed text never changes.
    await sign(api, token, report["id"], text="Final.")
    assert (await api.error(SAVE, {"id": report["id"], "t": "changed"}, token=token))["code"] == "CONFLICT"
    assert (await api.error(SIGN, {"id": report["id"], "c": True, "t": "changed"}, token=token))["code"] == "CONFLICT"
    assert (await api.error(SIGN, {"id": report["id"], "c": True, "t": "changed"}, token=clinic.key))["code"] == "CONFLICT"
    row = await stored_report(services, report["id"])
    assert (row.plain_text, row.is_critical) == ("Final.", False)
    assert (await study_state(api, clinic, study["id"]))["isCritical"] is False


async def test_a_report_without_any_text_cannot_be_signed(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    err = await api.error(SIGN, {"id": report["id"], "c": False}, token=token)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "plainText")
    assert (await stored_report(services, report["id"])).status.value == "IN_PROGRESS"


async def test_the_signature_is_frozen_at_signing(api, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    async with services.db.write() as session:
        row = await session.get(type(user), user.id)
        row.last_name, row.npi_number = "Byron", None
    stored = await stored_report(services, report["id"])
    assert (stored.signer_name, stored.signer_npi) == ("Ada Lovelace", user.npi_number)


# Assignment, cancellation ----------------------------------------------------------------------


async def test_assignment_is_fixed_while_a_report_is_in_progress(api, services, clinic):
    user, token = await radiologist(services, clinic)
    other, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic, assignedTo=user.id)
    report = await start(api, token, study["id"])
    for assigned in (other.id, None):
        err = await api.error(UPDATE_STUDY, {"id": study["id"], "input": {"assignedTo": assigned}}, token=clinic.key)
        assert err["code"] == "CONFLICT"
    await sign(api, token, report["id"])
    err = await api.error(UPDATE_STUDY, {"id": study["id"], "input": {"assignedTo": other.id}}, token=clinic.key)
    assert err["code"] == "CONFLICT"
    state = await study_state(api, clinic, study["id"])
    assert state["assignedTo"] == {"id": user.id} and state["studyReportStatus"] == "COMPLETED"


async def test_no_dictation_on_a_cancelled_study_and_uncancel_restores_it(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    fresh = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    await api.ok(SAVE, {"id": report["id"], "t": "draft"}, token=token)

    cancelled = (await api.ok(CANCEL_STUDY, {"id": study["id"]}, token=clinic.key))["cancelStudy"]
    assert cancelled == {"studyReportStatus": "IN_PROGRESS", "isCancelled": True}
    await api.ok(CANCEL_STUDY, {"id": fresh["id"]}, token=clinic.key)
    assert (await api.error(START, {"s": fresh["id"]}, token=token))["code"] == "CONFLICT"
    assert (await api.error(SAVE, {"id": report["id"], "t": "more"}, token=token))["code"] == "CONFLICT"
    assert (await api.error(SIGN, {"id": report["id"], "c": False}, token=token))["code"] == "CONFLICT"
    assert await report_count(services, fresh["id"]) == 0
    assert (await stored_report(services, report["id"])).plain_text == "draft"

    restored = (await api.ok(UNCANCEL_STUDY, {"id": study["id"]}, token=clinic.key))["uncancelStudy"]
    assert restored == {"studyReportStatus": "IN_PROGRESS", "isCancelled": False}
    await sign(api, token, report["id"])

    # A completed study cancelled: no addendum until it is restored.
    await api.ok(CANCEL_STUDY, {"id": study["id"]}, token=clinic.key)
    assert (await api.error(ADDENDUM, {"id": report["id"]}, token=token))["code"] == "CONFLICT"
    restored = (await api.ok(UNCANCEL_STUDY, {"id": study["id"]}, token=clinic.key))["uncancelStudy"]
    assert restored["studyReportStatus"] == "COMPLETED"
    await api.ok(ADDENDUM, {"id": report["id"]}, token=token)
    assert (await stored_study(services, study["id"])).study_report_status.value == "ADDENDUM_ACTIVE"


# Tenancy ----------------------------------------------------------------------------------------


async def test_another_clinics_reports_do_not_exist(api, services, clinic, other_clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    outsider, outsider_token = await radiologist(services, other_clinic)

    for bearer in (other_clinic.key, outsider_token):
        assert (await api.ok(REPORT_BY_ID, {"id": report["id"]}, token=bearer))["report"] is None
        assert (await api.ok(REPORTS, {"s": study["id"]}, token=bearer))["reports"] == []
        assert (await api.ok(REPORTS, {"u": study["studyInstanceUid"]}, token=bearer))["reports"] == []
        node = await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": report["id"]}, token=bearer)
        assert node["node"] is None
    start_args = {"s": study["id"], "u": outsider.id}
    cases = [
        (START, start_args, other_clinic.key),
        (START, {"s": study["id"]}, outsider_token),
        (SAVE, {"id": report["id"], "t": "x"}, other_clinic.key),
        (SIGN, {"id": report["id"], "c": True, "t": "x"}, other_clinic.key),
        (ADDENDUM, {"id": report["id"]}, other_clinic.key),
        (ADDENDUM, {"id": report["id"]}, outsider_token),
        (CANCEL_ADDENDUM, {"id": report["id"]}, other_clinic.key),
    ]
    for query, variables, bearer in cases:
        assert (await api.error(query, variables, token=bearer))["code"] == "NOT_FOUND", query
    # And a radiologist of this clinic cannot be named by another clinic's key.
    other_study = await new_study(api, other_clinic)
    err = await api.error(START, {"s": other_study["id"], "u": user.id}, token=other_clinic.key)
    assert (err["code"], err["field"]) == ("BAD_USER_INPUT", "userId")
    assert await report_count(services, study["id"]) == 1
    assert await report_count(services, other_study["id"]) == 0


async def test_no_token_is_unauthenticated(api, services, clinic):
    study = await new_study(api, clinic)
    err = await api.error(START, {"s": study["id"]})
    assert err["code"] == "UNAUTHENTICATED"
    assert await report_count(services, study["id"]) == 0
