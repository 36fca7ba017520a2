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
    # one pass (a roster save rolls up every student's day)
    missed_minutes = scheduled = 0
    missed = tardy = early = False
    excused_only = True
    for m in marks:
        scheduled += m.minutes
        if m.code in ABSENCES:
            missed = True
            missed_minutes += m.minutes
            excused_only = excused_only and m.code == EXCUSED
        elif m.code == TARDY:
            tardy = True
        elif m.code == EARLY_DEPARTURE:
            early = True
    if missed_minutes >= min(rule.absent_minutes, scheduled):
        return EXCUSED if excused_only else UNEXCUSED
    if missed_minutes >= rule.half_day_minutes:
        return PARTIAL
    if tardy:
        return TARDY
    if early or missed:
        return PARTIAL if missed else EARLY_DEPARTURE
    return PRESENT
