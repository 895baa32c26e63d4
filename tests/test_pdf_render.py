"""The report PDF: content, addendum chain, non-Latin text, paging, failures."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import pypdf
import pytest

from autoscribe.operations import pdf
from autoscribe.operations.pdf import (
    PdfRenderError,
    ReportDocument,
    SignedText,
    render_report_pdf,
)

REPORT_TEXT = (
    "FINDINGS:\nRight upper lobe nodule, <5 mm & stable since prior.\n\n"
    "IMPRESSION:\nNo acute cardiopulmonary process."
)


def signed(text: str = REPORT_TEXT, *, critical: bool = False, addendum: bool = False,
           npi: str | None = "1234567890", at: datetime | None = None) -> SignedText:
    return SignedText(
        text=text,
        signer_name="Dr. Jane Smith, MD",
        npi=npi,
        signed_at=at or datetime(2026, 11, 27, 14, 3, 27, tzinfo=UTC),
        is_critical=critical,
        is_addendum=addendum,
    )


def document(*chain: SignedText, **metadata) -> ReportDocument:
    return ReportDocument(
        clinic_name="Northside Imaging Associates",
        report_id="rep_01JD8X9K2M",
        study_instance_uid="1.2.840.113619.2.55.3.604688119.971",
        study_description="CT Chest without contrast",
        modality="CT",
        clinical_history="Former smoker.",
        clinical_indication="Nodule follow-up.",
        metadata={
            "patientName": "Doe, John",
            "mrn": "MRN-00482913",
            "dateOfBirth": "1962-03-14",
            "age": "64",
            "sex": "MALE",
            "height": {"value": 70.0, "unit": "IN"},
            "weight": {"value": 182.5, "unit": "LBS"},
            "facilityName": "St. Mary's Medical Center",
            "referringPhysicianName": "Dr. Alan Grant",
            "procedure": "CT CHEST WO CONTRAST",
            "studyDate": "2026-11-27",
            "studyTime": "13:20",
            **metadata,
        },
        chain=list(chain) or [signed()],
    )


def pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def text_of(data: bytes) -> str:
    return "\n".join(pages(data))


def test_report_shows_patient_study_text_and_signature():
    data = render_report_pdf(document())
    assert data.startswith(b"%PDF")
    text = text_of(data)
    for expected in (
        "Northside Imaging Associates",
        "St. Mary's Medical Center",
        "Doe, John",
        "MRN-00482913",
        "1962-03-14",
        "Male",
        "70 in",
        "182.5 lb",
        "Dr. Alan Grant",
        "CT Chest without contrast",
        "1.2.840.113619.2.55.3.604688119.971",
        "2026-11-27 13:20",
        "Former smoker.",
        "Right upper lobe nodule, <5 mm & stable since prior.",
        "Electronically signed by Dr. Jane Smith, MD",
        "NPI 1234567890",
        "2026-11-27 14:03 UTC",
        "rep_01JD8X9K2M",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    # Paragraphs and line breaks survive as separate lines.
    assert "FINDINGS:\nRight upper lobe" in text


def test_missing_metadata_and_npi_still_render():
    doc = replace(document(signed(npi=None)), metadata={}, modality=None,
                  clinical_history=None, clinical_indication=None)
    text = text_of(render_report_pdf(doc))
    assert "Electronically signed by Dr. Jane Smith, MD" in text
    assert "NPI" not in text
    assert "Clinical information" not in text


def test_critical_banner_only_for_critical_report():
    assert "CRITICAL RESULT" in text_of(render_report_pdf(document(signed(critical=True))))
    assert "CRITICAL RESULT" not in text_of(render_report_pdf(document(signed())))


def test_addendum_pdf_shows_original_then_addenda():
    chain = (
        signed(),
        signed("First addendum text.", addendum=True, at=datetime(2026, 11, 28, 9, 15, tzinfo=UTC)),
        signed("Second addendum text.", addendum=True, critical=True,
               at=datetime(2026, 11, 29, 10, 0, tzinfo=UTC)),
    )
    text = text_of(render_report_pdf(document(*chain)))
    # Each must come after the one before it ("Addendum 2" also names the
    # document in its header, so search forward rather than from the start).
    position = 0
    for expected in (
        "Original report",
        "<5 mm & stable",
        "2026-11-27 14:03 UTC",
        "Addendum 1",
        "First addendum text.",
        "2026-11-28 09:15 UTC",
        "Addendum 2",
        "Second addendum text.",
        "2026-11-29 10:00 UTC",
    ):
        position = text.index(expected, position)
    assert text.count("Electronically signed by") == 3
    assert "CRITICAL RESULT" in text


def test_greek_and_cyrillic_are_embedded():
    doc = document(
        signed("Ευρήματα: φυσιολογικά. Заключение: норма."),
        patientName="Παπαδόπουλος, Γεώργιος",
        referringPhysicianName="Dr. Пётр Иванов",
    )
    text = text_of(render_report_pdf(doc))
    for expected in ("Παπαδόπουλος, Γεώργιος", "Иванов", "Ευρήματα", "Заключение"):
        assert expected in text, expected


def test_long_report_spans_pages_with_page_count():
    body = "\n\n".join(f"Paragraph {n}: unremarkable findings." for n in range(300))
    texts = pages(render_report_pdf(document(signed(body))))
    total = len(texts)
    assert total > 2
    assert "Page 2 of" in texts[1]
    assert f"Page {total} of {total}" in texts[-1]
    assert "Paragraph 299: unremarkable findings." in texts[-1]


def test_unreadable_font_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "_FONT_FILES", {"normal": tmp_path / "missing.ttf"})
    with pytest.raises(PdfRenderError):
        render_report_pdf(document())


def test_naive_signing_time_is_rejected():
    with pytest.raises(ValueError):
        signed(at=datetime(2026, 11, 27, 14, 3))
