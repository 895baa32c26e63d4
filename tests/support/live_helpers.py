"""Subscriptions, mutations and cursors shared by the live tests."""

from __future__ import annotations

import time

from autoscribe.core.signing import Signer
from tests.support.settings import TEST_SECRET
from tests.support.studies_helpers import study_input

WORKLIST = """subscription($f: StudyFilter, $a: String) {
  worklist(filter: $f, after: $a) { cursor occurredAt type study { id studyReportStatus isCancelled assignedTo { id } } }
}"""
STATUS = """subscription($s: ID, $a: String) {
  reportStatusChanged(studyId: $s, after: $a) {
    cursor occurredAt studyReportStatus previousStudyReportStatus
    study { id studyReportStatus } report { id status isAddendum }
  }
}"""

CREATE = "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id } }"
UPDATE = "mutation($id: ID!, $input: UpdateStudyInput!) { updateStudy(id: $id, input: $input) { id } }"
CANCEL = "mutation($id: ID) { cancelStudy(id: $id) { id } }"
UNCANCEL = "mutation($id: ID) { uncancelStudy(id: $id) { id } }"

SIGNER = Signer(TEST_SECRET)


async def create(api, token, uid, **extra) -> str:
    return (await api.ok(CREATE, {"input": study_input(uid, **extra)}, token=token))["createStudy"]["id"]


async def update(api, token, study_id, **fields) -> None:
    await api.ok(UPDATE, {"id": study_id, "input": fields}, token=token)


async def cancel(api, token, study_id) -> None:
    await api.ok(CANCEL, {"id": study_id}, token=token)


async def uncancel(api, token, study_id) -> None:
    await api.ok(UNCANCEL, {"id": study_id}, token=token)


def seq_of(cursor: str) -> int:
    payload = SIGNER.verify("event-cursor", cursor)
    assert payload is not None, "not a genuine cursor"
    return payload["s"]


def cursor_at(clinic_id: str, seq: int, *, age_seconds: float = 0) -> str:
    """A genuine cursor at `seq` (0: before the clinic's first event), as the server would mint it."""
    return SIGNER.sign("event-cursor", {"c": clinic_id, "s": seq, "t": int(time.time() - age_seconds)})


def worklist_of(items: list[dict]) -> list[tuple[str, str]]:
    """(type, study id) of each worklist event."""
    return [(i["worklist"]["type"], i["worklist"]["study"]["id"]) for i in items]
