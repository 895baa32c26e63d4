"""Concurrent transitions of one study: exactly one wins, the others are CONFLICT, nothing is doubled."""

from __future__ import annotations

import asyncio

from tests.support.reports_helpers import (
    ADDENDUM,
    CANCEL_ADDENDUM,
    SIGN,
    START,
    events_of,
    new_study,
    radiologist,
    report_count,
    signed_report,
    start,
    stored_study,
)


def outcomes(bodies: list[dict], field: str) -> tuple[list[dict], list[str]]:
    """(the winners' results, the losers' error codes)."""
    wins = [b["data"][field] for b in bodies if not b.get("errors")]
    codes = [b["errors"][0]["extensions"]["code"] for b in bodies if b.get("errors")]
    return wins, codes


async def test_ten_radiologists_start_one_study_at_once(api, services, clinic):
    doctors = [await radiologist(services, clinic) for _ in range(10)]
    study = await new_study(api, clinic)
    bodies = await asyncio.gather(*(api(START, {"s": study["id"]}, token=token) for _, token in doctors))
    wins, codes = outcomes(bodies, "startReport")
    assert len(wins) == 1 and codes == ["CONFLICT"] * 9
    assert await report_count(services, study["id"]) == 1
    row = await stored_study(services, study["id"])
    assert row.study_report_status.value == "IN_PROGRESS"
    assert row.assigned_to_id == wins[0]["userId"]
    kinds = [e.kind for e in await events_of(services, study["id"])]
    assert kinds == ["study.created", "report.started"]


async def test_ten_api_key_starts_for_one_radiologist(api, services, clinic):
    user, _ = await radiologist(services, clinic)
    study = await new_study(api, clinic, assignedTo=user.id)
    bodies = await asyncio.gather(
        *(api(START, {"s": study["id"], "u": user.id}, token=clinic.key) for _ in range(10))
    )
    wins, codes = outcomes(bodies, "startReport")
    assert len(wins) == 1 and codes == ["CONFLICT"] * 9
    assert await report_count(services, study["id"]) == 1


async def test_concurrent_signs_of_one_report(api, services, clinic):
    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    texts = [f"Version {n}" for n in range(6)]
    bodies = await asyncio.gather(
        *(api(SIGN, {"id": report["id"], "c": n % 2 == 0, "t": t}, token=token) for n, t in enumerate(texts))
    )
    wins, codes = outcomes(bodies, "signReport")
    assert len(wins) == 1 and codes == ["CONFLICT"] * 5
    row = await stored_study(services, study["id"])
    assert row.is_critical == wins[0]["isCritical"]
    signed = [e for e in await events_of(services, study["id"]) if e.kind == "report.signed"]
    assert len(signed) == 1


async def test_concurrent_addenda_and_cancels(api, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    bodies = await asyncio.gather(*(api(ADDENDUM, {"id": report["id"]}, token=token) for _ in range(6)))
    wins, codes = outcomes(bodies, "createReportAddendum")
    assert len(wins) == 1 and codes == ["CONFLICT"] * 5
    assert await report_count(services, study["id"]) == 2

    bodies = await asyncio.gather(*(api(CANCEL_ADDENDUM, {"id": report["id"]}, token=token) for _ in range(6)))
    wins, codes = outcomes(bodies, "cancelReportAddendum")
    assert len(wins) == 1 and codes == ["CONFLICT"] * 5
    assert await report_count(services, study["id"]) == 1
    assert (await stored_study(services, study["id"])).study_report_status.value == "COMPLETED"
