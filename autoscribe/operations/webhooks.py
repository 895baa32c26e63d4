"""Webhook endpoints of a clinic (what an integrator registers), their deliveries, and what a
delivery says: the `report.delivered` event as Avara sends it.

Managing endpoints takes an API key or an ADMIN or OWNER user. An endpoint's secret signs its
deliveries the Standard Webhooks way (autoscribe.live.webhooks sends them); it is shown once, in
the answer that creates the endpoint. Deliveries are made from the clinic's event log, from the
endpoint's cursor on: an endpoint gets the events committed after it was created (or re-enabled).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
from urllib.parse import urlsplit

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.core.errors import BadInput, ErrorCode, NotFound
from autoscribe.core.principal import Principal
from autoscribe.core.rights import Right
from autoscribe.core.services import Services
from autoscribe.db.ids import PREFIXES, new_id
from autoscribe.db.models import Clinic, Report, Study, WebhookDelivery, WebhookEndpoint
from autoscribe.db.types import utcnow
from autoscribe.operations.declared import operation
from autoscribe.operations.pagination import Order, Page, paginate
from autoscribe.operations.report_pdfs import pdf_url
from autoscribe.operations.validation import Rules, check_id, given, validate

REPORT_DELIVERED = "report.delivered"
# The event types an endpoint may ask for (the SDK's ReportDeliveredEvent spells it so).
EVENT_TYPES = (REPORT_DELIVERED,)
# The kinds of the event log each webhook event type is made from.
SOURCE_KINDS = {"report.signed": REPORT_DELIVERED, "addendum.signed": REPORT_DELIVERED}
MAX_URL = 2048
MAX_ENDPOINTS_PER_CLINIC = 20

# Newest first: what happened last is what an integrator looks for.
DELIVERY_ORDER = Order("ca-desc", ((WebhookDelivery.created_at, True), (WebhookDelivery.id, True)))


def event_id(clinic_id: str, seq: int) -> str:
    """The webhook event's ID (whe_ and 32 hex digits), the same for every attempt and endpoint:
    derived from the clinic and the event's seq, so a receiver can drop a repeat by it."""
    return PREFIXES["webhook_event"] + hashlib.sha256(f"{clinic_id}:{seq}".encode()).hexdigest()[:32]


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ and 24 random bytes in base64 (what `Webhook(key)` takes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def is_private_address(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved or unspecified: not a receiver on the
    internet (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _host_is_private(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return is_private_address(host)
    except ValueError:
        return False  # a name: checked again, resolved, when a delivery is sent (live.webhooks)


def check_url(url: str, *, allow_private: bool, field: str = "input.url") -> str:
    """An http(s) URL with a host and no credentials; not to a private or loopback address unless
    the settings allow it."""
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise BadInput(f"A URL of at most {MAX_URL} characters, without spaces.", field=field)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise BadInput("Not a valid URL.", field=field) from None
    if parts.scheme not in ("http", "https"):
        raise BadInput("The URL must be http or https.", field=field)
    if not host:
        raise BadInput("The URL must name a host.", field=field)
    if parts.username is not None or parts.password is not None:
        raise BadInput("The URL must not hold credentials.", field=field)
    if not allow_private and _host_is_private(host):
        raise BadInput("The URL must not point to a private or loopback address.", field=field)
    return url


def _check_event_types(types: list[str], field: str = "input.eventTypes") -> list[str]:
    if not types:
        raise BadInput("At least one event type.", field=field)
    for i, t in enumerate(types):
        if t not in EVENT_TYPES:
            raise BadInput(f"Not an event type: one of {', '.join(EVENT_TYPES)}.", field=f"{field}.{i}")
    return sorted(set(types))


class EndpointRules(Rules):
    url: str | None = None
    event_types: list[str] | None = Field(default=None, max_length=len(EVENT_TYPES) * 4)
    enabled: bool | None = None


def _checked(svc: Services, data: dict) -> dict:
    values = given(validate(EndpointRules, data))
    if "url" in values:
        if values["url"] is None:
            raise BadInput("The URL cannot be null.", field="input.url")
        check_url(values["url"], allow_private=svc.settings.webhooks_allow_private)
    if "eventTypes" in values:
        if values["eventTypes"] is None:
            raise BadInput("The event types cannot be null.", field="input.eventTypes")
        values["eventTypes"] = _check_event_types(values["eventTypes"])
    if "enabled" in values and values["enabled"] is None:
        raise BadInput("enabled cannot be null.", field="input.enabled")
    return values


async def _head(session: AsyncSession, clinic_id: str) -> int:
    return await session.scalar(select(Clinic.event_seq).where(Clinic.id == clinic_id)) or 0


@operation(right=Right.MANAGE_WEBHOOKS, errors={ErrorCode.BAD_USER_INPUT})
async def create_webhook_endpoint(svc: Services, principal: Principal, data: dict) -> WebhookEndpoint:
    """A new endpoint (its `secret` readable this once); it gets the events committed from now on."""
    values = _checked(svc, data)
    for key in ("url", "eventTypes"):
        if key not in values:
            raise BadInput(f"{key} is required.", field=f"input.{key}")
    now = utcnow()
    async with svc.db.write() as session:
        count = len((await session.scalars(
            select(WebhookEndpoint.id).where(WebhookEndpoint.clinic_id == principal.clinic_id)
        )).all())
        if count >= MAX_ENDPOINTS_PER_CLINIC:
            raise BadInput(f"A clinic has at most {MAX_ENDPOINTS_PER_CLINIC} webhook endpoints.", field="input")
        endpoint = WebhookEndpoint(
            id=new_id("webhook_endpoint"),
            clinic_id=principal.clinic_id,
            url=values["url"],
            event_types=values["eventTypes"],
            enabled=values.get("enabled", True),
            secret=new_secret(),
            cursor=await _head(session, principal.clinic_id),
            created_at=now,
            updated_at=now,
        )
        session.add(endpoint)
    return endpoint


@operation(right=Right.MANAGE_WEBHOOKS, errors=set())
async def list_webhook_endpoints(svc: Services, principal: Principal) -> list[WebhookEndpoint]:
    """The clinic's endpoints, oldest first."""
    async with svc.db.read() as session:
        rows = await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.clinic_id == principal.clinic_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
        return list(rows)


async def _lock_endpoint(session: AsyncSession, principal: Principal, id: str, field: str = "id") -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == id, WebhookEndpoint.clinic_id == principal.clinic_id)
        .with_for_update()
    )
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", field=field)
    return endpoint


@operation(right=Right.MANAGE_WEBHOOKS, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def update_webhook_endpoint(svc: Services, principal: Principal, id: str, data: dict) -> WebhookEndpoint:
    """Change the given fields. An endpoint enabled again gets the events committed from then on,
    not those made while it was disabled; deliveries it already had are sent again once enabled."""
    check_id(id, "webhook_endpoint", "id")
    values = _checked(svc, data)
    async with svc.db.write() as session:
        endpoint = await _lock_endpoint(session, principal, id)
        if "url" in values:
            endpoint.url = values["url"]
        if "eventTypes" in values:
            endpoint.event_types = values["eventTypes"]
        if "enabled" in values and values["enabled"] != endpoint.enabled:
            endpoint.enabled = values["enabled"]
            if endpoint.enabled:
                endpoint.cursor = max(endpoint.cursor, await _head(session, principal.clinic_id))
        endpoint.updated_at = utcnow()
    return endpoint


@operation(right=Right.MANAGE_WEBHOOKS, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def delete_webhook_endpoint(svc: Services, principal: Principal, id: str) -> WebhookEndpoint:
    """The endpoint and its deliveries are gone; a delivery in flight is its last attempt."""
    check_id(id, "webhook_endpoint", "id")
    async with svc.db.write() as session:
        endpoint = await _lock_endpoint(session, principal, id)
        await session.delete(endpoint)
    return endpoint


@operation(right=Right.MANAGE_WEBHOOKS, errors={ErrorCode.BAD_USER_INPUT, ErrorCode.NOT_FOUND})
async def list_webhook_deliveries(
    svc: Services, principal: Principal, endpoint_id: str, *, first: int, after: str | None
) -> Page[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    check_id(endpoint_id, "webhook_endpoint", "endpointId")
    async with svc.db.read() as session:
        found = await session.scalar(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.clinic_id == principal.clinic_id
            )
        )
    if found is None:
        raise NotFound("No such webhook endpoint.", field="endpointId")
    query = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.clinic_id == principal.clinic_id
    )
    return await paginate(
        svc.db, svc.signer, scope=f"webhook-deliveries:{endpoint_id}", query=query,
        order=DELIVERY_ORDER, first=first, after=after,
    )


async def event_payload(svc: Services, session: AsyncSession, delivery: WebhookDelivery) -> dict | None:
    """The event a delivery sends, made now (its presigned URL is fresh on every attempt); None
    when its report is gone."""
    report = await session.scalar(
        select(Report).where(Report.id == delivery.report_id, Report.clinic_id == delivery.clinic_id)
    )
    study = await session.get(Study, report.study_id) if report is not None else None
    if report is None or study is None:
        return None
    return {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "data": {
            "reportId": report.id,
            "studyId": study.id,
            "studyInstanceUid": study.study_instance_uid,
            "isCritical": bool(report.is_critical),
            "presignedUrl": pdf_url(svc, report),
            "externalPatientId": study.external_patient_id,
            "plainText": report.plain_text,
        },
    }
