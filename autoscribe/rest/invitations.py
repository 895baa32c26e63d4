"""The invitation endpoints (`auto_scribe.users.invitations.*` of the SDK): each calls the
operation the GraphQL field calls (autoscribe.operations.invitations) and shows the result;
revoke answers `{success, message}` where GraphQL answers the invitation."""

from __future__ import annotations

from datetime import date

from autoscribe.core.errors import BadInput, NotFound
from autoscribe.operations import invitations
from autoscribe.rest import models, views, wire
from autoscribe.rest.pages import PAGE_PARAMS, page_args, page_end
from autoscribe.rest.query import Param
from autoscribe.rest.routing import Endpoint, RestRequest
from autoscribe.rest.users import person_input

INVITATION_KEY = {"id": "invitationId"}
# The list's filter fields, as the operation names them (`filter.endDate`), are query parameters here.
LIST_FIELDS = {"filter.userId": "userId", "filter.endDate": "endDate"}

LIST_PARAMS = (
    Param("status", "enum-list", "Comma-joined statuses.", spelling=wire.INVITATION_STATUS),
    Param("expired", "enum", "Whether sent invitations past their expiry are included (default all).",
          spelling=wire.INVITATION_EXPIRED),
    Param("userId", description="A user ID: that user's invitations."),
    Param("startDate", description="YYYY-MM-DD (UTC): created on or after this day."),
    Param("endDate", description="YYYY-MM-DD (UTC): created on or before this day."),
    *PAGE_PARAMS,
)


def _day(text: str, name: str) -> date:
    """A calendar day written YYYY-MM-DD (fromisoformat alone also takes `20250102`)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise BadInput("Must be a date, YYYY-MM-DD.", field=name)


async def list_(req: RestRequest) -> models.InvitationPage:
    q = req.query
    flt = {key: q[key] for key in ("status", "expired", "userId") if key in q}
    for key in ("startDate", "endDate"):
        if key in q:
            flt[key] = _day(q[key], key)
    page = await invitations.list_invitations(req.svc, req.principal, filter=flt, **page_args(q))
    return models.InvitationPage(invitations=[views.invitation(i) for i in page.rows], **page_end(page))


async def retrieve(req: RestRequest) -> models.Invitation:
    row = await invitations.get_invitation(req.svc, req.principal, req.path["invitation_id"])
    if row is None:
        raise NotFound("No such invitation.", field="id")
    return views.invitation(row)


async def update(req: RestRequest) -> models.Invitation:
    row = await invitations.update_invitation(req.svc, req.principal, req.path["invitation_id"], person_input(req.body))
    return views.invitation(row)


async def revoke(req: RestRequest) -> models.Ack:
    body = req.body
    await invitations.revoke_invitation(req.svc, req.principal, id=body.invitation_id, user_id=body.user_id)
    return models.Ack(success=True, message="Invitation revoked.")


ENDPOINTS = (
    Endpoint("GET", "/users/invitations", list_, models.InvitationPage, "auto_scribe.users.invitations.list",
             "A page of the clinic's invitations, newest first.", query=LIST_PARAMS, fields=LIST_FIELDS),
    Endpoint("POST", "/users/invitations/revoke", revoke, models.Ack, "auto_scribe.users.invitations.revoke",
             "Revoke an open invitation (by invitationId, or userId for the user's latest).",
             body=models.InvitationKeyBody, fields=INVITATION_KEY),
    Endpoint("GET", "/users/invitations/{invitation_id}", retrieve, models.Invitation,
             "auto_scribe.users.invitations.retrieve", "An invitation by its ID.", fields=INVITATION_KEY),
    Endpoint("PATCH", "/users/invitations/{invitation_id}", update, models.Invitation,
             "auto_scribe.users.invitations.update",
             "Change the given fields of an open invitation, and of its user with it.",
             body=models.PersonFields, fields=INVITATION_KEY),
)
