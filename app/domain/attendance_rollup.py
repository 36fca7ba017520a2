"""Rolling period attendance up to a daily status.

Rules are data (thresholds in minutes), configurable per school: a student absent from at least
`absent_minutes` of the day's scheduled minutes is absent for the day (excused only if every
missed period is excused); absent from at least `half_day_minutes` gives a Partial day; otherwise
a tardy first class makes the day Tardy, and anything else is In Attendance. Codes are Ed-Fi
AttendanceEventCategoryDescriptor code values.
"""

from __future__ import annotations

from dataclasses import dataclass

PRESENT = "In Attendance"
EXCUSED = "Excused Absence"
UNEXCUSED = "Unexcused Absence"
TARDY = "Tardy"
PARTIAL = "Partial"
EARLY_DEPARTURE = "Early departure"
ABSENCES = (EXCUSED, UNEXCUSED)


@dataclass(frozen=True)
class RollupRule:
    absent_minutes: int = 240  # absent for the day from this many missed minutes
    half_day_minutes: int = 120  # a partial day from this many


@dataclass(frozen=True)
class PeriodMark:
    code: str
    minutes: int  # the period's scheduled minutes


def daily_status(marks: list[PeriodMark], rule: RollupRule = RollupRule()) -> str:
    if not marks:
        raise ValueError("no period marks to roll up")
    missed = [m for m in marks if m.code in ABSENCES]
    missed_minutes = sum(m.minutes for m in missed)
    scheduled = sum(m.minutes for m in marks)
    if missed_minutes >= min(rule.absent_minutes, scheduled):
        return EXCUSED if all(m.code == EXCUSED for m in missed) else UNEXCUSED
    if missed_minutes >= rule.half_day_minutes:
        return PARTIAL
    if any(m.code == TARDY for m in marks):
        return TARDY
    if any(m.code == EARLY_DEPARTURE for m in marks) or missed:
        return PARTIAL if missed else EARLY_DEPARTURE
    return PRESENT
