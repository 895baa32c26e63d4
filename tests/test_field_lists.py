"""Each entity's fields agree wherever they are written: model and output type, input and rules.

What can be derived is (autoscribe.schema.from_row, person_fields.CHANGEABLE, studies._PLAIN);
the lists that must stay apart (a model in db, rules in operations, inputs in schema) are paired
here, so a field added on one side and forgotten on the other fails this file, naming it.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import strawberry
from sqlalchemy import inspect

from autoscribe.db import models
from autoscribe.db.events import filter_fields
from autoscribe.db.enums import HeightUnit, Sex, WeightUnit
from autoscribe.db.types import utcnow
from autoscribe.operations import person_fields, study_rules, user_rules
from autoscribe.schema import invitation, report, study, user
from autoscribe.schema.from_row import from_json, from_row
from strawberry.types.private import is_private
from strawberry.utils.str_converters import to_camel_case


def _type_fields(cls) -> set[str]:
    """The GraphQL type's fields by Python name, resolvers included, Private ones not."""
    return {f.python_name for f in cls.__strawberry_definition__.fields if not is_private(f.type)}


def _columns(model) -> set[str]:
    return {attr.key for attr in inspect(model).column_attrs}


def _graphql_names(cls) -> set[str]:
    return {f.graphql_name or to_camel_case(f.python_name) for f in cls.__strawberry_definition__.fields}


def _required_inputs(cls) -> set[str]:
    return {
        f.graphql_name or to_camel_case(f.python_name)
        for f in cls.__strawberry_definition__.fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _aliases(rules) -> set[str]:
    return {f.alias for f in rules.model_fields.values()}


def _required_rules(rules) -> set[str]:
    return {f.alias for f in rules.model_fields.values() if f.is_required()}


def _not_null(rules) -> set[str]:
    """The optional fields whose explicit null the rules refuse (their `_not_null` validator)."""
    return set(rules.__pydantic_decorators__.field_validators["_not_null"].info.fields)


# (type, model, columns it does not expose, its fields that are no column, {field: column} renamed)
MODEL_TYPES = [
    (
        study.Study, models.Study,
        {"clinic_id", "severity_rank", "assigned_to_id", "created_by_user_id"},
        {"assigned_to", "created_by_user", "reports", "report_ids", "metadata"},
        {"metadata": "extra_metadata"},
    ),
    (
        report.Report, models.Report,
        {"clinic_id", "parent_report_id", "signer_name", "signer_npi"},
        {"study", "author", "parent_report", "pdf_url"},
        {},
    ),
    (
        user.User, models.User,
        {"clinic_id", "email_lower", "accepted_at", "token_epoch", "updated_at"},
        {"invitations", "assigned_studies"},
        {},
    ),
    (
        invitation.Invitation, models.Invitation,
        {"responded_at"},
        {"is_expired", "accept_url", "user"},
        {},
    ),
]


@pytest.mark.parametrize("gql, model, hidden, computed, renamed", MODEL_TYPES, ids=[t[0].__name__ for t in MODEL_TYPES])
def test_output_type_exposes_the_models_columns(gql, model, hidden, computed, renamed):
    """Every column of the model is a field of the type or on the allow-list, and vice versa."""
    columns, fields = _columns(model), _type_fields(gql)
    assert hidden <= columns, f"allow-listed columns that {model.__name__} lacks: {hidden - columns}"
    assert computed <= fields, f"allow-listed fields that {gql.__name__} lacks: {computed - fields}"
    exposed = {renamed.get(name, name) for name in fields if name not in computed or name in renamed}
    assert columns - hidden == exposed, (
        f"{model.__name__} columns not in {gql.__name__}: {sorted(columns - hidden - exposed)}; "
        f"{gql.__name__} fields with no column: {sorted(exposed - columns)}"
    )


# The fields that of() computes rather than copies (schema.study's from_row).
OF_COMPUTES = {study.Study: {"metadata", "technologist_notes"}}


@pytest.mark.parametrize("gql, model", [t[:2] for t in MODEL_TYPES], ids=lambda v: v.__name__)
def test_of_copies_every_plain_field_from_the_row(gql, model):
    """of() fills each field that has no resolver from the row's attribute of its name."""
    row = model(**{column: f"value of {column}" for column in _columns(model)})
    if gql is study.Study:
        row.technologist_notes, row.extra_metadata = ["note"], {"k": "v"}
    out = gql.of(row)
    assert out.row is row
    copied = [f.name for f in dataclasses.fields(gql) if f.init and f.name != "row"]
    assert copied and set(copied) >= OF_COMPUTES.get(gql, set())
    for name in set(copied) - OF_COMPUTES.get(gql, set()):
        assert getattr(out, name) == f"value of {name}", name


def test_study_of_computes_its_renamed_and_copied_fields():
    out = study.Study.of(models.Study(technologist_notes=None, extra_metadata=None))
    assert (out.metadata, out.technologist_notes) == ({}, [])
    notes, extra = ["a"], {"k": "v"}
    out = study.Study.of(models.Study(technologist_notes=notes, extra_metadata=extra))
    assert (out.metadata, out.technologist_notes) == (extra, notes)
    assert out.metadata is not extra and out.technologist_notes is not notes


def test_a_field_missing_from_the_model_fails_when_the_type_is_defined():
    with pytest.raises(TypeError, match=r"Probe\.nickname is neither an attribute of User nor computed"):

        @from_row(models.User)
        @strawberry.type
        class Probe:
            email: str
            nickname: str

    with pytest.raises(TypeError, match=r"Probe has no fields \['nick'\]"):

        @from_json(nick=str)
        @strawberry.type
        class Probe:  # noqa: F811
            email: str


def test_stored_metadata_is_read_under_the_graphql_names():
    """StudyReportMetadata and PriorReport: each field from the stored key of its GraphQL name."""
    stored = {
        "age": "40", "dateOfBirth": "1980-02-03", "facilityName": "F", "height": {"value": 170.0, "unit": "CM"},
        "mrn": "M", "patientName": "P", "procedure": "X", "referringPhysicianName": "R", "sex": "FEMALE",
        "studyDate": "2026-01-02", "studyTime": "09:30", "weight": {"value": 70.0, "unit": "KG"},
    }
    assert set(stored) == _graphql_names(study.StudyReportMetadata)
    assert study.StudyReportMetadata.of(stored) == study.StudyReportMetadata(
        age="40", date_of_birth=date(1980, 2, 3), facility_name="F",
        height=study.Height(value=170.0, unit=HeightUnit.CM), mrn="M", patient_name="P", procedure="X",
        referring_physician_name="R", sex=Sex.FEMALE, study_date=date(2026, 1, 2), study_time="09:30",
        weight=study.Weight(value=70.0, unit=WeightUnit.KG),
    )
    assert study.StudyReportMetadata.of(None) == study.StudyReportMetadata.of({}) == study.StudyReportMetadata()
    prior = {"reportText": "T", "externalStudyId": "E", "modality": "CT", "studyDate": "2025-05-06",
             "studyDescription": "D"}
    assert set(prior) == _graphql_names(study.PriorReport)
    assert study.PriorReport.of(prior) == study.PriorReport(
        report_text="T", external_study_id="E", modality="CT", study_date=date(2025, 5, 6), study_description="D"
    )
    assert study.PriorReport.of({"reportText": "T"}) == study.PriorReport(report_text="T")


# (GraphQL input, pydantic rules that check it)
INPUT_RULES = [
    (study.CreateStudyInput, study_rules.CreateStudyRules),
    (study.UpdateStudyInput, study_rules.UpdateStudyRules),
    (study.StudyReportMetadataInput, study_rules.ReportMetadataRules),
    (study.PriorReportInput, study_rules.PriorReportRules),
    (study.HeightInput, study_rules.HeightRules),
    (study.WeightInput, study_rules.WeightRules),
    (invitation.InviteUserInput, user_rules.InviteRules),
    (user.UpdateUserInput, user_rules.PersonChangeRules),
    (invitation.UpdateInvitationInput, user_rules.PersonChangeRules),
]


@pytest.mark.parametrize("gql, rules", INPUT_RULES, ids=lambda v: v.__name__)
def test_input_and_its_rules_have_the_same_fields(gql, rules):
    """Every field of the input is checked by a rule, every rule is of a field of the input."""
    assert _graphql_names(gql) == _aliases(rules), (
        f"in {gql.__name__} only: {sorted(_graphql_names(gql) - _aliases(rules))}; "
        f"in {rules.__name__} only: {sorted(_aliases(rules) - _graphql_names(gql))}"
    )


@pytest.mark.parametrize("gql, rules", INPUT_RULES, ids=lambda v: v.__name__)
def test_input_and_its_rules_require_the_same_fields(gql, rules):
    assert _required_inputs(gql) == _required_rules(rules)


@pytest.mark.parametrize(
    "update, create, fixed",
    [
        (study_rules.UpdateStudyRules, study_rules.CreateStudyRules, {"studyInstanceUid"}),
        (user_rules.PersonChangeRules, user_rules.InviteRules, {"email"}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_an_update_refuses_null_exactly_for_the_fields_a_create_requires(update, create, fixed):
    """A field required at creation cannot be cleared later; the ones that cannot change are not in the update."""
    assert {to_camel_case(name) for name in _not_null(update)} == _required_rules(create) - fixed
    assert not fixed & _aliases(update)


def test_changeable_person_fields_are_the_update_inputs_and_columns():
    """CHANGEABLE (derived from the rules) names UpdateUserInput's fields and PersonFields' columns."""
    person_columns = {name for name, value in vars(models.PersonFields).items() if hasattr(value, "column")}
    assert set(person_fields.CHANGEABLE) == _graphql_names(user.UpdateUserInput)
    assert set(person_fields.CHANGEABLE.values()) == person_columns - {"email"}
    assert {f.python_name for f in invitation.InviteUserInput.__strawberry_definition__.fields} == person_columns
    for gql in (user.User, invitation.Invitation):
        assert person_columns <= _type_fields(gql), gql.__name__


def test_event_filter_fields_are_the_study_filters():
    """What events store of a study is what a worklist subscription's StudyFilter can ask about."""
    now = utcnow()
    row = models.Study(
        assigned_to_id=None, is_cancelled=False, severity=models.enums.Severity.STAT,
        study_report_status=models.enums.StudyReportStatus.UNASSIGNED, study_description="d",
        study_instance_uid="1.2", created_at=now,
    )
    ranges = {"createdAfter", "createdBefore"}
    assert set(filter_fields(row)) == (_graphql_names(study.StudyFilter) - ranges) | {"createdAt"}
