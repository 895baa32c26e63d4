"""Report PDFs: the document a signed report prints as, rendered once after signing and kept, and
the presigned URLs (SPEC §5) it is downloaded by."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.operations.pdf import ReportDocument, SignedText, render_report_pdf_async
from autoscribe.core.services import Services
from autoscribe.core.signing import Signer
from autoscribe.db.enums import ReportStatus
from autoscribe.db.models import Clinic, Report, ReportPdf, Study

log = logging.getLogger("autoscribe.pdf")


async def document_for(session: AsyncSession, clinic_name: str, study: Study, report: Report) -> ReportDocument:
    """What the PDF of the signed `report` shows: the original report, then the addenda up to it."""
    signed = await session.scalars(
        select(Report)
        .where(
            Report.study_id == study.id,
            Report.clinic_id == study.clinic_id,
            Report.status == ReportStatus.COMPLETED,
        )
        .order_by(Report.is_addendum, Report.created_at, Report.id)
    )
    chain = []
    for row in signed:
        chain.append(
            SignedText(
                text=row.plain_text or "",
                signer_name=row.signer_name or "",
                npi=row.signer_npi,
                signed_at=row.signed_at,
                is_critical=bool(row.is_critical),
                is_addendum=row.is_addendum,
            )
        )
        if row.id == report.id:
            break
    return ReportDocument(
        clinic_name=clinic_name,
        report_id=report.id,
        study_instance_uid=study.study_instance_uid,
        study_description=study.study_description,
        modality=study.modality,
        clinical_history=study.clinical_history,
        clinical_indication=study.clinical_indication,
        metadata=dict(report.snapshot_metadata or {}),
        chain=chain,
    )


async def _render_and_keep(svc: Services, clinic_id: str, document: ReportDocument) -> bytes:
    content = await render_report_pdf_async(document)
    try:
        async with svc.db.write() as session:
            if await session.get(ReportPdf, document.report_id) is None:
                session.add(ReportPdf(report_id=document.report_id, clinic_id=clinic_id, content=content))
    except IntegrityError:
        # A concurrent download rendered and kept the same signed report first.
        pass
    return content


async def store_after_signing(svc: Services, clinic_id: str, document: ReportDocument) -> None:
    """Render and keep the PDF of a report just signed; a failure is logged, and the download retries."""
    try:
        await _render_and_keep(svc, clinic_id, document)
    except Exception:
        log.exception("rendering the PDF of %s failed; it will be rendered when downloaded", document.report_id)


async def pdf_of(svc: Services, clinic_id: str, report_id: str) -> bytes | None:
    """The PDF of a signed report of the clinic (rendered now if none was kept); None if there is none."""
    async with svc.db.read() as session:
        content = await session.scalar(
            select(ReportPdf.content).where(ReportPdf.report_id == report_id, ReportPdf.clinic_id == clinic_id)
        )
        if content is not None:
            return content
        report = await session.scalar(
            select(Report).where(
                Report.id == report_id,
                Report.clinic_id == clinic_id,
                Report.status == ReportStatus.COMPLETED,
            )
        )
        if report is None:
            return None
        study = await session.get(Study, report.study_id)
        clinic_name = await session.scalar(select(Clinic.name).where(Clinic.id == clinic_id))
        document = await document_for(session, clinic_name, study, report)
    return await _render_and_keep(svc, clinic_id, document)


def pdf_token(signer: Signer, report_id: str, clinic_id: str, ttl_seconds: int) -> str:
    """Names the report and its clinic, nothing else: signed, not encrypted."""
    return signer.sign("pdf", {"r": report_id, "c": clinic_id}, ttl_seconds=ttl_seconds)


def pdf_url(svc: Services, report: Report) -> str | None:
    """The presigned download URL of a signed report's PDF; None while it is in progress."""
    if report.status != ReportStatus.COMPLETED:
        return None
    token = pdf_token(svc.signer, report.id, report.clinic_id, svc.settings.pdf_url_ttl_seconds)
    return f"{svc.settings.public_url}/files/reports/{report.id}.pdf?token={token}"
