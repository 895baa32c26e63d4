"""Small helpers shared by the study tests."""

CREATE = "mutation($input: CreateStudyInput!) { createStudy(input: $input) { id studyReportStatus updatedAt createdAt } }"


def study_input(uid="1.2.3.4", **extra):
    return {"studyInstanceUid": uid, "studyDescription": "MR Knee", "severity": "NORMAL",
            "reportMetadata": {"patientName": "Roe^Richard"}, **extra}


async def create_study(api, token, uid="1.2.3.4", **extra) -> dict:
    return (await api.ok(CREATE, {"input": study_input(uid, **extra)}, token=token))["createStudy"]
