"""StudyFilter, read two ways: as SQL over the studies table, and as a test of an event's fields.

Both readings live here so that a worklist query and a worklist subscription with the same filter
always agree on which studies match.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func

from autoscribe.db.enums import SEVERITY_RANK, Severity
from autoscribe.db.models import Study
from autoscribe.core.errors import BadInput
from autoscribe.operations.validation import check_filter_text, check_id


def check_filter(flt: dict | None, field: str = "filter") -> dict:
    """The filter as a dict of the given fields (camelCase, StudyFilter's); absent keys do not filter."""
    flt = dict(flt or {})
    check_filter_text(flt, ("studyDescription", "studyInstanceUid"), field)
    if flt.get("assignedTo") is not None:
        check_id(flt["assignedTo"], "user", f"{field}.assignedTo")
    for key in ("createdAfter", "createdBefore"):
        value = flt.get(key)
        if value is not None and value.tzinfo is None:
            raise BadInput("A time with its UTC offset is needed, e.g. 2026-11-27T09:00:00Z.", field=f"{field}.{key}")
        if value is not None:
            try:
                flt[key] = value.astimezone(timezone.utc)
            except OverflowError:
                raise BadInput("The time is out of range.", field=f"{field}.{key}") from None
    return flt


def _values(items) -> set[str]:
    return {getattr(i, "value", i) for i in items}


def study_conditions(flt: dict) -> list:
    """SQL conditions on Study for the filter."""
    conds = []
    if "assignedTo" in flt:
        value = flt["assignedTo"]
        conds.append(Study.assigned_to_id.is_(None) if value is None else Study.assigned_to_id == value)
    if flt.get("isCancelled") is not None:
        conds.append(Study.is_cancelled.is_(flt["isCancelled"]))
    if flt.get("severity") is not None:
        ranks = sorted(SEVERITY_RANK[Severity(v)] for v in _values(flt["severity"]))
        conds.append(Study.severity_rank.in_(ranks))
    if flt.get("studyReportStatus") is not None:
        conds.append(Study.study_report_status.in_(list(flt["studyReportStatus"])))
    if flt.get("studyDescription") is not None:
        conds.append(
            func.lower(Study.study_description).contains(flt["studyDescription"].lower(), autoescape=True)
        )
    if flt.get("studyInstanceUid") is not None:
        conds.append(Study.study_instance_uid == flt["studyInstanceUid"])
    if flt.get("createdAfter") is not None:
        conds.append(Study.created_at > flt["createdAfter"])
    if flt.get("createdBefore") is not None:
        conds.append(Study.created_at < flt["createdBefore"])
    return conds


def matches(flt: dict, fields: dict[str, Any] | None) -> bool:
    """Whether a study with these event fields (db.events.filter_fields) matches the filter."""
    if fields is None:
        return False
    if "assignedTo" in flt and fields["assignedTo"] != flt["assignedTo"]:
        return False
    if flt.get("isCancelled") is not None and fields["isCancelled"] != flt["isCancelled"]:
        return False
    if flt.get("severity") is not None and fields["severity"] not in _values(flt["severity"]):
        return False
    if (
        flt.get("studyReportStatus") is not None
        and fields["studyReportStatus"] not in _values(flt["studyReportStatus"])
    ):
        return False
    if (
        flt.get("studyDescription") is not None
        and flt["studyDescription"].lower() not in fields["studyDescription"].lower()
    ):
        return False
    if flt.get("studyInstanceUid") is not None and fields["studyInstanceUid"] != flt["studyInstanceUid"]:
        return False
    created = datetime.fromisoformat(fields["createdAt"])
    if flt.get("createdAfter") is not None and not created > flt["createdAfter"]:
        return False
    if flt.get("createdBefore") is not None and not created < flt["createdBefore"]:
        return False
    return True
