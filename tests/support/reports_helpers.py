"""Small helpers shared by the report, reroute and PDF tests."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select

from autoscribe.db.models import Event, Report, Study
from tests.support.clinics import add_user, session_token

REPORT = """id studyId userId status isAddendum isCritical signedAt plainText pdfUrl createdAt updatedAt
    parentReport { id } author { id } study { id studyReportStatus }
    snapshotMetadata { patientName mrn facilityName }"""

CREATE_STUDY = "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id studyInstanceUid } }"
START = f"mutation($s: ID!, $u: ID) {{ startReport(studyId: $s, userId: $u) {{ {REPORT} }} }}"
SAVE = f"mutation($id: ID!, $t: String!) {{ saveReportDraft(id: $id, plainText: $t) {{ {REPORT} }} }}"
SIGN = f"mutation($id: ID!, $c: Boolean!, $t: String) {{ signReport(id: $id, isCritical: $c, plainText: $t) {{ {REPORT} }} }}"
ADDENDUM = f"mutation($id: ID!) {{ createReportAddendum(reportId: $id) {{ {REPORT} }} }}"
CANCEL_ADDENDUM = f"mutation($id: ID!) {{ cancelReportAddendum(reportId: $id) {{ {REPORT} }} }}"
REPORT_BY_ID = f"query($id: ID!) {{ report(id: $id) {{ {REPORT} }} }}"
STUDY = """query($id: ID!) { study(id: $id) {
    studyReportStatus isCritical isCancelled assignedTo { id }
    reportIds { reportId status isCritical } reports { id isAddendum status } } }"""

_uids = itertools.count(1)

METADATA = {
    "patientName": "Doe^Jane",
    "mrn": "MRN-0042",
    "facilityName": "Northside Main Campus",
    "sex": "FEMALE",
    "dateOfBirth": "1970-01-02",
}


def unique_uid() -> str:
    return f"1.2.826.0.1.3680043.{next(_uids)}"


async def new_study(api, clinic, **extra) -> dict:
    """A study created with the clinic's API key: {id, studyInstanceUid}."""
    data = {
        "studyInstanceUid": unique_uid(),
        "studyDescription": "CT Chest without contrast",
        "severity": "NORMAL",
        "reportMetadata": METADATA,
        **extra,
    }
    return (await api.ok(CREATE_STUDY, {"input": data}, token=clinic.key))["createStudy"]


async def radiologist(services, clinic, **fields) -> tuple:
    """An active radiologist of the clinic and a session token acting as them."""
    user = await add_user(services, clinic.id, **fields)
    return user, session_token(services, user)


async def start(api, token, study_id, user_id=None) -> dict:
    return (await api.ok(START, {"s": study_id, "u": user_id}, token=token))["startReport"]


async def sign(api, token, report_id, text="IMPRESSION: normal.", critical=False) -> dict:
    return (await api.ok(SIGN, {"id": report_id, "c": critical, "t": text}, token=token))["signReport"]


async def signed_report(api, services, clinic, **sign_args) -> tuple[dict, dict, object, str]:
    """(study, signed report, author, author's token): a study dictated and signed by a radiologist."""
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    return study, await sign(api, token, report["id"], **sign_args), user, token


async def study_state(api, clinic, study_id) -> dict:
    return (await api.ok(STUDY, {"id": study_id}, token=clinic.key))["study"]


async def report_count(services, study_id) -> int:
    async with services.db.read() as session:
        return await session.scalar(select(func.count()).select_from(Report).where(Report.study_id == study_id))


async def stored_study(services, study_id) -> Study:
    async with services.db.read() as session:
        return await session.get(Study, study_id)


async def stored_report(services, report_id) -> Report | None:
    async with services.db.read() as session:
        return await session.get(Report, report_id)


async def events_of(services, study_id) -> list[Event]:
    async with services.db.read() as session:
        rows = await session.scalars(select(Event).where(Event.study_id == study_id).order_by(Event.seq))
        return list(rows)
