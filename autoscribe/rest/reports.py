"""The report endpoints (`auto_scribe.reports.*` of the SDK) over autoscribe.operations.reports;
`text` and `pdf` answer one report (given `reportId`) or every report of a study."""

from __future__ import annotations

from autoscribe.core.errors import BadInput, Conflict, NotFound
from autoscribe.db import models as rows
from autoscribe.db.enums import ReportStatus
from autoscribe.operations import reports, studies
from autoscribe.operations.report_pdfs import pdf_url
from autoscribe.operations.validation import check_id
from autoscribe.rest import models, views
from autoscribe.rest.query import Param
from autoscribe.rest.routing import Endpoint, RestRequest

STUDY_PARAMS = (
    Param("studyId", description="The study's ID (or give studyInstanceUid)."),
    Param("studyInstanceUid", description="The study's DICOM Study Instance UID (or give studyId)."),
)
ONE_PARAMS = (Param("reportId", description="One report (or give studyId or studyInstanceUid)."), *STUDY_PARAMS)
# Operation fields as these endpoints name them.
FIELDS = {"id": "studyId"}


async def _study(req: RestRequest) -> rows.Study:
    """The study named by studyId or studyInstanceUid (exactly one), else 404."""
    q = req.query
    study = await studies.get_study(req.svc, req.principal, id=q.get("studyId"), uid=q.get("studyInstanceUid"))
    if study is None:
        raise NotFound("No such study.", field="studyId" if "studyId" in q else "studyInstanceUid")
    return study


async def _reports(req: RestRequest) -> tuple[rows.Study, list[rows.Report]]:
    """(study, its reports) for reportId (that one report) or studyId/studyInstanceUid (them all)."""
    q = req.query
    if sum(key in q for key in ("reportId", "studyId", "studyInstanceUid")) != 1:
        raise BadInput("Give exactly one of reportId, studyId and studyInstanceUid.", field="reportId")
    if "reportId" not in q:
        study = await _study(req)
        return study, await reports.list_reports(req.svc, req.principal, study_id=study.id, uid=None)
    report = await reports.get_report(req.svc, req.principal, check_id(q["reportId"], "report", "reportId"))
    study = report and await studies.get_study(req.svc, req.principal, id=report.study_id)
    if report is None or study is None:
        raise NotFound("No such report.", field="reportId")
    return study, [report]


async def list_(req: RestRequest) -> models.ReportList:
    study = await _study(req)
    found = await reports.list_reports(req.svc, req.principal, study_id=study.id, uid=None)
    return models.ReportList(
        reports=[views.report(r) for r in found], study_id=study.id, study_instance_uid=study.study_instance_uid
    )


def _text_item(study: rows.Study, report: rows.Report) -> models.ReportTextItem:
    return models.ReportTextItem(
        report_id=report.id, study_id=study.id, study_instance_uid=study.study_instance_uid,
        snapshot_metadata=views.report_metadata(report.snapshot_metadata),
        is_critical=report.is_critical, plain_text=report.plain_text,
    )


async def text(req: RestRequest) -> models.ReportTextItem | models.ReportTextList:
    study, found = await _reports(req)
    if "reportId" in req.query:
        return _text_item(study, found[0])
    return models.ReportTextList(
        reports=[_text_item(study, r) for r in found], study_id=study.id, study_instance_uid=study.study_instance_uid
    )


def _pdf_item(req: RestRequest, study: rows.Study, report: rows.Report) -> models.ReportPdfItem:
    return models.ReportPdfItem(
        report_id=report.id, study_id=study.id, study_instance_uid=study.study_instance_uid,
        snapshot_metadata=views.report_metadata(report.snapshot_metadata),
        presigned_url=pdf_url(req.svc, report), is_critical=report.is_critical,
    )


async def pdf(req: RestRequest) -> models.ReportPdfItem | models.ReportPdfList:
    """Only signed reports have a PDF: a single one in progress is a conflict; a study's list leaves
    its reports in progress out."""
    study, found = await _reports(req)
    if "reportId" in req.query:
        if found[0].status != ReportStatus.COMPLETED:
            raise Conflict("The report is not signed yet: it has no PDF.", field="reportId")
        return _pdf_item(req, study, found[0])
    signed = [r for r in found if r.status == ReportStatus.COMPLETED]
    return models.ReportPdfList(
        reports=[_pdf_item(req, study, r) for r in signed], study_id=study.id, study_instance_uid=study.study_instance_uid
    )


async def addendum(req: RestRequest) -> models.Ack:
    created = await reports.create_addendum(req.svc, req.principal, req.path["report_id"])
    return models.Ack(success=True, message=f"Addendum {created.id} opened.")


async def cancel_addendum(req: RestRequest) -> models.Ack:
    discarded = await reports.cancel_addendum(req.svc, req.principal, req.path["report_id"])
    return models.Ack(success=True, message=f"Addendum {discarded.id} cancelled.")


ENDPOINTS = (
    Endpoint("GET", "/reports", list_, models.ReportList, "auto_scribe.reports.list",
             "Every report of a study, the primary first.", query=STUDY_PARAMS, fields=FIELDS),
    Endpoint("GET", "/reports/text", text, models.ReportTextItem | models.ReportTextList,
             "auto_scribe.reports.text", "The plain text of one report, or of every report of a study.",
             query=ONE_PARAMS, fields=FIELDS),
    Endpoint("GET", "/reports/pdf", pdf, models.ReportPdfItem | models.ReportPdfList,
             "auto_scribe.reports.pdf", "Presigned PDF URLs of one signed report, or of a study's signed reports.",
             query=ONE_PARAMS, fields=FIELDS),
    Endpoint("POST", "/reports/{report_id}/addendum", addendum, models.Ack, "auto_scribe.reports.addendum",
             "Open an addendum on a signed report."),
    Endpoint("POST", "/reports/{report_id}/cancel-addendum", cancel_addendum, models.Ack,
             "auto_scribe.reports.cancel_addendum",
             "Cancel the open addendum (given by its own ID or its parent's)."),
)
