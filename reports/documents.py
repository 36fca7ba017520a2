"""What the printouts show: plain data, built by the services, rendered by the report modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ScheduleRow:
    period: str
    times: str
    course: str
    section: str
    teacher: str
    room: str
    dates: str  # "from 11/23/2026" when the student joined mid-term, else ""


@dataclass(frozen=True)
class ScheduleDocument:
    district: str
    school: str
    school_year: str  # "2026-2027"
    student_name: str
    student_unique_id: str
    grade_level: str
    as_of: date
    rows: tuple[ScheduleRow, ...]


@dataclass(frozen=True)
class IdCard:
    district: str
    school: str
    school_year: str
    student_name: str
    student_unique_id: str
    grade_level: str
