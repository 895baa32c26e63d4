"""Every mutation goes through a declared operation (autoscribe.operations.declared): its right is
checked first, for exactly the callers the permission matrix allows, and it raises only the codes
it declares, which are the schema's enum ErrorCode."""

from __future__ import annotations

import graphql
import pytest

from autoscribe.core.errors import AppError, Conflict, ErrorCode, Forbidden, NotFound
from autoscribe.core.principal import Principal
from autoscribe.core.rights import Right
from autoscribe.db.ids import new_id
from autoscribe.operations import (
    declared,
    invitation_links,
    invitations,
    reports,
    reroute,
    studies,
    user_sessions,
    users,
    webhooks,
)
from autoscribe.operations.authentication import mint_session_token
from autoscribe.server.engine.schema import build_schema, sdl
from tests.support.clinics import add_user, session_token
from tests.support.people_helpers import ROLES, invite_input
from tests.support.studies_helpers import study_input

# The root Mutation fields and the operation each resolves through.
MUTATIONS = {
    "createStudy": studies.create_study,
    "updateStudy": studies.update_study,
    "cancelStudy": studies.set_cancelled,
    "uncancelStudy": studies.set_cancelled,
    "startReport": reports.start_report,
    "saveReportDraft": reports.save_draft,
    "signReport": reports.sign_report,
    "createReportAddendum": reports.create_addendum,
    "cancelReportAddendum": reports.cancel_addendum,
    "createRerouteUrl": reroute.create_reroute_url,
    "createViewerOnlyRerouteUrl": reroute.create_viewer_only_url,
    "updateUser": users.update_user,
    "revokeUserAccess": users.revoke_user_access,
    "reactivateUser": users.reactivate_user,
    "inviteUser": invitations.invite_user,
    "updateInvitation": invitations.update_invitation,
    "revokeInvitation": invitations.revoke_invitation,
    "acceptInvitation": invitation_links.accept_invitation,
    "rejectInvitation": invitation_links.reject_invitation,
    "createUserSession": user_sessions.create_user_session,
    "createWebhookEndpoint": webhooks.create_webhook_endpoint,
    "updateWebhookEndpoint": webhooks.update_webhook_endpoint,
    "deleteWebhookEndpoint": webhooks.delete_webhook_endpoint,
}

# Each mutation called on things that do not exist (so a caller with the right gets NOT_FOUND or
# BAD_USER_INPUT, and changes nothing but what createStudy and inviteUser make).
CALLS = {
    "createStudy": "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id } }",
    "updateStudy": "mutation($study: ID!) { updateStudy(id: $study, input: {modality: \"MR\"}) { id } }",
    "cancelStudy": "mutation($study: ID!) { cancelStudy(id: $study) { id } }",
    "uncancelStudy": "mutation($study: ID!) { uncancelStudy(id: $study) { id } }",
    "startReport": "mutation($study: ID!) { startReport(studyId: $study) { id } }",
    "saveReportDraft": "mutation($report: ID!) { saveReportDraft(id: $report, plainText: \"x\") { id } }",
    "signReport": "mutation($report: ID!) { signReport(id: $report, isCritical: false) { id } }",
    "createReportAddendum": "mutation($report: ID!) { createReportAddendum(reportId: $report) { id } }",
    "cancelReportAddendum": "mutation($report: ID!) { cancelReportAddendum(reportId: $report) { id } }",
    "createRerouteUrl": "mutation($study: ID!, $user: ID!) { createRerouteUrl(id: $study, assignedToUserId: $user) { url } }",
    "createViewerOnlyRerouteUrl": "mutation($study: ID!) { createViewerOnlyRerouteUrl(id: $study) { url } }",
    "updateUser": "mutation($user: ID!) { updateUser(id: $user, input: {firstName: \"X\"}) { id } }",
    "revokeUserAccess": "mutation($user: ID!) { revokeUserAccess(id: $user) { id } }",
    "reactivateUser": "mutation($user: ID!) { reactivateUser(id: $user) { id } }",
    "inviteUser": "mutation($input: InviteUserInput!) { inviteUser(input: $input) { id } }",
    "updateInvitation": "mutation($invitation: ID!) { updateInvitation(id: $invitation, input: {firstName: \"X\"}) { id } }",
    "revokeInvitation": "mutation($invitation: ID!) { revokeInvitation(id: $invitation) { id } }",
    "acceptInvitation": "mutation { acceptInvitation(token: \"not-a-link\") { id } }",
    "rejectInvitation": "mutation { rejectInvitation(token: \"not-a-link\") { id } }",
    "createUserSession": "mutation($user: ID!) { createUserSession(userId: $user) { token } }",
    "createWebhookEndpoint":
        'mutation { createWebhookEndpoint(input: {url: "not a url", eventTypes: ["report.delivered"]}) { id } }',
    "updateWebhookEndpoint": "mutation($endpoint: ID!) { updateWebhookEndpoint(id: $endpoint, input: {enabled: false}) { id } }",
    "deleteWebhookEndpoint": "mutation($endpoint: ID!) { deleteWebhookEndpoint(id: $endpoint) { id } }",
}

# The permission matrix (tests/test_permissions.py) by right: who holds it. The ROLES are users;
# besides them an API key, a read-only session of an admin, and the two reroute sessions.
CALLERS = [*ROLES, "api_key", "read_only_admin", "reroute_dictation", "reroute_viewer"]
HOLDERS = {
    Right.MANAGE_STUDIES: {"api_key", "manager"},
    Right.CREATE_REPORTS: {"api_key", "radiologist", "reroute_dictation"},
    Right.ADMIN: {"api_key", "admin", "owner"},
    Right.MANAGE_WEBHOOKS: {"api_key", "admin", "owner"},
    Right.API_KEY: {"api_key"},
}
REFUSALS = {
    Right.MANAGE_STUDIES: "Managing studies requires the canManageStudies right.",
    Right.CREATE_REPORTS: "Dictating reports requires the canCreateReports right.",
    Right.ADMIN: "Managing users and invitations requires level ADMIN or OWNER.",
    Right.MANAGE_WEBHOOKS: "Managing webhooks requires an API key or level ADMIN or OWNER.",
    Right.API_KEY: "Only an API key may do this.",
}
REROUTE_REFUSALS = {
    "reroute_dictation": "A session opened by a reroute link may only view and dictate its study.",
    "reroute_viewer": "A session opened by a reroute link may only view its study.",
}


def _resolver(field_name: str):
    return build_schema().get_field_for_type(field_name, "Mutation").base_resolver.wrapped_func


def test_every_mutation_resolves_through_a_declared_operation():
    fields = set(graphql.build_schema(sdl()).mutation_type.fields)
    assert fields == set(MUTATIONS) == set(CALLS)
    for field, op in MUTATIONS.items():
        found = declared.declaration(op)
        assert found is not None, f"{field}: {op.__qualname__} is not a declared operation"
        assert declared.OPERATIONS[found.name] is found
        module = op.__module__.rpartition(".")[2]
        # The resolver calls the operation through its module, as `studies.create_study(...)`.
        names = _resolver(field).__code__.co_names
        assert module in names and found.function.__name__ in names, (field, found.name, names)


def test_every_declared_code_is_an_error_code():
    assert len(declared.OPERATIONS) >= len(set(MUTATIONS.values()))
    for op in declared.OPERATIONS.values():
        assert all(isinstance(code, ErrorCode) for code in op.codes), op.name
        assert ErrorCode.INTERNAL_SERVER_ERROR not in op.codes, op.name
        assert (ErrorCode.FORBIDDEN in op.codes) >= (op.right in HOLDERS), op.name
    # Every error an operation can raise carries one of the codes.
    classes, seen = [AppError], []
    while classes:
        cls = classes.pop()
        seen.append(cls)
        classes.extend(cls.__subclasses__())
    assert {cls.code for cls in seen} == set(ErrorCode)


def test_reads_are_declared_for_any_caller():
    for op in (studies.get_study, studies.list_studies, reports.get_report, reports.list_reports,
               users.get_user, users.list_users, invitations.get_invitation, invitations.list_invitations):
        assert declared.declaration(op).right is Right.ANY, op.__qualname__


async def test_the_error_codes_are_an_enum_of_the_schema(api, clinic):
    data = await api.ok(
        '{ __type(name: "ErrorCode") { kind enumValues { name description } } }', token=clinic.key
    )
    values = {v["name"]: v["description"] for v in data["__type"]["enumValues"]}
    assert data["__type"]["kind"] == "ENUM"
    assert list(values) == [
        "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "CURSOR_EXPIRED",
        "RATE_LIMITED", "INTERNAL_SERVER_ERROR",
    ]
    assert all(description and description.endswith(".") for description in values.values()), values


async def _caller_token(services, clinic, caller: str) -> str:
    if caller == "api_key":
        return clinic.key
    if caller in ROLES:
        return session_token(services, await add_user(services, clinic.id, **ROLES[caller]))
    if caller == "read_only_admin":
        admin = await add_user(services, clinic.id, **ROLES["admin"])
        return mint_session_token(services.signer, admin, 600, read_only=True)[0]
    radiologist = await add_user(services, clinic.id)
    return mint_session_token(
        services.signer, radiologist, 600, read_only=caller == "reroute_viewer",
        study_id=new_id("study"), grant_id=new_id("reroute_grant"),
    )[0]


@pytest.mark.parametrize("caller", CALLERS)
async def test_each_mutation_checks_its_declared_right_first(api, services, clinic, caller):
    token = await _caller_token(services, clinic, caller)
    variables = {
        "input": None, "study": new_id("study"), "report": new_id("report"), "user": new_id("user"),
        "invitation": new_id("invitation"), "endpoint": new_id("webhook_endpoint"),
    }
    for field, op in MUTATIONS.items():
        right = declared.declaration(op).right
        if field == "createStudy":
            variables["input"] = study_input(f"7.{CALLERS.index(caller)}")
        elif field == "inviteUser":
            variables["input"] = invite_input(f"{caller}@example.com")
        document = CALLS[field]
        wanted = {k: v for k, v in variables.items() if f"${k}:" in document}
        body = await api(document, wanted, token=token)
        codes = [e["extensions"]["code"] for e in body.get("errors", [])]
        if right is Right.NONE:
            # No bearer needed: the link is the credential, and this one is not ours.
            anonymous = await api(document, wanted)
            assert [e["extensions"] for e in anonymous["errors"]] == [{"code": "BAD_USER_INPUT", "field": "token"}]
            assert codes == ["BAD_USER_INPUT"], (field, body)
        elif caller in HOLDERS[right]:
            assert "FORBIDDEN" not in codes, (field, body)
        else:
            assert codes == ["FORBIDDEN"] and body["data"] is None, (field, body)
            # A reroute session hears what it may do instead, but for what only an API key may.
            refusal = REFUSALS[right] if right is Right.API_KEY else REROUTE_REFUSALS.get(caller, REFUSALS[right])
            assert body["errors"][0]["message"] == refusal, field


class _Svc:
    pass


def _principal(**rights) -> Principal:
    return Principal(clinic_id=new_id("clinic"), clinic_name="Northside Imaging", **rights)


def test_the_suite_runs_with_declared_codes_checked():
    assert declared.CHECKING, "tests/conftest.py sets AUTOSCRIBE_CHECK_DECLARED_ERRORS before importing autoscribe"


async def test_an_undeclared_code_fails_the_operation_in_tests(monkeypatch):
    monkeypatch.setattr(declared, "OPERATIONS", dict(declared.OPERATIONS))
    monkeypatch.setattr(declared, "undeclared", [])

    @declared.operation(right=Right.ANY, errors={ErrorCode.NOT_FOUND})
    async def look_up(svc, principal, wanted):
        raise (NotFound if wanted == "missing" else Conflict)("no")

    with pytest.raises(NotFound):
        await look_up(_Svc(), _principal(api_key_id="k"), "missing")
    assert declared.undeclared == []
    with pytest.raises(declared.UndeclaredError, match="look_up raised CONFLICT, which it does not declare"):
        await look_up(_Svc(), _principal(api_key_id="k"), "taken")
    assert declared.undeclared == ["test_operation_declarations.look_up: CONFLICT"]


async def test_outside_tests_a_declaration_costs_only_its_right_check(monkeypatch):
    monkeypatch.setattr(declared, "OPERATIONS", dict(declared.OPERATIONS))
    monkeypatch.setattr(declared, "CHECKING", False)
    ran = []

    async def read(svc, principal):
        raise Conflict("as it is")

    async def manage(svc, principal, study):
        ran.append(study)
        raise Conflict("as it is")

    assert declared.operation(right=Right.ANY, errors=())(read) is read
    checked = declared.operation(right=Right.MANAGE_STUDIES, errors=())(manage)
    with pytest.raises(Forbidden, match="^Managing studies requires the canManageStudies right.$"):
        await checked(_Svc(), _principal(user=None), "s1")
    assert ran == []
    # Without checking, an undeclared code reaches the client as it was raised.
    with pytest.raises(Conflict):
        await checked(_Svc(), _principal(api_key_id="k"), "s2")
    assert ran == ["s2"]
    assert declared.declaration(checked).codes == {ErrorCode.FORBIDDEN}


def test_a_declaration_that_cannot_hold_is_refused_at_import(monkeypatch):
    monkeypatch.setattr(declared, "OPERATIONS", dict(declared.OPERATIONS))

    async def by_link(svc, token): ...

    async def scoped(svc, principal): ...

    async def misplaced(principal, svc): ...

    with pytest.raises(TypeError, match="takes no principal"):
        declared.operation(right=Right.NONE, errors=())(scoped)
    with pytest.raises(TypeError, match="takes one"):
        declared.operation(right=Right.ANY, errors=())(by_link)
    with pytest.raises(TypeError, match="second parameter"):
        declared.operation(right=Right.ADMIN, errors=())(misplaced)
    with pytest.raises(TypeError, match="never declared"):
        declared.operation(right=Right.ANY, errors={ErrorCode.INTERNAL_SERVER_ERROR})(scoped)
    with pytest.raises(TypeError, match="declared twice"):
        declared.operation(right=Right.ANY, errors=())(declared.declaration(studies.get_study).function)
