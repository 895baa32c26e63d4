"""RerouteUrl and the mutations that hand out reroute links."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from autoscribe.operations import reroute
from autoscribe.schema.descriptions import STUDY_BY_ID, STUDY_BY_UID, default, described, lifetime
from autoscribe.schema.study import Study

_LINK = (
    f"The link lives {lifetime(default('reroute_ttl_seconds'))} by default and opens once; opening it re-checks the "
    "study (not cancelled) and the user (still ACTIVE)"
)
_ById = Annotated[strawberry.ID | None, strawberry.argument(description=STUDY_BY_ID)]
_ByUid = Annotated[str | None, strawberry.argument(description=STUDY_BY_UID)]


@strawberry.type(description="A signed link that opens one study for one person, once, until it expires.")
class RerouteUrl:
    url: str = strawberry.field(
        description="{public URL}/reroute/<token>: opens the configured viewer (or the built-in study page) with a "
        "session bound to the study. An expired or tampered link answers 403."
    )
    expires_at: datetime = strawberry.field(description="When the link stops working (UTC).")
    study: Study = strawberry.field(description="The study it opens, as it is after this mutation.")

    @classmethod
    def of(cls, link: reroute.RerouteLink) -> RerouteUrl:
        return cls(url=link.url, expires_at=link.expires_at, study=Study.of(link.study))


@strawberry.type
class RerouteMutation:
    @strawberry.mutation(description=described(
        "Assigns the study to the user (while UNASSIGNED or ASSIGNED, else CONFLICT; a study already theirs stays "
        "so) and returns a link that opens viewer and dictation for them. " + _LINK + " and that it is still "
        "assigned to them. Its session may view and dictate that study alone.",
        reroute.create_reroute_url,
    ))
    async def create_reroute_url(
        self,
        info: strawberry.Info,
        id: _ById = None,
        study_instance_uid: _ByUid = None,
        *,
        assigned_to_user_id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The radiologist (usr_ and 32 lowercase hex digits): an ACTIVE user of the clinic with "
                "canCreateReports, else BAD_USER_INPUT."
            ),
        ],
    ) -> RerouteUrl:
        principal = await info.context.principal()
        link = await reroute.create_reroute_url(
            info.context.svc, principal, id=id, uid=study_instance_uid, user_id=assigned_to_user_id
        )
        return RerouteUrl.of(link)

    @strawberry.mutation(description=described(
        "A read-only link that opens the viewer alone; the assignment does not change. " + _LINK + ". Its session "
        "may only view that study.",
        reroute.create_viewer_only_url,
    ))
    async def create_viewer_only_reroute_url(
        self,
        info: strawberry.Info,
        id: _ById = None,
        study_instance_uid: _ByUid = None,
        user_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Who the link is for (usr_ and 32 lowercase hex digits, a user of the clinic): recorded "
                "for audit, and the session acts as them. Absent: the link opens the viewer without a session."
            ),
        ] = None,
    ) -> RerouteUrl:
        principal = await info.context.principal()
        link = await reroute.create_viewer_only_url(
            info.context.svc, principal, id=id, uid=study_instance_uid, user_id=user_id
        )
        return RerouteUrl.of(link)
