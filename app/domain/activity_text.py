"""One plain sentence per activity-timeline record, for the student profile and the day list."""

from __future__ import annotations

from app.domain.wording import plural

SENSITIVE_PREFIXES = ("discipline.",)  # shown only to roles that may read discipline records
HEALTH_PREFIXES = ("health.",)  # shown to everyone, but with details only to roles that may read health records
HEALTH_PUBLIC_KEYS = ("visit", "timeIn", "timeOut")


def describe(activity_type: str, d: dict) -> str:
    d = d or {}
    if activity_type == "attendance.marked":
        prior = f" (was {d['previous']})" if d.get("previous") else ""
        return f"Marked {d.get('mark')} in {d.get('section')} on {d.get('date')}{prior}; day: {d.get('daily')}"
    if activity_type == "enrollment.registered":
        return f"Registered at {d.get('school')}, {d.get('grade')}, from {d.get('entryDate')}"
    if activity_type == "enrollment.enrolled":
        return f"Enrolled at {d.get('school')}, {d.get('grade')}, from {d.get('entryDate')} ({d.get('entryType')})"
    if activity_type == "enrollment.withdrawn":
        return f"Withdrawn from {d.get('school')} on {d.get('exitDate')} ({d.get('exitType')})"
    if activity_type == "schedule.added":
        return f"Added {d.get('course')} ({d.get('section')}) from {d.get('beginDate')}"
    if activity_type == "schedule.dropped":
        return f"Dropped section {d.get('section')}; last day {d.get('lastDay')}"
    if activity_type == "discipline.incident":
        return f"Discipline incident {d.get('incident')} on {d.get('date')}: {d.get('role')}"
    if activity_type == "discipline.action":
        days = f", {plural(d.get('days'), 'day')}" if d.get("days") else ""
        return f"{d.get('action')} from {d.get('date')}{days} (incident {d.get('incident')})"
    if activity_type == "discipline.corrected":
        return f"Correction to {d.get('action')}: {plural(d.get('served'), 'day')} served ({d.get('reason')})"
    if activity_type == "health.visit":
        when = f"{d.get('timeIn')}-{d.get('timeOut')}" if d.get("timeOut") else f"at {d.get('timeIn')}"
        if d.get("complaint"):
            return f"Health office visit {when}: {d.get('complaint')}; {(d.get('disposition') or '').lower()}"
        return f"Visited the health office {when}"
    return activity_type.replace(".", " ").capitalize()


def without_health_details(activity_type: str, d: dict) -> dict:
    """What a role that may not read health records sees of a health-office entry: that it happened, when."""
    if not activity_type.startswith(HEALTH_PREFIXES):
        return d
    return {k: v for k, v in (d or {}).items() if k in HEALTH_PUBLIC_KEYS}


def is_sensitive(activity_type: str) -> bool:
    return activity_type.startswith(SENSITIVE_PREFIXES)
