"""Report PDFs through their presigned URLs: content, addenda, refusals and rendering on demand."""

from __future__ import annotations

from sqlalchemy import delete

from autoscribe.operations.report_pdfs import pdf_token
from autoscribe.db.models import ReportPdf
from tests.support.pdf_helpers import download, kept_pdf, path_of, queued_render, stored_pdf, text_of, until
from tests.support.reports_helpers import (
    ADDENDUM,
    REPORT_BY_ID,
    new_study,
    radiologist,
    sign,
    signed_report,
    start,
)


async def test_a_signed_report_downloads_as_its_pdf(api, http, services, clinic):
    user, token = await radiologist(services, clinic, first_name="Jane", last_name="Smith")
    study = await new_study(api, clinic)
    report = await start(api, token, study["id"])
    assert report["pdfUrl"] is None, "no PDF while in progress"
    signed = await sign(api, token, report["id"], text="IMPRESSION: Tension pneumothorax.", critical=True)

    kept = await kept_pdf(services, report["id"])
    assert kept.startswith(b"%PDF"), "rendered and kept after signing"
    content = await download(http, signed["pdfUrl"])
    assert content == kept
    text = text_of(content)
    for expected in ("Doe^Jane", "MRN-0042", "Northside Main Campus", "Northside Imaging",
                     "Tension pneumothorax", "Jane Smith", f"NPI {user.npi_number}", "CRITICAL RESULT",
                     study["studyInstanceUid"]):
        assert expected in text, expected

    # The URL the report query gives later works the same.
    again = (await api.ok(REPORT_BY_ID, {"id": report["id"]}, token=token))["report"]["pdfUrl"]
    assert await download(http, again) == content


async def test_a_report_not_critical_has_no_banner(api, http, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic, text="Normal study.")
    text = text_of(await download(http, report["pdfUrl"]))
    assert "Normal study." in text and "CRITICAL" not in text


async def test_an_addendum_pdf_shows_the_original_and_leaves_its_pdf_alone(api, http, services, clinic):
    study, report, user, token = await signed_report(api, services, clinic, text="Original findings.", critical=True)
    original_pdf = await download(http, report["pdfUrl"])
    addendum = (await api.ok(ADDENDUM, {"id": report["id"]}, token=token))["createReportAddendum"]
    assert addendum["pdfUrl"] is None
    amended = await sign(api, token, addendum["id"], text="Amended: benign.")

    text = text_of(await download(http, amended["pdfUrl"]))
    assert text.index("Original findings.") < text.index("Amended: benign.")
    assert "Addendum 1" in text and "CRITICAL" not in text
    assert await download(http, report["pdfUrl"]) == original_pdf


async def test_forged_expired_and_swapped_urls_are_refused(api, http, services, clinic, other_clinic):
    study, report, user, token = await signed_report(api, services, clinic)
    other_study, other_report, *_ = await signed_report(api, services, clinic)
    foreign_study, foreign_report, *_ = await signed_report(api, services, other_clinic)
    path, _, query = path_of(report["pdfUrl"]).partition("?")
    good = query.removeprefix("token=")

    expired = pdf_token(services.signer, report["id"], clinic.id, ttl_seconds=-1)
    refused = [
        f"{path}",
        f"{path}?token=",
        f"{path}?token={good[:-3]}xyz",
        f"{path}?token={services.signer.sign('reroute', {'r': report['id'], 'c': clinic.id})}",
        f"{path}?token={expired}",
        f"/files/reports/{other_report['id']}.pdf?token={good}",
        f"/files/reports/{foreign_report['id']}.pdf?token={good}",
    ]
    for url in refused:
        response = await http.get(url)
        assert response.status_code == 403, url
        assert response.headers["content-type"].startswith("text/plain")
        assert not response.content.startswith(b"%PDF")
    assert "expired" in (await http.get(f"{path}?token={expired}")).text
    # A genuine token of one clinic never reaches another clinic's report.
    forged_clinic = pdf_token(services.signer, foreign_report["id"], clinic.id, ttl_seconds=60)
    response = await http.get(f"/files/reports/{foreign_report['id']}.pdf?token={forged_clinic}")
    assert response.status_code == 404
    assert (await http.get(f"{path}?token={good}")).status_code == 200


async def test_the_download_renders_a_pdf_that_was_not_kept(api, http, services, clinic, monkeypatch):
    async def broken(_document):
        raise RuntimeError("renderer down")

    with monkeypatch.context() as patch:
        patch.setattr(services.pdfs, "_in_worker", broken)
        study, report, user, token = await signed_report(api, services, clinic, text="Rendered later.")
        assert report["status"] == "COMPLETED", "signing does not depend on rendering"

        async def failed():
            queued = await queued_render(services, report["id"])
            return queued is not None and queued.attempts >= 1

        await until(failed, what="the failed render to be noted")
        assert "renderer down" in (await queued_render(services, report["id"])).last_error
        assert await stored_pdf(services, report["id"]) is None
        # A download meanwhile is told to come back, never that the report is gone.
        response = await http.get(path_of(report["pdfUrl"]))
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert "being prepared" in response.text

    content = await download(http, report["pdfUrl"])
    assert "Rendered later." in text_of(content)
    assert await stored_pdf(services, report["id"]) == content
    assert await queued_render(services, report["id"]) is None, "the render request ends with the PDF kept"

    async with services.db.write() as session:
        await session.execute(delete(ReportPdf).where(ReportPdf.report_id == report["id"]))
    assert "Rendered later." in text_of(await download(http, report["pdfUrl"]))
