"""Wire spellings of the domain's enumerations, as the avara SDK's types spell them: lowercase
(`in_progress`, `lbs`, `cm`), hyphenated (`not-expired`), and clinicRole in human-readable words
(an explicit table, from avara/types/shared/clinic_role.py, not derived from the names).

Each `Spelling` converts both ways and gives the pydantic type (`.type`, a Literal of the wire
values) that the response and body models use, so the OpenAPI document lists the same values.
"""

from __future__ import annotations

import enum
from typing import Generic, Literal, TypeVar

from autoscribe.core.errors import BadInput
from autoscribe.db import enums

E = TypeVar("E", bound=enum.Enum)


class Spelling(Generic[E]):
    def __init__(self, table: dict[str, E]):
        self.to_domain: dict[str, E] = dict(table)
        self.to_wire: dict[E, str] = {member: text for text, member in table.items()}
        self.type = Literal[tuple(table)]  # type: ignore[valid-type]

    def wire(self, value: E | None) -> str | None:
        return None if value is None else self.to_wire[value]

    def domain(self, text: str, field: str) -> E:
        try:
            return self.to_domain[text]
        except (KeyError, TypeError):
            raise BadInput(f"Must be one of: {', '.join(self.to_domain)}.", field=field) from None


def lowercase(enum_cls: type[E]) -> Spelling[E]:
    return Spelling({member.value.lower(): member for member in enum_cls})


SEVERITY = lowercase(enums.Severity)
STUDY_REPORT_STATUS = lowercase(enums.StudyReportStatus)
REPORT_STATUS = lowercase(enums.ReportStatus)
SEX = lowercase(enums.Sex)
HEIGHT_UNIT = lowercase(enums.HeightUnit)
WEIGHT_UNIT = lowercase(enums.WeightUnit)
USER_LEVEL = lowercase(enums.UserLevel)
ASSIGNABLE_USER_LEVEL = lowercase(enums.AssignableUserLevel)
INVITED_SOURCE = lowercase(enums.InvitedSource)
INVITATION_STATUS = lowercase(enums.InvitationStatus)
INVITATION_EXPIRED = Spelling({
    "all": enums.InvitationExpiredFilter.ALL,
    "expired": enums.InvitationExpiredFilter.EXPIRED,
    "not-expired": enums.InvitationExpiredFilter.NOT_EXPIRED,
})

_R = enums.ClinicRole
CLINIC_ROLE = Spelling({
    "Doctor": _R.DOCTOR,
    "Physician": _R.PHYSICIAN,
    "Surgeon": _R.SURGEON,
    "Radiologist": _R.RADIOLOGIST,
    "Cardiologist": _R.CARDIOLOGIST,
    "Neurologist": _R.NEUROLOGIST,
    "Urologist": _R.UROLOGIST,
    "Gynecologist": _R.GYNECOLOGIST,
    "Endocrinologist": _R.ENDOCRINOLOGIST,
    "Oncologist": _R.ONCOLOGIST,
    "Radiation Oncologist": _R.RADIATION_ONCOLOGIST,
    "Hematologist": _R.HEMATOLOGIST,
    "Gastroenterologist": _R.GASTROENTEROLOGIST,
    "Pulmonologist": _R.PULMONOLOGIST,
    "Nephrologist": _R.NEPHROLOGIST,
    "Rheumatologist": _R.RHEUMATOLOGIST,
    "Dermatologist": _R.DERMATOLOGIST,
    "Ophthalmologist": _R.OPHTHALMOLOGIST,
    "Otolaryngologist": _R.OTOLARYNGOLOGIST,
    "Pediatrician": _R.PEDIATRICIAN,
    "Obstetrician": _R.OBSTETRICIAN,
    "Psychiatrist": _R.PSYCHIATRIST,
    "Anesthesiologist": _R.ANESTHESIOLOGIST,
    "Emergency Medicine Physician": _R.EMERGENCY_MEDICINE_PHYSICIAN,
    "Family Medicine Physician": _R.FAMILY_MEDICINE_PHYSICIAN,
    "Internal Medicine Physician": _R.INTERNAL_MEDICINE_PHYSICIAN,
    "Pathologist": _R.PATHOLOGIST,
    "Nuclear Medicine Physician": _R.NUCLEAR_MEDICINE_PHYSICIAN,
    "Pain Management Specialist": _R.PAIN_MANAGEMENT_SPECIALIST,
    "Infectious Disease Specialist": _R.INFECTIOUS_DISEASE_SPECIALIST,
    "Immunologist": _R.IMMUNOLOGIST,
    "Physician Assistant": _R.PHYSICIAN_ASSISTANT,
    "Nurse Practitioner": _R.NURSE_PRACTITIONER,
    "Certified Registered Nurse Anesthetist": _R.CERTIFIED_REGISTERED_NURSE_ANESTHETIST,
    "Psychologist": _R.PSYCHOLOGIST,
    "Medical Assistant": _R.MEDICAL_ASSISTANT,
    "Scribe": _R.SCRIBE,
    "Registered Nurse": _R.REGISTERED_NURSE,
    "Nurse Manager": _R.NURSE_MANAGER,
    "Patient Care Coordinator": _R.PATIENT_CARE_COORDINATOR,
    "Imaging Technologist": _R.IMAGING_TECHNOLOGIST,
    "Laboratory Technician": _R.LABORATORY_TECHNICIAN,
    "Medical Laboratory Scientist": _R.MEDICAL_LABORATORY_SCIENTIST,
    "Pathologists' Assistant": _R.PATHOLOGISTS_ASSISTANT,
    "Phlebotomist": _R.PHLEBOTOMIST,
    "Pharmacist": _R.PHARMACIST,
    "Pharmacy Technician": _R.PHARMACY_TECHNICIAN,
    "Physical Therapist": _R.PHYSICAL_THERAPIST,
    "Occupational Therapist": _R.OCCUPATIONAL_THERAPIST,
    "Speech-Language Pathologist": _R.SPEECH_LANGUAGE_PATHOLOGIST,
    "Respiratory Therapist": _R.RESPIRATORY_THERAPIST,
    "Nutritionist": _R.NUTRITIONIST,
    "Front Desk Operator": _R.FRONT_DESK_OPERATOR,
    "Revenue Cycle Manager": _R.REVENUE_CYCLE_MANAGER,
    "Administrative Director": _R.ADMINISTRATIVE_DIRECTOR,
    "Administrative Assistant": _R.ADMINISTRATIVE_ASSISTANT,
    "Legal Administrator": _R.LEGAL_ADMINISTRATOR,
    "IT Administrator": _R.IT_ADMINISTRATOR,
    "IT Support": _R.IT_SUPPORT,
    "Software Engineer": _R.SOFTWARE_ENGINEER,
    "Other": _R.OTHER,
})


class StudyType(enum.Enum):
    """The REST API's kinds of study: every AutoScribe study is a live reading-workflow one
    ("standard"); imported archive studies ("external") are not kept here."""

    STANDARD = "STANDARD"
    EXTERNAL = "EXTERNAL"


STUDY_TYPE = lowercase(StudyType)
