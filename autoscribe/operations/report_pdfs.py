"""Report PDFs: the document a signed report prints as; the render queue (a request written in
the signing transaction, claimed by one renderer, ended when the PDF is kept); the kept PDFs; and
the presigned URLs (SPEC §5) they are downloaded by. The rendering itself, in worker processes, is
autoscribe.live.pdf_renderer's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from autoscribe.operations.pdf import ReportDocument, SignedText
from autoscribe.core.services import Services
from autoscribe.core.signing import Signer
from autoscribe.db.enums import ReportStatus
from autoscribe.db.models import Clinic, PdfRender, Report, ReportPdf, Study
from autoscribe.db.types import utcnow

# The events of a signing, after whose commit a render is due.
SIGNED_KINDS = frozenset({"report.signed", "addendum.signed"})


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


def request_render(session: AsyncSession, report: Report) -> None:
    """Queue the PDF of `report`, being signed in this transaction: it is rendered after the commit
    (by a renderer of live.pdf_renderer), and the request lasts until its PDF is kept."""
    session.add(PdfRender(report_id=report.id, clinic_id=report.clinic_id))


async def kept_pdf(svc: Services, clinic_id: str, report_id: str) -> tuple[bytes | None, bool]:
    """(the kept PDF or None, whether `report_id` is a signed report of the clinic), in one statement."""
    row = (
        await svc.db.fetch(
            select(ReportPdf.content)
            .select_from(Report)
            .outerjoin(ReportPdf, ReportPdf.report_id == Report.id)
            .where(Report.id == report_id, Report.clinic_id == clinic_id, Report.status == ReportStatus.COMPLETED)
        )
    ).first()
    return (row.content, True) if row is not None else (None, False)


async def ensure_requested(svc: Services, clinic_id: str, report_id: str) -> None:
    """A signed report with neither a kept PDF nor a render queued (its PDF row was deleted, say)
    gets its render queued."""
    try:
        async with svc.db.write() as session:
            queued = await session.scalar(select(PdfRender.report_id).where(PdfRender.report_id == report_id))
            kept = await session.scalar(select(ReportPdf.report_id).where(ReportPdf.report_id == report_id))
            if queued is None and kept is None:
                session.add(PdfRender(report_id=report_id, clinic_id=clinic_id))
    except IntegrityError:
        pass  # queued by a concurrent download


async def due_renders(svc: Services, limit: int) -> list[str]:
    """Reports whose render is due and unclaimed (or whose claim has expired), oldest due first."""
    now = utcnow()
    rows = await svc.db.fetch(
        select(PdfRender.report_id)
        .where(PdfRender.next_attempt_at <= now, _unclaimed(now))
        .order_by(PdfRender.next_attempt_at, PdfRender.report_id)
        .limit(limit)
    )
    return list(rows.scalars())


async def claim_render(svc: Services, report_id: str, worker: str, lease_seconds: float, *, due_only: bool) -> bool:
    """Whether `worker` now holds the render of `report_id` for `lease_seconds` (one of several
    processes trying at once wins). A download claims a render that is not due yet too."""
    now = utcnow()
    conditions = [PdfRender.report_id == report_id, _unclaimed(now)]
    if due_only:
        conditions.append(PdfRender.next_attempt_at <= now)
    async with svc.db.write() as session:
        result = await session.execute(
            update(PdfRender)
            .where(*conditions)
            .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
        )
        return result.rowcount == 1


async def document_to_render(svc: Services, report_id: str) -> tuple[str, ReportDocument] | None:
    """(clinic ID, what the PDF shows) of a signed report; None if there is no such report."""
    async with svc.db.read() as session:
        report = await session.scalar(
            select(Report).where(Report.id == report_id, Report.status == ReportStatus.COMPLETED)
        )
        if report is None:
            return None
        study = await session.get(Study, report.study_id)
        clinic_name = await session.scalar(select(Clinic.name).where(Clinic.id == report.clinic_id))
        return report.clinic_id, await document_for(session, clinic_name, study, report)


async def keep_pdf(svc: Services, report_id: str, clinic_id: str, content: bytes) -> None:
    """Keep the rendered PDF and end its render request, in one transaction. A PDF already kept
    (rendered by another process whose claim had expired) stays as it is."""
    try:
        async with svc.db.write() as session:
            kept = await session.scalar(select(ReportPdf.report_id).where(ReportPdf.report_id == report_id))
            if kept is None:
                session.add(ReportPdf(report_id=report_id, clinic_id=clinic_id, content=content))
            await session.execute(delete(PdfRender).where(PdfRender.report_id == report_id))
    except IntegrityError:
        pass  # a concurrent renderer kept it first, and ended the request in the same transaction


async def drop_render(svc: Services, report_id: str) -> None:
    """End the render request of a report that is gone."""
    async with svc.db.write() as session:
        await session.execute(delete(PdfRender).where(PdfRender.report_id == report_id))


async def render_failed(svc: Services, report_id: str, worker: str, error: str, delays: Callable[[int], float]) -> int:
    """Note a failed render by `worker` and release its claim: tried again `delays(attempts)`
    seconds later. The number of failed attempts so far."""
    async with svc.db.write() as session:
        render = await session.get(PdfRender, report_id)
        if render is None or render.claimed_by != worker:
            return 0
        render.attempts += 1
        render.last_error = error[:500]
        render.next_attempt_at = utcnow() + timedelta(seconds=delays(render.attempts))
        render.claimed_by = render.claimed_until = None
        return render.attempts


async def release_renders(svc: Services, worker: str) -> None:
    """Release every claim of `worker` (stopping), so that another process takes them up at once."""
    async with svc.db.write() as session:
        await session.execute(
            update(PdfRender).where(PdfRender.claimed_by == worker).values(claimed_by=None, claimed_until=None)
        )


def _unclaimed(now):
    return or_(PdfRender.claimed_until.is_(None), PdfRender.claimed_until < now)


def pdf_token(signer: Signer, report_id: str, clinic_id: str, ttl_seconds: int) -> str:
    """Names the report and its clinic, nothing else: signed, not encrypted."""
    return signer.sign("pdf", {"r": report_id, "c": clinic_id}, ttl_seconds=ttl_seconds)


def pdf_url(svc: Services, report: Report) -> str | None:
    """The presigned download URL of a signed report's PDF; None while it is in progress."""
    if report.status != ReportStatus.COMPLETED:
        return None
    token = pdf_token(svc.signer, report.id, report.clinic_id, svc.settings.pdf_url_ttl_seconds)
    return f"{svc.settings.public_url}/files/reports/{report.id}.pdf?token={token}"
