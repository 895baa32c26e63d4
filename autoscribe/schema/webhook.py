"""Webhook endpoints and their deliveries: the types, queries and mutations (autoscribe.operations.webhooks)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.unset import UNSET

from autoscribe.db import enums, models
from autoscribe.operations import webhooks
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.inputs import given
from autoscribe.schema.pagination import Connection

WebhookDeliveryStatus = strawberry.enum(enums.WebhookDeliveryStatus)


@strawberry.type(description="Where the clinic's webhooks go, signed with the endpoint's secret (Standard Webhooks).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    event_types: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret: str | None = strawberry.field(
        description="whsec_…: the key deliveries are signed with. Given only in the answer of "
        "createWebhookEndpoint, null ever after."
    )

    @classmethod
    def of(cls, row: models.WebhookEndpoint, *, secret: str | None = None) -> WebhookEndpoint:
        return cls(
            id=row.id, url=row.url, event_types=list(row.event_types), enabled=row.enabled,
            created_at=row.created_at, updated_at=row.updated_at, secret=secret,
        )


@strawberry.type(description="One event sent to one endpoint, until a 2xx answer or the retries run out (a day).")
class WebhookDelivery:
    id: strawberry.ID
    event_id: str = strawberry.field(description="whe_…: the webhook-id header, the same on every attempt.")
    event_type: str
    report_id: strawberry.ID
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=row.id, event_id=row.event_id, event_type=row.event_type, report_id=row.report_id,
            status=row.status, attempts=row.attempts, last_status_code=row.last_status_code,
            last_error=row.last_error, last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at, delivered_at=row.delivered_at, created_at=row.created_at,
        )


@strawberry.type
class WebhookDeliveryConnection(Connection[WebhookDelivery]):
    pass


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    event_types: list[str] = strawberry.field(description="Event types to send: report.delivered.")


@strawberry.input(description="Only the fields that are given change.")
class UpdateWebhookEndpointInput:
    url: str | None = UNSET
    event_types: list[str] | None = UNSET
    enabled: bool | None = UNSET


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The clinic's webhook endpoints, oldest first (API key, ADMIN or OWNER).")
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpoint]:
        principal = await info.context.principal()
        return [WebhookEndpoint.of(r) for r in await webhooks.list_webhook_endpoints(info.context.svc, principal)]

    @strawberry.field(description="An endpoint's deliveries, newest first.")
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        endpoint_id: strawberry.ID,
        first: int | None = DEFAULT_PAGE,
        after: str | None = None,
    ) -> WebhookDeliveryConnection:
        principal = await info.context.principal()
        page = await webhooks.list_webhook_deliveries(
            info.context.svc, principal, endpoint_id, first=first, after=after
        )
        return WebhookDeliveryConnection.of(page, WebhookDelivery.of)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="A new endpoint; its secret is in this answer only.")
    async def create_webhook_endpoint(self, info: strawberry.Info, input: CreateWebhookEndpointInput) -> WebhookEndpoint:
        principal = await info.context.principal()
        row = await webhooks.create_webhook_endpoint(info.context.svc, principal, given(input))
        return WebhookEndpoint.of(row, secret=row.secret)

    @strawberry.mutation
    async def update_webhook_endpoint(
        self, info: strawberry.Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpoint:
        principal = await info.context.principal()
        return WebhookEndpoint.of(await webhooks.update_webhook_endpoint(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description="The endpoint and its deliveries are deleted; the answer is the endpoint as it was.")
    async def delete_webhook_endpoint(self, info: strawberry.Info, id: strawberry.ID) -> WebhookEndpoint:
        principal = await info.context.principal()
        return WebhookEndpoint.of(await webhooks.delete_webhook_endpoint(info.context.svc, principal, id))
