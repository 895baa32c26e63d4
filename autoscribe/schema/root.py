"""The root types: Query, Mutation and Subscription, assembled from each domain's fields."""

from __future__ import annotations

import strawberry

from autoscribe.schema.invitation import InvitationMutation, InvitationQuery
from autoscribe.schema.node_query import NodeQuery
from autoscribe.schema.principal import PrincipalQuery
from autoscribe.schema.report import ReportMutation, ReportQuery
from autoscribe.schema.reroute import RerouteMutation
from autoscribe.schema.study import StudyMutation, StudyQuery
from autoscribe.schema.subscription import LiveQuery, Subscription
from autoscribe.schema.user import UserMutation, UserQuery
from autoscribe.schema.user_session import UserSessionMutation
from autoscribe.schema.webhook import WebhookMutation, WebhookQuery

__all__ = ["Mutation", "Query", "Subscription"]


@strawberry.type(
    description="What a client can read, over HTTP (POST, or GET) at /graphql with Authorization: Bearer <token>. "
    "Lookups by ID answer null for what the clinic does not have, never another clinic's."
)
class Query(
    NodeQuery, PrincipalQuery, StudyQuery, ReportQuery, UserQuery, InvitationQuery, WebhookQuery, LiveQuery
):
    pass


@strawberry.type(
    description="What a client can change, over HTTP POST at /graphql. Each mutation happens in one transaction "
    "with its checks: one that fails changes nothing."
)
class Mutation(
    StudyMutation, ReportMutation, RerouteMutation, UserMutation, InvitationMutation, UserSessionMutation, WebhookMutation
):
    pass
