"""The rules a study's input must satisfy (SPEC §2)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

from autoscribe.db.enums import HeightUnit, Severity, Sex, WeightUnit
from autoscribe.operations.validation import NonBlank, PositiveFloat, Rules, TimeHHMM, changes_of

_UID = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*")


def _dicom_uid(value: str) -> str:
    if len(value) > 64 or not _UID.fullmatch(value):
        raise ValueError(
            "Must be a DICOM UID: digits and dots, no empty or zero-led component, at most 64 characters."
        )
    return value


def _flat_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError("Must be an object of string keys to string values.")
    if len(value) > 50:
        raise ValueError("At most 50 pairs.")
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 100:
            raise ValueError("Keys must be strings of 1 to 100 characters.")
        if not isinstance(item, str) or len(item) > 1000:
            raise ValueError(f"The value of {key!r} must be a string of at most 1000 characters.")
    return value


def _str(n: int):
    return Annotated[str, StringConstraints(max_length=n)]


DicomUid = Annotated[str, AfterValidator(_dicom_uid)]
FlatMap = Annotated[Any, AfterValidator(_flat_map)]
Note = _str(1000)


class HeightRules(Rules):
    value: PositiveFloat
    unit: HeightUnit


class WeightRules(Rules):
    value: PositiveFloat
    unit: WeightUnit


class ReportMetadataRules(Rules):
    age: _str(20) | None = None
    date_of_birth: date | None = None
    facility_name: _str(500) | None = None
    height: HeightRules | None = None
    mrn: _str(200) | None = None
    patient_name: _str(500) | None = None
    procedure: _str(1000) | None = None
    referring_physician_name: _str(500) | None = None
    sex: Sex | None = None
    study_date: date | None = None
    study_time: TimeHHMM | None = None
    weight: WeightRules | None = None


class PriorReportRules(Rules):
    report_text: Annotated[NonBlank, StringConstraints(max_length=100_000)]
    external_study_id: _str(200) | None = None
    modality: _str(64) | None = None
    study_date: date | None = None
    study_description: _str(1000) | None = None


class StudyRules(Rules):
    """A study's fields as createStudy states them whole."""

    study_description: Annotated[NonBlank, StringConstraints(max_length=2000)]
    severity: Severity
    report_metadata: ReportMetadataRules
    assigned_to: str | None = None
    clinical_history: _str(10_000) | None = None
    clinical_indication: _str(10_000) | None = None
    modality: _str(64) | None = None
    external_patient_id: _str(200) | None = None
    technologist_notes: Annotated[list[Note], Field(max_length=50)] | None = None
    technologist_technique: _str(10_000) | None = None
    metadata: FlatMap | None = None
    prior_reports: Annotated[list[PriorReportRules], Field(max_length=50)] | None = None


class CreateStudyRules(StudyRules):
    """createStudy's input: the study, and its UID (which does not change later)."""

    study_instance_uid: DicomUid


UpdateStudyRules = changes_of(StudyRules, "UpdateStudyRules", "updateStudy's input: each field optional, given ones checked.")
