"""A reroute link's session is bound to its study (SPEC §5): it reads that study, its reports and
priors, and (dictation only) works that study's report; everything else behaves as another
clinic's object, in queries, mutations and subscriptions."""

from __future__ import annotations

from dataclasses import dataclass

from autoscribe.db.models import Invitation, Report, Study
from tests.support.clinics import session_token
from tests.support.live_helpers import CANCEL, UPDATE, WORKLIST, cursor_at, update
from tests.support.people_helpers import (
    INVITE,
    REACTIVATE_USER,
    REVOKE_INVITATION,
    REVOKE_USER,
    SESSION,
    UPDATE_INVITATION,
    UPDATE_USER,
    count,
    invite,
    invite_and_accept,
    invite_input,
    stored_user,
)
from tests.support.reports_helpers import (
    ADDENDUM,
    CANCEL_ADDENDUM,
    CREATE_STUDY,
    SAVE,
    SIGN,
    START,
    events_of,
    new_study,
    radiologist,
    sign,
    start,
    unique_uid,
)
from tests.support.reroute_helpers import REROUTE, VIEWER, dictation_link, open_link, viewer_link
from tests.support.ws_client import GraphQLWS

PRIORS = [{"reportText": "Prior CT: no nodules.", "modality": "CT", "studyDate": "2025-01-02"}]

# Everything a session might reach outside its study, in one request.
OUTSIDE = """query($other: ID!, $otherUid: String!, $otherReport: ID!, $reported: ID!, $admin: ID!, $inv: ID!) {
  byId: study(id: $other) { id }
  byUid: study(studyInstanceUid: $otherUid) { id }
  report(id: $otherReport) { id }
  reports(studyId: $reported) { id }
  studyNode: node(id: $other) { id }
  reportNode: node(id: $otherReport) { id }
  userNode: node(id: $admin) { id }
  invitationNode: node(id: $inv) { id }
  user(id: $admin) { id email npiNumber }
  invitation(id: $inv) { id }
  studies(first: 100) { nodes { id } }
  worklist: studies(first: 100, orderBy: PRIORITY, filter: {isCancelled: false}) { nodes { id } }
  users(first: 100) { nodes { id email npiNumber } }
  invitations(first: 100) { nodes { id } }
  me { user { id invitations { id } assignedStudies(first: 100) { nodes { id } } } }
}"""
LINKED = """query($id: ID!) { study(id: $id) {
  id studyReportStatus priorReports { reportText modality studyDate }
  assignedTo { id assignedStudies(first: 100) { nodes { id } } invitations { id } }
  reports { id status isAddendum author { id } study { id } parentReport { id } } } }"""


@dataclass
class Scene:
    study: dict  # the linked study
    other: dict  # an unrelated, unassigned study the dictating user could otherwise start
    drafting: dict  # a report the dictating user has in progress on another study
    signed: dict  # a report the dictating user signed on another study
    admin_id: str
    dictator_id: str
    viewer_id: str
    invitation_id: str
    full: str  # the dictating user's own full session, for comparison
    dictation: str  # the sessions the two links opened
    viewer: str


async def scene(api, http, services, clinic) -> Scene:
    """Users with every right (so that what is refused is refused by the scope, not by rights), a
    linked study with priors, and, outside it, studies and reports the dictating user could reach."""
    key = clinic.key
    rights = {"level": "ADMIN", "canManageStudies": True, "hasDashboardAccess": True}
    admin = await invite_and_accept(api, key, "admin@example.com", npiNumber="1245319599", **rights)
    dictator = await invite_and_accept(api, key, "dictator@example.com", **rights)
    viewer = await invite_and_accept(api, key, "viewer@example.com", **rights)
    invited = await invite(api, key, "pending@example.com")
    full = session_token(services, await stored_user(services, dictator["id"]))

    study = await new_study(api, clinic, priorReports=PRIORS)
    other = await new_study(api, clinic)
    drafting = await start(api, full, (await new_study(api, clinic))["id"])
    signed = await sign(api, full, (await start(api, full, (await new_study(api, clinic))["id"]))["id"])
    dictation = await open_link(http, await dictation_link(api, key, study["id"], dictator["id"]))
    viewing = await open_link(http, await viewer_link(api, key, study["id"], viewer["id"]))
    return Scene(
        study, other, drafting, signed, admin["id"], dictator["id"], viewer["id"],
        invited["invitations"][0]["id"], full, dictation, viewing,
    )


def _outside(s: Scene) -> dict:
    return {"other": s.other["id"], "otherUid": s.other["studyInstanceUid"], "otherReport": s.signed["id"],
            "reported": s.signed["study"]["id"], "admin": s.admin_id, "inv": s.invitation_id}


async def test_a_reroute_session_reads_nothing_outside_its_study(api, http, services, clinic):
    s = await scene(api, http, services, clinic)
    # The same user's own session reaches all of it (and its answer is in the response cache now).
    full = await api.ok(OUTSIDE, _outside(s), token=s.full)
    assert full["byId"] and full["byUid"] and full["report"] and full["reports"] and full["user"]["email"]
    assert full["studyNode"] and full["reportNode"] and full["userNode"] and full["invitationNode"]
    assert full["invitation"] and full["invitations"]["nodes"] and full["me"]["user"]["invitations"]
    assert len(full["studies"]["nodes"]) == 4 and len(full["users"]["nodes"]) == 4

    for session, people in ((s.dictation, {s.dictator_id}), (s.viewer, {s.viewer_id, s.dictator_id})):
        data = await api.ok(OUTSIDE, _outside(s), token=session)
        for lookup in ("byId", "byUid", "report", "studyNode", "reportNode", "userNode", "invitationNode",
                       "user", "invitation"):
            assert data[lookup] is None, (lookup, data[lookup])
        assert data["reports"] == []
        assert data["studies"]["nodes"] == [{"id": s.study["id"]}]
        assert data["worklist"]["nodes"] == [{"id": s.study["id"]}]
        assert data["invitations"]["nodes"] == []
        # No one's e-mail or NPI but the people of the study: the session's own user and the
        # radiologist the study is assigned to (whose name and NPI its signed report carries).
        assert {u["id"] for u in data["users"]["nodes"]} == people
        assert "admin@example.com" not in str(data) and "1245319599" not in str(data)
        me = data["me"]["user"]
        assert me["invitations"] == []
        assert me["assignedStudies"]["nodes"] == ([{"id": s.study["id"]}] if session is s.dictation else [])


async def test_a_reroute_session_reads_its_study_reports_and_priors(api, http, services, clinic):
    s = await scene(api, http, services, clinic)
    report = await start(api, s.dictation, s.study["id"])
    for session in (s.dictation, s.viewer):
        study = (await api.ok(LINKED, {"id": s.study["id"]}, token=session))["study"]
        assert study["priorReports"] == PRIORS
        assert study["assignedTo"]["id"] == s.dictator_id
        # The assignee's worklist, as far as this session goes: this study; its invitations: none.
        assert study["assignedTo"]["assignedStudies"]["nodes"] == [{"id": s.study["id"]}]
        assert study["assignedTo"]["invitations"] == []
        assert study["reports"] == [{
            "id": report["id"], "status": "IN_PROGRESS", "isAddendum": False, "author": {"id": s.dictator_id},
            "study": {"id": s.study["id"]}, "parentReport": None,
        }]
        by_id = await api.ok("query($id: ID!) { report(id: $id) { id } node(id: $id) { id } }",
                             {"id": report["id"]}, token=session)
        assert by_id == {"report": {"id": report["id"]}, "node": {"id": report["id"]}}


async def test_a_dictation_session_works_its_own_study_s_report(api, http, services, clinic):
    s = await scene(api, http, services, clinic)
    token, study_id = s.dictation, s.study["id"]
    report = await start(api, token, study_id)
    assert (report["userId"], report["status"]) == (s.dictator_id, "IN_PROGRESS")
    saved = (await api.ok(SAVE, {"id": report["id"], "t": "FINDINGS: clear."}, token=token))["saveReportDraft"]
    assert saved["plainText"] == "FINDINGS: clear."
    signed = await sign(api, token, report["id"])
    assert (signed["status"], signed["study"]["studyReportStatus"]) == ("COMPLETED", "COMPLETED")

    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    assert addendum["parentReport"] == {"id": report["id"]}
    await api.ok(SAVE, {"id": addendum["id"], "t": "Addendum draft."}, token=token)
    await api.ok(CANCEL_ADDENDUM, {"id": report["id"]}, token=token)
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    signed = await sign(api, token, addendum["id"], text="ADDENDUM: see prior.")
    assert (signed["isAddendum"], signed["study"]["studyReportStatus"]) == (True, "COMPLETED")
    assert [e.kind for e in await events_of(services, study_id)] == [
        "study.created", "study.assigned", "report.started", "report.draft_saved", "report.signed",
        "addendum.created", "report.draft_saved", "addendum.cancelled", "addendum.created", "addendum.signed",
    ]


def _mutations(s: Scene) -> list[tuple[str, str, dict]]:
    """(name, document, variables) of every mutation, aimed at the linked study or, for report
    mutations, at the objects outside it."""
    study_input = {"studyInstanceUid": unique_uid(), "studyDescription": "MR Knee", "severity": "NORMAL",
                   "reportMetadata": {}}
    return [
        ("startReport", START, {"s": s.other["id"]}),
        ("saveReportDraft", SAVE, {"id": s.drafting["id"], "t": "overwritten"}),
        ("signReport", SIGN, {"id": s.drafting["id"], "c": True, "t": "signed by another"}),
        ("createReportAddendum", ADDENDUM, {"id": s.signed["id"]}),
        ("cancelReportAddendum", CANCEL_ADDENDUM, {"id": s.signed["id"]}),
        ("createStudy", CREATE_STUDY, {"input": study_input}),
        ("updateStudy", UPDATE, {"id": s.study["id"], "input": {"modality": "MR"}}),
        ("cancelStudy", CANCEL, {"id": s.study["id"]}),
        ("createRerouteUrl", REROUTE, {"id": s.study["id"], "u": s.dictator_id}),
        ("createViewerOnlyRerouteUrl", VIEWER, {"id": s.study["id"]}),
        ("updateUser", UPDATE_USER, {"id": s.dictator_id, "input": {"firstName": "Eve"}}),
        ("revokeUserAccess", REVOKE_USER, {"id": s.admin_id}),
        ("reactivateUser", REACTIVATE_USER, {"id": s.admin_id}),
        ("inviteUser", INVITE, {"input": invite_input("new@example.com")}),
        ("updateInvitation", UPDATE_INVITATION, {"id": s.invitation_id, "input": {"firstName": "Eve"}}),
        ("revokeInvitation", REVOKE_INVITATION, {"id": s.invitation_id}),
        ("createUserSession", SESSION, {"userId": s.dictator_id, "ttl": 600}),
    ]


async def _footprint(services, clinic, s: Scene) -> tuple:
    """What any of the mutations would have changed."""
    studies = (s.study["id"], s.other["id"], s.drafting["study"]["id"], s.signed["study"]["id"])
    return (
        [[e.kind for e in await events_of(services, i)] for i in studies],
        await count(services, Report, clinic.id),
        await count(services, Study, clinic.id),
        await count(services, Invitation, clinic.id),
        [(u.status, u.first_name) for u in [await stored_user(services, i) for i in (s.admin_id, s.dictator_id)]],
    )


async def test_a_reroute_session_changes_nothing_outside_its_report(api, http, services, clinic):
    s = await scene(api, http, services, clinic)
    before = await _footprint(services, clinic, s)
    # Report mutations on objects outside the study: as if they did not exist.
    outside = {"startReport", "saveReportDraft", "signReport", "createReportAddendum", "cancelReportAddendum"}
    for name, document, variables in _mutations(s):
        err = await api.error(document, variables, token=s.dictation)
        assert err["code"] == ("NOT_FOUND" if name in outside else "FORBIDDEN"), (name, err)
        # A viewer's session changes nothing at all.
        assert (await api.error(document, variables, token=s.viewer))["code"] == "FORBIDDEN", name
    for document, variables in ((START, {"s": s.study["id"]}), (START, {"s": s.study["id"], "u": s.dictator_id})):
        assert (await api.error(document, variables, token=s.viewer))["code"] == "FORBIDDEN"
    assert await _footprint(services, clinic, s) == before
    # The refusals are the scope's: the user's own session may do what the link's may not.
    assert (await start(api, s.full, s.other["id"]))["userId"] == s.dictator_id


async def test_a_reroute_session_s_subscriptions_carry_only_its_study(ws_url, api, http, services, clinic):
    s = await scene(api, http, services, clinic)
    key, study_id = clinic.key, s.study["id"]
    status = """subscription($s: ID, $a: String) { reportStatusChanged(studyId: $s, after: $a) {
        study { id assignedTo { id invitations { id } } } } }"""
    # A radiologist whose rights are those of the dictation session but for its study.
    _, plain_token = await radiologist(services, clinic)
    async with (
        GraphQLWS.connect(ws_url, token=s.full) as mine,
        GraphQLWS.connect(ws_url, token=plain_token) as plain,
        GraphQLWS.connect(ws_url, token=s.dictation) as linked,
        GraphQLWS.connect(ws_url, token=s.viewer) as viewing,
    ):
        # The same document from now on, by sessions of the clinic and by the links'.
        full_live = await mine.subscribe(WORKLIST)
        plain_live = await plain.subscribe(WORKLIST)
        linked_live = await linked.subscribe(WORKLIST)
        viewer_live = await viewing.subscribe(WORKLIST)
        # Replays of the whole log, of the clinic and of another study.
        replay = await linked.subscribe(WORKLIST, {"a": cursor_at(clinic.id, 0)})
        statuses = await linked.subscribe(status, {"a": cursor_at(clinic.id, 0)})
        other_status = await viewing.subscribe(status, {"s": s.other["id"], "a": cursor_at(clinic.id, 0)})

        events = [e["worklist"]["study"]["id"] for e in await replay.take(2)]
        assert events == [study_id, study_id]  # created, assigned: nothing of the other studies
        changes = await statuses.take(2)
        assert [c["reportStatusChanged"]["study"]["id"] for c in changes] == [study_id, study_id]
        assert changes[1]["reportStatusChanged"]["study"]["assignedTo"] == {"id": s.dictator_id, "invitations": []}
        await replay.nothing(0.3)
        await statuses.nothing(0.1)
        await other_status.nothing(0.1)

        await update(api, key, s.other["id"], modality="CT")
        await update(api, key, study_id, modality="MR")
        for sub in (full_live, plain_live):
            assert [e["worklist"]["study"]["id"] for e in await sub.take(2)] == [s.other["id"], study_id]
        for sub in (linked_live, viewer_live, replay):
            assert (await sub.next())["worklist"]["study"]["id"] == study_id
            await sub.nothing(0.2)
        await other_status.nothing(0.1)
