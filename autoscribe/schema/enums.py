"""The domain enums, exposed to GraphQL under their own names."""

import strawberry

from autoscribe.db import enums

Severity = strawberry.enum(enums.Severity)
StudyReportStatus = strawberry.enum(enums.StudyReportStatus)
ReportStatus = strawberry.enum(enums.ReportStatus)
Sex = strawberry.enum(enums.Sex)
HeightUnit = strawberry.enum(enums.HeightUnit)
WeightUnit = strawberry.enum(enums.WeightUnit)
UserLevel = strawberry.enum(enums.UserLevel)
AssignableUserLevel = strawberry.enum(enums.AssignableUserLevel)
UserStatus = strawberry.enum(enums.UserStatus)
InvitationStatus = strawberry.enum(enums.InvitationStatus)
InvitedSource = strawberry.enum(enums.InvitedSource)
InvitationExpiredFilter = strawberry.enum(enums.InvitationExpiredFilter)
StudyOrder = strawberry.enum(enums.StudyOrder)
WorklistEventType = strawberry.enum(enums.WorklistEventType)
ClinicRole = strawberry.enum(enums.ClinicRole)
