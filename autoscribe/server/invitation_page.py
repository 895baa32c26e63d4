"""The page behind an invitation link: GET shows the invitation, POST accepts or declines it.

The link's token is the only credential, as for the acceptInvitation and rejectInvitation mutations,
and the same rules apply: it works once, while the invitation is SENT and unexpired.
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import Response

from autoscribe.db.enums import CLINIC_ROLE_TITLES
from autoscribe.core.errors import AppError, BadInput
from autoscribe.server.app_page import APP_PATH
from autoscribe.server.pages import message, page
from autoscribe.core.services import Services
from autoscribe.operations import invitation_links


# What an accepted user does next: there is no password here; studies come to them as links.
_NEXT_STEPS = (
    "<p>Your account is active.</p>"
    "<p>What happens next: your clinic's system or administrator sends you studies to read as links. "
    "Opening one takes you straight to the study in the reading room, where you dictate and sign.</p>"
    f'<p>To see your worklist without a link, open <a href="{APP_PATH}/">the reading room</a> and paste '
    "a session token your clinic's administrator makes for you.</p>"
)


def _status(error: AppError) -> int:
    return 403 if isinstance(error, BadInput) else 409


def _display_name(invitation) -> str:
    parts = [invitation.first_name, invitation.middle_name, invitation.last_name]
    return " ".join(p for p in parts if p)


async def show_invitation(request: Request) -> Response:
    svc: Services = request.app.state.services
    token = request.path_params["token"]
    try:
        invitation, clinic_name = await invitation_links.peek_invitation(svc, token)
    except AppError as error:
        return message(_status(error), "Invitation not available", error.message)
    role = CLINIC_ROLE_TITLES[invitation.clinic_role]
    body = (
        f"<p>{html.escape(_display_name(invitation))} ({html.escape(invitation.email)}), you are invited to "
        f"join <strong>{html.escape(clinic_name)}</strong> as {html.escape(role)}.</p>"
        f'<form method="post" action="{html.escape(token)}/accept"><button type="submit">Accept</button></form>'
        f'<form method="post" action="{html.escape(token)}/reject"><button type="submit">Decline</button></form>'
    )
    return page(200, f"Invitation to {clinic_name}", body)


def answer_invitation(answer: str):
    """The POST endpoint that accepts ("accept") or declines ("reject") the invitation of the link."""

    async def endpoint(request: Request) -> Response:
        svc: Services = request.app.state.services
        token = request.path_params["token"]
        try:
            if answer == "accept":
                await invitation_links.accept_invitation(svc, token)
                return page(200, "Invitation accepted", _NEXT_STEPS)
            await invitation_links.reject_invitation(svc, token)
            return message(200, "Invitation declined", "You have declined the invitation.")
        except AppError as error:
            return message(_status(error), "Invitation not available", error.message)

    return endpoint
