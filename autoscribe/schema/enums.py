"""The domain enums, and the error codes, exposed to GraphQL under their own names."""

from enum import Enum

import strawberry

from autoscribe.core import errors
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

# The codes of `extensions.code` (SPEC §6), each with its meaning. No field returns it: it is in the
# schema so that clients (and their code generators) can list the codes; build_schema adds it.
ErrorCode = strawberry.enum(
    Enum("ErrorCode", {code.name: strawberry.enum_value(code.value, description=code.description)
                       for code in errors.ErrorCode}),
    description="The code of a GraphQL error, in its extensions.code: the kind of failure, what a client "
    "can act on.",
)
