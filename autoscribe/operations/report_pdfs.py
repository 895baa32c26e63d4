"""Report PDFs: the document a signed report prints as; the render queue (a request written in
the signing transaction, claimed by one renderer, ended when the PDF is kept); the kept PDFs; and
the presigned URLs (SPEC §5) they are downloaded by. The rendering itself, in worker processes, is
autoscribe.live.pdf_renderer's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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


def _document(rows, report_id: str) -> tuple[str, ReportDocument] | None:
    """(clinic ID, what the PDF shows) of the signed report `report_id`, from the signed reports of
    its study (the original first, then the addenda oldest first): the original, then the addenda
    up to it. None if it is not among them."""
    chain = []
    for row in rows:
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
        if row.id == report_id:
            return row.clinic_id, ReportDocument(
                clinic_name=row.clinic_name,
                report_id=row.id,
                study_instance_uid=row.study_instance_uid,
                study_description=row.study_description,
                modality=row.modality,
                clinical_history=row.clinical_history,
                clinical_indication=row.clinical_indication,
                metadata=dict(row.snapshot_metadata or {}),
                chain=chain,
            )
    return None


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


async def oldest_due(svc: Services) -> datetime | None:
    """Since when the longest-waiting render that is due and unclaimed has been due; None if none is."""
    return (await svc.db.fetch(select(func.min(PdfRender.next_attempt_at)).where(*_due(utcnow())))).scalar()


def _claim(worker: str, lease_seconds: float, now, *conditions):
    """The UPDATE that claims the unclaimed renders meeting `conditions` for `worker`: of several
    processes trying at once, one gets each (PostgreSQL checks the conditions again on the locked
    row, SQLite has one writer), returning the IDs claimed."""
    return (
        update(PdfRender)
        .where(*conditions, _unclaimed(now))
        .values(claimed_by=worker, claimed_until=now + timedelta(seconds=lease_seconds))
        .returning(PdfRender.report_id)
    )


async def claim_due_renders(svc: Services, worker: str, lease_seconds: float, limit: int) -> list[str]:
    """Claim for `worker`, for `lease_seconds`, up to `limit` renders that are due and unclaimed
    (or whose claim has expired), oldest due first, in one statement; the reports claimed."""
    now = utcnow()
    due = (
        select(PdfRender.report_id)
        .where(*_due(now))
        .order_by(PdfRender.next_attempt_at, PdfRender.report_id)
        .limit(limit)
    )
    (result,) = await svc.db.change(
        _claim(worker, lease_seconds, now, PdfRender.report_id.in_(due), PdfRender.next_attempt_at <= now)
    )
    return list(result.scalars())


async def claim_render(svc: Services, report_id: str, worker: str, lease_seconds: float) -> bool:
    """Whether `worker` now holds the render of `report_id` for `lease_seconds`, due or not (a
    download's: one of several processes trying at once wins)."""
    (result,) = await svc.db.change(_claim(worker, lease_seconds, utcnow(), PdfRender.report_id == report_id))
    return result.first() is not None


async def document_to_render(svc: Services, report_id: str) -> tuple[str, ReportDocument] | None:
    """(clinic ID, what the PDF shows) of a signed report, read in one statement; None if there is
    no such report."""
    study_id = (
        select(Report.study_id)
        .where(Report.id == report_id, Report.status == ReportStatus.COMPLETED)
        .scalar_subquery()
    )
    rows = await svc.db.fetch(
        select(
            Report.id, Report.clinic_id, Report.plain_text, Report.signer_name, Report.signer_npi,
            Report.signed_at, Report.is_critical, Report.is_addendum, Report.snapshot_metadata,
            Study.study_instance_uid, Study.study_description, Study.modality, Study.clinical_history,
            Study.clinical_indication, Clinic.name.label("clinic_name"),
        )
        .join(Study, (Study.id == Report.study_id) & (Study.clinic_id == Report.clinic_id))
        .join(Clinic, Clinic.id == Report.clinic_id)
        .where(Report.study_id == study_id, Report.status == ReportStatus.COMPLETED)
        .order_by(Report.is_addendum, Report.created_at, Report.id)
    )
    return _document(rows, report_id)


async def keep_pdf(svc: Services, report_id: str, clinic_id: str, content: bytes) -> None:
    """Keep the rendered PDF and end its render request, at once (one statement on PostgreSQL). A
    PDF already kept (rendered by another process whose claim had expired) stays as it is."""
    insert = (sqlite_insert if svc.db.is_sqlite else pg_insert)(ReportPdf).values(
        report_id=report_id, clinic_id=clinic_id, content=content, created_at=utcnow()
    ).on_conflict_do_nothing(index_elements=[ReportPdf.report_id])
    end = delete(PdfRender).where(PdfRender.report_id == report_id)
    try:
        if svc.db.is_sqlite:
            await svc.db.change(insert, end)
        else:
            await svc.db.change(insert.add_cte(end.returning(PdfRender.report_id).cte("ended")))
    except IntegrityError:
        pass  # the report is gone (and its render request with it)


async def drop_render(svc: Services, report_id: str) -> None:
    """End the render request of a report that is gone."""
    await svc.db.change(delete(PdfRender).where(PdfRender.report_id == report_id))


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
    await svc.db.change(
        update(PdfRender).where(PdfRender.claimed_by == worker).values(claimed_by=None, claimed_until=None)
    )


def _due(now) -> tuple:
    """The conditions of a render that is due and unclaimed (or whose claim has expired) at `now`."""
    return PdfRender.next_attempt_at <= now, _unclaimed(now)


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
