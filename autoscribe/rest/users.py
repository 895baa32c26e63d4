"""The user endpoints (`auto_scribe.users.*` of the SDK): each calls the operation the GraphQL
field calls (autoscribe.operations.users, and invitations.invite_user for users.invite) and shows
the result; revoke-access and reactivate answer `{success, message}` where GraphQL answers the user."""

from __future__ import annotations

from autoscribe.core.errors import NotFound
from autoscribe.operations import invitations, users
from autoscribe.rest import models, views, wire
from autoscribe.rest.pages import PAGE_PARAMS, page_args, page_end
from autoscribe.rest.query import Param
from autoscribe.rest.routing import Endpoint, RestRequest

# Operation fields as these endpoints name them.
USER_KEY = {"id": "userId"}


def person_input(body: models.PersonFields) -> dict:
    """An invite/update body as the operations take it: the given fields, camelCase, domain enums."""
    data = body.model_dump(by_alias=True, exclude_unset=True)
    if data.get("clinicRole") is not None:
        data["clinicRole"] = wire.CLINIC_ROLE.to_domain[data["clinicRole"]]
    if data.get("level") is not None:
        data["level"] = wire.ASSIGNABLE_USER_LEVEL.to_domain[data["level"]]
    return data


async def invite(req: RestRequest) -> models.InvitedUser:
    row = await invitations.invite_user(req.svc, req.principal, person_input(req.body))
    return models.InvitedUser.model_validate(views.user(row).model_dump())


LIST_PARAMS = (
    Param("canCreateReports", "boolean"),
    Param("email", description="Exact e-mail address (case-insensitive)."),
    Param("firstName", description="Case-insensitive substring of the first name."),
    Param("lastName", description="Case-insensitive substring of the last name."),
    Param("invitedSource", "enum", spelling=wire.INVITED_SOURCE),
    Param("level", "enum", spelling=wire.USER_LEVEL),
    *PAGE_PARAMS,
)

_FILTER_KEYS = ("canCreateReports", "email", "firstName", "lastName", "invitedSource", "level")


async def list_(req: RestRequest) -> models.UserPage:
    q = req.query
    flt = {key: q[key] for key in _FILTER_KEYS if key in q}
    page = await users.list_users(req.svc, req.principal, filter=flt, **page_args(q))
    return models.UserPage(users=[views.user(u) for u in page.rows], **page_end(page))


async def retrieve(req: RestRequest) -> models.User:
    row = await users.get_user(req.svc, req.principal, req.path["user_id"])
    if row is None:
        raise NotFound("No such user.", field="id")
    return views.user(row)


async def update(req: RestRequest) -> models.User:
    return views.user(await users.update_user(req.svc, req.principal, req.path["user_id"], person_input(req.body)))


async def revoke_access(req: RestRequest) -> models.Ack:
    await users.revoke_user_access(req.svc, req.principal, req.body.user_id)
    return models.Ack(success=True, message="Access revoked.")


async def reactivate(req: RestRequest) -> models.Ack:
    await users.reactivate_user(req.svc, req.principal, req.body.user_id)
    return models.Ack(success=True, message="User reactivated.")


ENDPOINTS = (
    Endpoint("POST", "/users", invite, models.InvitedUser, "auto_scribe.users.invite",
             "Invite a person to the clinic: a new invited user with a sent invitation.", body=models.InviteBody),
    Endpoint("GET", "/users", list_, models.UserPage, "auto_scribe.users.list",
             "A page of the clinic's users, oldest first.", query=LIST_PARAMS),
    Endpoint("POST", "/users/revoke-access", revoke_access, models.Ack, "auto_scribe.users.revoke_access",
             "Revoke a user's access at once.", body=models.UserKeyBody, fields=USER_KEY),
    Endpoint("POST", "/users/reactivate", reactivate, models.Ack, "auto_scribe.users.reactivate",
             "Give a revoked user access again.", body=models.UserKeyBody, fields=USER_KEY),
)

# After the invitation routes (autoscribe.rest.app): `/users/{user_id}` would take `/users/invitations`.
BY_ID = (
    Endpoint("GET", "/users/{user_id}", retrieve, models.User, "auto_scribe.users.retrieve",
             "A user by its ID.", fields=USER_KEY),
    Endpoint("PATCH", "/users/{user_id}", update, models.User, "auto_scribe.users.update",
             "Change the given fields of a user (and of its open invitation while it is invited).",
             body=models.PersonFields, fields=USER_KEY),
)
