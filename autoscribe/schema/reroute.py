"""RerouteUrl and the mutations that hand out reroute links."""

from __future__ import annotations

from datetime import datetime

import strawberry

from autoscribe.operations import reroute
from autoscribe.schema.study import Study


@strawberry.type
class RerouteUrl:
    url: str
    expires_at: datetime
    study: Study

    @classmethod
    def of(cls, link: reroute.RerouteLink) -> RerouteUrl:
        return cls(url=link.url, expires_at=link.expires_at, study=Study.of(link.study))


@strawberry.type
class RerouteMutation:
    @strawberry.mutation(
        description="Assigns the study to the user and returns a time-limited URL that opens viewer and dictation for them."
    )
    async def create_reroute_url(
        self,
        info: strawberry.Info,
        id: strawberry.ID | None = None,
        study_instance_uid: str | None = None,
        *,
        assigned_to_user_id: strawberry.ID,
    ) -> RerouteUrl:
        principal = await info.context.principal()
        link = await reroute.create_reroute_url(
            info.context.svc, principal, id=id, uid=study_instance_uid, user_id=assigned_to_user_id
        )
        return RerouteUrl.of(link)

    @strawberry.mutation(
        description="A time-limited, read-only URL that opens the viewer alone; userId is recorded for audit."
    )
    async def create_viewer_only_reroute_url(
        self,
        info: strawberry.Info,
        id: strawberry.ID | None = None,
        study_instance_uid: str | None = None,
        user_id: strawberry.ID | None = None,
    ) -> RerouteUrl:
        principal = await info.context.principal()
        link = await reroute.create_viewer_only_url(
            info.context.svc, principal, id=id, uid=study_instance_uid, user_id=user_id
        )
        return RerouteUrl.of(link)
