"""Webhook endpoints and their deliveries: the types, queries and mutations (autoscribe.operations.webhooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types.unset import UNSET

from autoscribe.db import models
from autoscribe.operations import webhooks
from autoscribe.operations.pagination import DEFAULT_PAGE
from autoscribe.schema.descriptions import AFTER, CREATED_AT, FIRST, UPDATED_AT, described, id_of
from autoscribe.schema.enums import WebhookDeliveryStatus
from autoscribe.schema.inputs import given
from autoscribe.schema.pagination import Connection

_URL = (
    f"Where deliveries are POSTed: an http or https URL of at most {webhooks.MAX_URL} characters, with a host, "
    "no credentials and no spaces, not to a private or loopback address (unless the server's settings allow it)."
)
_EVENT_TYPES = f"The event types to send, one or more of: {', '.join(webhooks.EVENT_TYPES)} (a report or addendum signed)."


@strawberry.type(
    description="Where the clinic's webhook events go: each delivery is a POST signed with the endpoint's secret "
    "the Standard Webhooks way (webhook-id, webhook-timestamp and webhook-signature headers). It gets the "
    "events committed while it is enabled, from its creation on."
)
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description=id_of("webhook_endpoint", "The endpoint's ID"))
    url: str = strawberry.field(description=_URL)
    event_types: list[str] = strawberry.field(description=_EVENT_TYPES)
    enabled: bool = strawberry.field(
        description="Whether events are sent to it. Events committed while it is disabled are never sent."
    )
    created_at: datetime = strawberry.field(description=CREATED_AT)
    updated_at: datetime = strawberry.field(description=UPDATED_AT)
    secret: str | None = strawberry.field(
        description="The key deliveries are signed with (whsec_ and base64): given only in the answer of "
        "createWebhookEndpoint, null ever after."
    )

    @classmethod
    def of(cls, row: models.WebhookEndpoint, *, secret: str | None = None) -> WebhookEndpoint:
        return cls(
            id=row.id, url=row.url, event_types=list(row.event_types), enabled=row.enabled,
            created_at=row.created_at, updated_at=row.updated_at, secret=secret,
        )


@strawberry.type(
    description="One event sent to one endpoint: attempted until it answers 2xx or the retry window (a day by "
    "default) ends."
)
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description=id_of("webhook_delivery", "The delivery's ID"))
    event_id: str = strawberry.field(
        description="The event's ID, sent as the webhook-id header (whe_ and 32 lowercase hex digits): the same "
        "on every attempt and for every endpoint, so a receiver can drop a repeat by it."
    )
    event_type: str = strawberry.field(description="The event's type: report.delivered.")
    report_id: strawberry.ID = strawberry.field(description=id_of("report", "The signed report the event is about"))
    status: WebhookDeliveryStatus = strawberry.field(description="Delivered, failed, or still being tried.")
    attempts: int = strawberry.field(description="How many times it was sent so far.")
    last_status_code: int | None = strawberry.field(
        description="The HTTP status of the last answer; null before the first attempt or when there was none "
        "(timeout, connection error)."
    )
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed (\"HTTP 503\", \"Timed out.\", a connection error); null when it "
        "succeeded or before the first attempt."
    )
    last_attempt_at: datetime | None = strawberry.field(description="When it was last sent; null before the first attempt.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is due to be sent next; null once DELIVERED or FAILED."
    )
    delivered_at: datetime | None = strawberry.field(description="When the endpoint answered 2xx; null until then.")
    created_at: datetime = strawberry.field(description="When the event was queued for this endpoint (UTC).")

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=row.id, event_id=row.event_id, event_type=row.event_type, report_id=row.report_id,
            status=row.status, attempts=row.attempts, last_status_code=row.last_status_code,
            last_error=row.last_error, last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at, delivered_at=row.delivered_at, created_at=row.created_at,
        )


@strawberry.type(description="A page of an endpoint's deliveries, newest first.")
class WebhookDeliveryConnection(Connection[WebhookDelivery]):
    pass


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description=_URL)
    event_types: list[str] = strawberry.field(description=_EVENT_TYPES)


@strawberry.input(description="Only the fields that are given change; none of them can be null.")
class UpdateWebhookEndpointInput:
    url: str | None = strawberry.field(default=UNSET, description=_URL)
    event_types: list[str] | None = strawberry.field(default=UNSET, description=_EVENT_TYPES)
    enabled: bool | None = strawberry.field(
        default=UNSET,
        description="False stops sending; true sends again the events committed from then on (and the pending "
        "deliveries it had), not those committed while it was disabled.",
    )


_ENDPOINT_ID = id_of("webhook_endpoint", "The endpoint's ID")


@strawberry.type
class WebhookQuery:
    @strawberry.field(description=described("The clinic's webhook endpoints, oldest first.", webhooks.list_webhook_endpoints))
    async def webhook_endpoints(self, info: strawberry.Info) -> list[WebhookEndpoint]:
        principal = await info.context.principal()
        return [WebhookEndpoint.of(r) for r in await webhooks.list_webhook_endpoints(info.context.svc, principal)]

    @strawberry.field(description=described("An endpoint's deliveries, newest first.", webhooks.list_webhook_deliveries))
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        endpoint_id: Annotated[strawberry.ID, strawberry.argument(description=_ENDPOINT_ID)],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = DEFAULT_PAGE,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> WebhookDeliveryConnection:
        principal = await info.context.principal()
        page = await webhooks.list_webhook_deliveries(
            info.context.svc, principal, endpoint_id, first=first, after=after
        )
        return WebhookDeliveryConnection.of(page, WebhookDelivery.of)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description=described(
        f"Registers an enabled endpoint (at most {webhooks.MAX_ENDPOINTS_PER_CLINIC} per clinic); it gets the "
        "events committed from now on. Its secret is in this answer only.",
        webhooks.create_webhook_endpoint,
    ))
    async def create_webhook_endpoint(
        self,
        info: strawberry.Info,
        input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")],
    ) -> WebhookEndpoint:
        principal = await info.context.principal()
        row = await webhooks.create_webhook_endpoint(info.context.svc, principal, given(input))
        return WebhookEndpoint.of(row, secret=row.secret)

    @strawberry.mutation(description=described(
        "Changes the given fields of an endpoint; its secret stays.", webhooks.update_webhook_endpoint
    ))
    async def update_webhook_endpoint(
        self,
        info: strawberry.Info,
        id: Annotated[strawberry.ID, strawberry.argument(description=_ENDPOINT_ID)],
        input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(description="The changes.")],
    ) -> WebhookEndpoint:
        principal = await info.context.principal()
        return WebhookEndpoint.of(await webhooks.update_webhook_endpoint(info.context.svc, principal, id, given(input)))

    @strawberry.mutation(description=described(
        "Deletes the endpoint and its deliveries (one in flight is its last attempt); the answer is the endpoint "
        "as it was.",
        webhooks.delete_webhook_endpoint,
    ))
    async def delete_webhook_endpoint(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description=_ENDPOINT_ID)]
    ) -> WebhookEndpoint:
        principal = await info.context.principal()
        return WebhookEndpoint.of(await webhooks.delete_webhook_endpoint(info.context.svc, principal, id))
