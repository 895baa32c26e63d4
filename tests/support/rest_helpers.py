"""The REST API as integrators call it: Avara's official SDK (`avara`) with strict response
validation, against the shared app served over a real socket. Fixtures here are imported by the
tests/test_rest_*.py modules."""

from __future__ import annotations

import itertools

import avara
import httpx
from sqlalchemy import select

from autoscribe.db.models import ApiKey

_uids = itertools.count(1)


class Sent:
    """Counts the HTTP requests an SDK client sends (its retries included), by method and path."""

    def __init__(self):
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append((request.method, request.url.path))

    def count(self, method: str, path: str) -> int:
        return self.requests.count((method, path))


def sdk(base_url: str, token: str, *, max_retries: int = 0, sent: Sent | None = None) -> avara.AsyncAvara:
    """An SDK client with strict response validation: a response that does not fit the SDK's
    models raises APIResponseValidationError. `sent` counts what it sends."""
    http_client = httpx.AsyncClient(event_hooks={"request": [sent]} if sent else {})
    return avara.AsyncAvara(
        api_key=token, base_url=base_url, _strict_response_validation=True, max_retries=max_retries,
        http_client=http_client,
    )


def unique_uid() -> str:
    return f"1.2.826.0.1.3680043.9.{next(_uids)}"


async def create_study(client: avara.AsyncAvara, **fields):
    """A study created through the SDK (the required fields filled in; `fields` override)."""
    values = dict(
        study_instance_uid=unique_uid(), study_description="CT Chest without contrast", severity="normal",
        report_metadata={"patient_name": "Doe^Jane", "sex": "female"},
    )
    values.update(fields)
    return await client.auto_scribe.studies.create(**values)


async def api_key_id(services, clinic_id: str) -> str:
    """The ID of the clinic's (first) API key."""
    async with services.db.read() as session:
        return await session.scalar(select(ApiKey.id).where(ApiKey.clinic_id == clinic_id))


_emails = itertools.count(1)


def unique_email() -> str:
    return f"person{next(_emails)}@example.com"


async def invite_person(client: avara.AsyncAvara, **fields):
    """A person invited through the SDK (a radiologist who can create reports; `fields` override)."""
    values = dict(
        email=unique_email(), first_name="Grace", last_name="Hopper", clinic_role="Radiation Oncologist",
        level="member", can_create_reports=True, npi_number="1234567893", can_manage_studies=False,
        has_dashboard_access=False,
    )
    values.update(fields)
    return await client.auto_scribe.users.invite(**values)
