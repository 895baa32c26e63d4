"""The study endpoints (`auto_scribe.studies.*` of the SDK): each reads its request, calls the
operation the GraphQL field calls (autoscribe.operations.studies / reroute), and shows the result."""

from __future__ import annotations

from autoscribe.core.errors import BadInput, NotFound
from autoscribe.db.enums import StudyOrder
from autoscribe.operations import reroute, studies
from autoscribe.rest import models, views, wire
from autoscribe.rest.pages import PAGE_PARAMS, page_args, page_end
from autoscribe.rest.query import Param
from autoscribe.rest.routing import Endpoint, RestRequest

# Operation fields as these endpoints name them.
STUDY_KEY = {"id": "studyId"}


def study_input(body: models.StudyFields) -> dict:
    """A create/update body as the operation takes it: the given fields, camelCase, domain enums."""
    data = body.model_dump(by_alias=True, exclude_unset=True)
    if data.pop("expressCustomerId", None) is not None:
        raise BadInput("Express customers are not supported.", field="expressCustomerId")
    if data.get("severity") is not None:
        data["severity"] = wire.SEVERITY.to_domain[data["severity"]].value
    meta = data.get("reportMetadata")
    if meta:
        if meta.get("sex") is not None:
            meta["sex"] = wire.SEX.to_domain[meta["sex"]].value
        for key, spelling in (("height", wire.HEIGHT_UNIT), ("weight", wire.WEIGHT_UNIT)):
            if meta.get(key) is not None:
                meta[key]["unit"] = spelling.to_domain[meta[key]["unit"]].value
    return data


def _missing(row):
    if row is None:
        raise NotFound("No such study.", field="studyId")
    return row


async def create(req: RestRequest) -> models.Study:
    return await views.study(req, await studies.create_study(req.svc, req.principal, study_input(req.body)))


async def retrieve(req: RestRequest) -> models.Study:
    row = await studies.get_study(req.svc, req.principal, id=req.path["study_id"])
    return await views.study(req, _missing(row))


async def retrieve_by_uid(req: RestRequest) -> models.Study:
    row = await studies.get_study(req.svc, req.principal, uid=req.path["study_instance_uid"])
    if row is None:
        raise NotFound("No such study.", field="studyInstanceUid")
    return await views.study(req, row)


LIST_PARAMS = (
    Param("assignedTo", description="A user ID: the studies assigned to them."),
    Param("isCancelled", "boolean"),
    Param("severity", "enum", spelling=wire.SEVERITY),
    Param("studyDescription", description="Case-insensitive substring of the study description."),
    Param("studyReportStatus", "enum-list", "Comma-joined statuses.", spelling=wire.STUDY_REPORT_STATUS),
    Param("studyType", "enum", "Every study here is standard: external selects none.", spelling=wire.STUDY_TYPE),
    Param("expressCustomerId", description="No study here has an Express customer: any value selects none."),
    *PAGE_PARAMS,
)

_FILTER_KEYS = ("assignedTo", "isCancelled", "studyDescription", "studyReportStatus")


async def list_(req: RestRequest) -> models.StudyPage:
    q = req.query
    if q.get("studyType") == wire.StudyType.EXTERNAL or "expressCustomerId" in q:
        return models.StudyPage(studies=[], cursor=None, has_more=False)
    flt = {key: q[key] for key in _FILTER_KEYS if key in q}
    if "severity" in q:
        flt["severity"] = [q["severity"]]
    page = await studies.list_studies(
        req.svc, req.principal, filter=flt, order=StudyOrder.CREATED_AT_DESC, **page_args(q)
    )
    return models.StudyPage(studies=await views.studies(req, page.rows), **page_end(page))


async def update(req: RestRequest) -> models.Study:
    row = await studies.update_study(req.svc, req.principal, req.path["study_id"], study_input(req.body))
    return await views.study(req, row)


def _set_cancelled(cancelled: bool):
    async def handler(req: RestRequest) -> models.Ack:
        body = req.body
        await studies.set_cancelled(
            req.svc, req.principal, id=body.study_id, uid=body.study_instance_uid, cancelled=cancelled
        )
        return models.Ack(success=True, message="Study cancelled." if cancelled else "Study restored.")

    return handler


async def reroute_url(req: RestRequest) -> models.RerouteUrl:
    body = req.body
    link = await reroute.create_reroute_url(
        req.svc, req.principal, id=body.study_id, uid=body.study_instance_uid, user_id=body.assigned_to_user_id
    )
    return models.RerouteUrl(url=link.url)


async def viewer_only_reroute_url(req: RestRequest) -> models.RerouteUrl:
    body = req.body
    link = await reroute.create_viewer_only_url(
        req.svc, req.principal, id=body.study_id, uid=body.study_instance_uid, user_id=body.user_id
    )
    return models.RerouteUrl(url=link.url)


ENDPOINTS = (
    Endpoint("POST", "/studies", create, models.Study, "auto_scribe.studies.create",
             "Create a study.", body=models.CreateStudyBody),
    Endpoint("GET", "/studies", list_, models.StudyPage, "auto_scribe.studies.list",
             "A page of the clinic's studies, newest first.", query=LIST_PARAMS),
    Endpoint("POST", "/studies/cancel", _set_cancelled(True), models.Ack, "auto_scribe.studies.cancel",
             "Cancel a study (by studyId or studyInstanceUid).", body=models.StudyKeyBody, fields=STUDY_KEY),
    Endpoint("POST", "/studies/uncancel", _set_cancelled(False), models.Ack, "auto_scribe.studies.uncancel",
             "Restore a cancelled study.", body=models.StudyKeyBody, fields=STUDY_KEY),
    Endpoint("POST", "/studies/reroute-url", reroute_url, models.RerouteUrl, "auto_scribe.studies.reroute_url",
             "Assign the study to a radiologist and get a link that opens viewer and dictation for them.",
             body=models.RerouteBody, fields=STUDY_KEY),
    Endpoint("POST", "/studies/viewer-only-reroute-url", viewer_only_reroute_url, models.RerouteUrl,
             "auto_scribe.studies.viewer_only_reroute_url", "A read-only link that opens the viewer alone.",
             body=models.ViewerOnlyRerouteBody, fields=STUDY_KEY),
    Endpoint("GET", "/studies/by-uid/{study_instance_uid}", retrieve_by_uid, models.Study,
             "auto_scribe.studies.retrieve_by_uid", "A study by its DICOM Study Instance UID."),
    Endpoint("GET", "/studies/{study_id}", retrieve, models.Study, "auto_scribe.studies.retrieve",
             "A study by its ID.", fields=STUDY_KEY),
    Endpoint("PATCH", "/studies/{study_id}", update, models.Study, "auto_scribe.studies.update",
             "Change the given fields of a study; reportMetadata fields are merged.",
             body=models.StudyFields, fields=STUDY_KEY),
)
