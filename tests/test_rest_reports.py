"""The five report calls of the avara SDK (`client.auto_scribe.reports.*`) against the REST API,
with strict response validation: a study's reports, their text and PDFs (signed ones only), and
addenda opened and cancelled with `{success, message}`."""

from __future__ import annotations

import avara
import pytest

from tests.support.reports_helpers import new_study, signed_report, start
from tests.support.rest_helpers import sdk


async def test_list_text_and_pdf_of_a_signed_report(rest_url, clinic, services, api, http):
    study, report, author, _token = await signed_report(api, services, clinic, text="IMPRESSION: clear.", critical=True)
    async with sdk(rest_url, clinic.key) as client:
        listed = await client.auto_scribe.reports.list(study_id=study["id"])
        assert (listed.study_id, listed.study_instance_uid) == (study["id"], study["studyInstanceUid"])
        [item] = listed.reports
        assert (item.report_id, item.status, item.user_id, item.is_critical, item.is_addendum) == (
            report["id"], "completed", author.id, True, False)
        assert item.report_plain_text == "IMPRESSION: clear." and item.signed_at is not None
        assert (item.snapshot_metadata.patient_name, item.snapshot_metadata.sex) == ("Doe^Jane", "female")
        by_uid = await client.auto_scribe.reports.list(study_instance_uid=study["studyInstanceUid"])
        assert [r.report_id for r in by_uid.reports] == [report["id"]]

        one = await client.auto_scribe.reports.text(report_id=report["id"])
        assert (one.report_id, one.plain_text, one.study_instance_uid) == (
            report["id"], "IMPRESSION: clear.", study["studyInstanceUid"])
        every = await client.auto_scribe.reports.text(study_id=study["id"])
        assert [r.plain_text for r in every.reports] == ["IMPRESSION: clear."]

        pdf = await client.auto_scribe.reports.pdf(report_id=report["id"])
        assert pdf.presigned_url.startswith("http://testserver/files/reports/") and pdf.is_critical is True
        pdfs = await client.auto_scribe.reports.pdf(study_instance_uid=study["studyInstanceUid"])
        assert [r.report_id for r in pdfs.reports] == [report["id"]]
    downloaded = await http.get(pdf.presigned_url.removeprefix("http://testserver"))
    assert downloaded.status_code == 200 and downloaded.content.startswith(b"%PDF")


async def test_a_report_in_progress_has_text_but_no_pdf(rest_url, clinic, services, api):
    from tests.support.reports_helpers import radiologist

    user, token = await radiologist(services, clinic)
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    async with sdk(rest_url, clinic.key) as client:
        listed = await client.auto_scribe.reports.list(study_id=study["id"])
        assert [(r.status, r.is_critical, r.signed_at) for r in listed.reports] == [("in_progress", None, None)]
        assert (await client.auto_scribe.reports.text(report_id=report["id"])).report_id == report["id"]
        # A study's PDFs leave the unsigned report out; the report alone is a conflict (not retried).
        assert (await client.auto_scribe.reports.pdf(study_id=study["id"])).reports == []
        with pytest.raises(avara.ConflictError) as refused:
            await client.auto_scribe.reports.pdf(report_id=report["id"])
    assert refused.value.body["field"] == "reportId"


async def test_addendum_opened_and_cancelled(rest_url, clinic, services, api):
    study, report, _author, _token = await signed_report(api, services, clinic)
    async with sdk(rest_url, clinic.key) as client:
        ack = await client.auto_scribe.reports.addendum(report["id"])
        assert ack.success is True
        listed = await client.auto_scribe.reports.list(study_id=study["id"])
        assert [(r.is_addendum, r.status) for r in listed.reports] == [(False, "completed"), (True, "in_progress")]
        addendum_id = listed.reports[1].report_id
        assert addendum_id in ack.message
        assert (await client.auto_scribe.studies.retrieve(study["id"])).study_report_status == "addendum_active"
        with pytest.raises(avara.ConflictError):
            await client.auto_scribe.reports.addendum(report["id"])

        ack = await client.auto_scribe.reports.cancel_addendum(report["id"])
        assert ack.success is True and addendum_id in ack.message
        assert [r.report_id for r in (await client.auto_scribe.reports.list(study_id=study["id"])).reports] == [report["id"]]
        assert (await client.auto_scribe.studies.retrieve(study["id"])).study_report_status == "completed"
        with pytest.raises(avara.ConflictError):
            await client.auto_scribe.reports.cancel_addendum(report["id"])


async def test_another_clinics_reports_are_not_found(rest_url, clinic, other_clinic, services, api):
    study, report, _author, _token = await signed_report(api, services, other_clinic)
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.NotFoundError):
            await client.auto_scribe.reports.list(study_id=study["id"])
        with pytest.raises(avara.NotFoundError) as found:
            await client.auto_scribe.reports.text(report_id=report["id"])
        assert found.value.body["field"] == "reportId"
        with pytest.raises(avara.NotFoundError):
            await client.auto_scribe.reports.pdf(study_instance_uid=study["studyInstanceUid"])
        with pytest.raises(avara.NotFoundError):
            await client.auto_scribe.reports.addendum(report["id"])
    async with sdk(rest_url, other_clinic.key) as theirs:
        assert len((await theirs.auto_scribe.reports.list(study_id=study["id"])).reports) == 1


@pytest.mark.parametrize(("query", "field"), [
    ({}, "reportId"),
    ({"study_id": "stu_00000000000000000000000000000000", "study_instance_uid": "1.2"}, "reportId"),
    ({"report_id": "rep_bad"}, "reportId"),
])
async def test_text_needs_exactly_one_well_formed_key(rest_url, clinic, query, field):
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.BadRequestError) as refused:
            await client.auto_scribe.reports.text(**query)
    assert refused.value.body["field"] == field


async def test_list_needs_exactly_one_study_key(rest_url, clinic):
    async with sdk(rest_url, clinic.key) as client:
        with pytest.raises(avara.BadRequestError) as refused:
            await client.auto_scribe.reports.list()
    assert refused.value.body["field"] in ("studyId", "studyInstanceUid")
