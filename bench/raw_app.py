"""The raw baseline: the worklist page read with SQLAlchemy Core and serialised with `json`.

What any server must do for the worklist, and nothing more: look up the API key (one query),
read the page of studies (one query), read their assigned users (one query), build the same
JSON document that the GraphQL query returns. Served by uvicorn exactly as `autoscribe serve`
is (same loop and HTTP parser), so the difference to it is the cost of the GraphQL stack.

Run: python -m bench.raw_app --port P   (POST /worklist?first=N with Authorization: Bearer <key>)
"""

from __future__ import annotations

import argparse
import contextlib
import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from autoscribe.operations.authentication import hash_api_key
from bench.database import SA_URL
from autoscribe.db.models import ApiKey, Study, User

STUDY_COLUMNS = [
    Study.id, Study.study_instance_uid, Study.study_description, Study.severity, Study.study_report_status,
    Study.is_cancelled, Study.created_at, Study.updated_at, Study.modality, Study.clinical_indication,
    Study.external_patient_id, Study.is_critical, Study.assigned_to_id, Study.report_metadata,
]
METADATA_KEYS = ("patientName", "mrn", "dateOfBirth", "sex", "studyDate", "studyTime")


def create_app(url: str = SA_URL) -> Starlette:
    engine: AsyncEngine = create_async_engine(url, pool_size=5, max_overflow=10)

    async def worklist(request: Request) -> Response:
        first = min(max(int(request.query_params.get("first", "100")), 1), 100)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        async with engine.connect() as conn:
            clinic_id = await conn.scalar(
                select(ApiKey.clinic_id).where(ApiKey.key_hash == hash_api_key(token), ApiKey.revoked_at.is_(None))
            )
            if scheme.lower() != "bearer" or clinic_id is None:
                return JSONResponse({"errors": [{"message": "unauthenticated"}]}, status_code=401)
            rows = (await conn.execute(
                select(*STUDY_COLUMNS)
                .where(Study.clinic_id == clinic_id)
                .order_by(Study.severity_rank, Study.created_at, Study.id)
                .limit(first + 1)
            )).all()
            has_next = len(rows) > first
            rows = rows[:first]
            user_ids = {r.assigned_to_id for r in rows if r.assigned_to_id}
            users = {}
            if user_ids:
                for u in await conn.execute(
                    select(User.id, User.first_name, User.last_name, User.email)
                    .where(User.id.in_(user_ids), User.clinic_id == clinic_id)
                ):
                    users[u.id] = {"id": u.id, "firstName": u.first_name, "lastName": u.last_name, "email": u.email}
        nodes = []
        for r in rows:
            meta = r.report_metadata or {}
            nodes.append({
                "id": r.id,
                "studyInstanceUid": r.study_instance_uid,
                "studyDescription": r.study_description,
                "severity": r.severity.value,
                "studyReportStatus": r.study_report_status.value,
                "isCancelled": r.is_cancelled,
                "createdAt": r.created_at.isoformat(),
                "updatedAt": r.updated_at.isoformat(),
                "modality": r.modality,
                "clinicalIndication": r.clinical_indication,
                "externalPatientId": r.external_patient_id,
                "isCritical": r.is_critical,
                "assignedTo": users.get(r.assigned_to_id),
                "reportMetadata": {k: meta.get(k) for k in METADATA_KEYS},
            })
        body = {"data": {"studies": {"pageInfo": {"hasNextPage": has_next}, "nodes": nodes}}}
        return Response(json.dumps(body), media_type="application/json")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await engine.dispose()

    app = Starlette(routes=[Route("/worklist", worklist, methods=["POST"]), Route("/healthz", healthz)],
                    lifespan=lifespan)
    app.state.engine = engine
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.raw_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", default=SA_URL)
    args = parser.parse_args()
    uvicorn.run(create_app(args.database_url), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
