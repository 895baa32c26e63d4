"""Bearer tokens and tenancy: who may call, and that one clinic never sees or touches another's."""

from datetime import datetime, timezone

from autoscribe.db.models import ApiKey
from tests.support.studies_helpers import create_study

ME = "{ me { clinicId clinicName apiKeyId user { id } } }"


async def test_me_names_the_clinic_and_key(api, clinic):
    me = (await api.ok(ME, token=clinic.key))["me"]
    assert me["clinicId"] == clinic.id and me["clinicName"] == "Northside Imaging"
    assert me["apiKeyId"].startswith("key_") and me["user"] is None


async def test_missing_bad_and_revoked_keys_are_unauthenticated(api, services, clinic):
    for token in (None, "ask_nope", "nonsense", clinic.key + "x", "ust_forged.token"):
        body = await api(ME + " ", token=token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    resp = await api.raw("{ me { clinicId } }", headers={"Authorization": f"Basic {clinic.key}"})
    assert resp.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with services.db.write() as session:
        key = await session.get(ApiKey, (await api.ok(ME, token=clinic.key))["me"]["apiKeyId"])
        key.revoked_at = datetime.now(timezone.utc)
    body = await api(ME, token=clinic.key)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unauthenticated_mutation_stores_nothing(api, clinic):
    body = await api("mutation { createStudy(input: {studyInstanceUid: \"1.2\", studyDescription: \"x\", "
                     "severity: STAT, reportMetadata: {}}) { id } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    data = await api.ok("{ studies { totalCount } }", token=clinic.key)
    assert data["studies"]["totalCount"] == 0


async def test_keys_are_stored_only_as_hashes(services, clinic):
    from sqlalchemy import select
    async with services.db.read() as session:
        hashes = (await session.scalars(select(ApiKey.key_hash).where(ApiKey.clinic_id == clinic.id))).all()
    assert hashes and clinic.key not in hashes and all(len(h) == 64 for h in hashes)


async def test_another_clinic_sees_and_touches_nothing(api, clinic, other_clinic):
    s = await create_study(api, clinic.key, uid="7.7.7")
    theirs = other_clinic.key
    assert (await api.ok("query($id: ID) { study(id: $id) { id } }", {"id": s["id"]}, token=theirs))["study"] is None
    assert (await api.ok('{ study(studyInstanceUid: "7.7.7") { id } }', token=theirs))["study"] is None
    assert (await api.ok("{ studies { totalCount nodes { id } } }", token=theirs))["studies"] == {
        "totalCount": 0, "nodes": []}
    for mutation in (
        'mutation($id: ID!) { updateStudy(id: $id, input: {modality: "CT"}) { id } }',
        "mutation($id: ID) { cancelStudy(id: $id) { id } }",
        "mutation($id: ID) { uncancelStudy(id: $id) { id } }",
    ):
        err = await api.error(mutation, {"id": s["id"]}, token=theirs)
        assert err["code"] == "NOT_FOUND", mutation
    # The same answers as for an ID that does not exist at all.
    ghost = "stu_" + "0" * 32
    err_ghost = await api.error('mutation($id: ID!) { updateStudy(id: $id, input: {modality: "CT"}) { id } }',
                                {"id": ghost}, token=theirs)
    err_real = await api.error('mutation($id: ID!) { updateStudy(id: $id, input: {modality: "CT"}) { id } }',
                               {"id": s["id"]}, token=theirs)
    assert err_ghost == err_real
    # Untouched for its owner.
    mine = await api.ok("query($id: ID) { study(id: $id) { modality isCancelled } }", {"id": s["id"]}, token=clinic.key)
    assert mine["study"] == {"modality": None, "isCancelled": False}
