"""The domain's enumerations, shared by the models, the resolvers and the GraphQL schema."""

from __future__ import annotations

import enum


class Severity(enum.Enum):
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    STAT = "STAT"


# Reading order: STAT first, then HIGH, then NORMAL.
SEVERITY_RANK = {Severity.STAT: 0, Severity.HIGH: 1, Severity.NORMAL: 2}


class StudyReportStatus(enum.Enum):
    UNASSIGNED = "UNASSIGNED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ADDENDUM_ACTIVE = "ADDENDUM_ACTIVE"


class ReportStatus(enum.Enum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"


class WebhookDeliveryStatus(enum.Enum):
    """PENDING until the receiver answers 2xx (DELIVERED) or the retries run out (FAILED)."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class Sex(enum.Enum):
    MALE = "MALE"
    FEMALE = "FEMALE"
    OTHER = "OTHER"


class HeightUnit(enum.Enum):
    IN = "IN"
    CM = "CM"


class WeightUnit(enum.Enum):
    LBS = "LBS"
    KG = "KG"


class UserLevel(enum.Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class AssignableUserLevel(enum.Enum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


class UserStatus(enum.Enum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class InvitationStatus(enum.Enum):
    SENT = "SENT"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    REVOKED = "REVOKED"


class InvitedSource(enum.Enum):
    DASHBOARD = "DASHBOARD"
    API = "API"


class InvitationExpiredFilter(enum.Enum):
    ALL = "ALL"
    EXPIRED = "EXPIRED"
    NOT_EXPIRED = "NOT_EXPIRED"


class StudyOrder(enum.Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    PRIORITY = "PRIORITY"


class WorklistEventType(enum.Enum):
    ADDED = "ADDED"
    UPDATED = "UPDATED"
    REMOVED = "REMOVED"


ClinicRole = enum.Enum(
    "ClinicRole",
    {
        name: name
        for name in """
        DOCTOR PHYSICIAN SURGEON RADIOLOGIST CARDIOLOGIST NEUROLOGIST UROLOGIST GYNECOLOGIST
        ENDOCRINOLOGIST ONCOLOGIST RADIATION_ONCOLOGIST HEMATOLOGIST GASTROENTEROLOGIST PULMONOLOGIST
        NEPHROLOGIST RHEUMATOLOGIST DERMATOLOGIST OPHTHALMOLOGIST OTOLARYNGOLOGIST PEDIATRICIAN
        OBSTETRICIAN PSYCHIATRIST ANESTHESIOLOGIST EMERGENCY_MEDICINE_PHYSICIAN FAMILY_MEDICINE_PHYSICIAN
        INTERNAL_MEDICINE_PHYSICIAN PATHOLOGIST NUCLEAR_MEDICINE_PHYSICIAN PAIN_MANAGEMENT_SPECIALIST
        INFECTIOUS_DISEASE_SPECIALIST IMMUNOLOGIST PHYSICIAN_ASSISTANT NURSE_PRACTITIONER
        CERTIFIED_REGISTERED_NURSE_ANESTHETIST PSYCHOLOGIST MEDICAL_ASSISTANT SCRIBE REGISTERED_NURSE
        NURSE_MANAGER PATIENT_CARE_COORDINATOR IMAGING_TECHNOLOGIST LABORATORY_TECHNICIAN
        MEDICAL_LABORATORY_SCIENTIST PATHOLOGISTS_ASSISTANT PHLEBOTOMIST PHARMACIST PHARMACY_TECHNICIAN
        PHYSICAL_THERAPIST OCCUPATIONAL_THERAPIST SPEECH_LANGUAGE_PATHOLOGIST RESPIRATORY_THERAPIST
        NUTRITIONIST FRONT_DESK_OPERATOR REVENUE_CYCLE_MANAGER ADMINISTRATIVE_DIRECTOR
        ADMINISTRATIVE_ASSISTANT LEGAL_ADMINISTRATOR IT_ADMINISTRATOR IT_SUPPORT SOFTWARE_ENGINEER OTHER
        """.split()
    },
)

# Each role's display name, as the REST API (the avara SDK's ClinicRole) spells it: an explicit table,
# since the names do not say it ("Pathologists' Assistant", "Speech-Language Pathologist", "IT Support").
CLINIC_ROLE_TITLES: dict[ClinicRole, str] = {
    ClinicRole.DOCTOR: "Doctor",
    ClinicRole.PHYSICIAN: "Physician",
    ClinicRole.SURGEON: "Surgeon",
    ClinicRole.RADIOLOGIST: "Radiologist",
    ClinicRole.CARDIOLOGIST: "Cardiologist",
    ClinicRole.NEUROLOGIST: "Neurologist",
    ClinicRole.UROLOGIST: "Urologist",
    ClinicRole.GYNECOLOGIST: "Gynecologist",
    ClinicRole.ENDOCRINOLOGIST: "Endocrinologist",
    ClinicRole.ONCOLOGIST: "Oncologist",
    ClinicRole.RADIATION_ONCOLOGIST: "Radiation Oncologist",
    ClinicRole.HEMATOLOGIST: "Hematologist",
    ClinicRole.GASTROENTEROLOGIST: "Gastroenterologist",
    ClinicRole.PULMONOLOGIST: "Pulmonologist",
    ClinicRole.NEPHROLOGIST: "Nephrologist",
    ClinicRole.RHEUMATOLOGIST: "Rheumatologist",
    ClinicRole.DERMATOLOGIST: "Dermatologist",
    ClinicRole.OPHTHALMOLOGIST: "Ophthalmologist",
    ClinicRole.OTOLARYNGOLOGIST: "Otolaryngologist",
    ClinicRole.PEDIATRICIAN: "Pediatrician",
    ClinicRole.OBSTETRICIAN: "Obstetrician",
    ClinicRole.PSYCHIATRIST: "Psychiatrist",
    ClinicRole.ANESTHESIOLOGIST: "Anesthesiologist",
    ClinicRole.EMERGENCY_MEDICINE_PHYSICIAN: "Emergency Medicine Physician",
    ClinicRole.FAMILY_MEDICINE_PHYSICIAN: "Family Medicine Physician",
    ClinicRole.INTERNAL_MEDICINE_PHYSICIAN: "Internal Medicine Physician",
    ClinicRole.PATHOLOGIST: "Pathologist",
    ClinicRole.NUCLEAR_MEDICINE_PHYSICIAN: "Nuclear Medicine Physician",
    ClinicRole.PAIN_MANAGEMENT_SPECIALIST: "Pain Management Specialist",
    ClinicRole.INFECTIOUS_DISEASE_SPECIALIST: "Infectious Disease Specialist",
    ClinicRole.IMMUNOLOGIST: "Immunologist",
    ClinicRole.PHYSICIAN_ASSISTANT: "Physician Assistant",
    ClinicRole.NURSE_PRACTITIONER: "Nurse Practitioner",
    ClinicRole.CERTIFIED_REGISTERED_NURSE_ANESTHETIST: "Certified Registered Nurse Anesthetist",
    ClinicRole.PSYCHOLOGIST: "Psychologist",
    ClinicRole.MEDICAL_ASSISTANT: "Medical Assistant",
    ClinicRole.SCRIBE: "Scribe",
    ClinicRole.REGISTERED_NURSE: "Registered Nurse",
    ClinicRole.NURSE_MANAGER: "Nurse Manager",
    ClinicRole.PATIENT_CARE_COORDINATOR: "Patient Care Coordinator",
    ClinicRole.IMAGING_TECHNOLOGIST: "Imaging Technologist",
    ClinicRole.LABORATORY_TECHNICIAN: "Laboratory Technician",
    ClinicRole.MEDICAL_LABORATORY_SCIENTIST: "Medical Laboratory Scientist",
    ClinicRole.PATHOLOGISTS_ASSISTANT: "Pathologists' Assistant",
    ClinicRole.PHLEBOTOMIST: "Phlebotomist",
    ClinicRole.PHARMACIST: "Pharmacist",
    ClinicRole.PHARMACY_TECHNICIAN: "Pharmacy Technician",
    ClinicRole.PHYSICAL_THERAPIST: "Physical Therapist",
    ClinicRole.OCCUPATIONAL_THERAPIST: "Occupational Therapist",
    ClinicRole.SPEECH_LANGUAGE_PATHOLOGIST: "Speech-Language Pathologist",
    ClinicRole.RESPIRATORY_THERAPIST: "Respiratory Therapist",
    ClinicRole.NUTRITIONIST: "Nutritionist",
    ClinicRole.FRONT_DESK_OPERATOR: "Front Desk Operator",
    ClinicRole.REVENUE_CYCLE_MANAGER: "Revenue Cycle Manager",
    ClinicRole.ADMINISTRATIVE_DIRECTOR: "Administrative Director",
    ClinicRole.ADMINISTRATIVE_ASSISTANT: "Administrative Assistant",
    ClinicRole.LEGAL_ADMINISTRATOR: "Legal Administrator",
    ClinicRole.IT_ADMINISTRATOR: "IT Administrator",
    ClinicRole.IT_SUPPORT: "IT Support",
    ClinicRole.SOFTWARE_ENGINEER: "Software Engineer",
    ClinicRole.OTHER: "Other",
}
