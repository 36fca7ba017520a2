"""What the immunization printouts show (frozen DTOs built by app/services/immunizations/reports.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class GradeCounts:
    grade: str                      # K, 1, ... 12
    enrolled: int
    compliant: int                  # every requirement met
    in_progress: int
    provisional: int
    exempt_medical: int
    exempt_conscience: int          # religious or personal belief
    not_compliant: int
    per_requirement: tuple[int, ...]   # students meeting each requirement (same order as the survey's)


@dataclass(frozen=True)
class ListedStudent:
    student_usi: int
    name: str
    grade: str
    status: str                     # label: Not compliant, Provisional, ...
    missing: str                    # the requirements short, with the doses
    next_due: date | None


@dataclass(frozen=True)
class SchoolSurvey:
    district: str
    school: str
    school_year: str                # 2026-2027
    as_of: date
    set_name: str
    requirements: tuple[str, ...]
    grades: tuple[GradeCounts, ...]
    students: tuple[ListedStudent, ...]   # everyone not fully compliant, by grade and name


@dataclass(frozen=True)
class LetterItem:
    requirement: str
    description: str                # what the school requires, one sentence
    status: str                     # label
    reason: str
    next_due: date | None


@dataclass(frozen=True)
class NonComplianceLetter:
    district: str
    school: str
    nurse: str
    as_of: date
    student_name: str
    grade: str
    items: tuple[LetterItem, ...]
    deadline: date | None           # provisional deadline, if any
    excluded: bool                  # the deadline has passed: the student may not attend until caught up
    student_usi: int | None = None  # whose letter (its printing is logged as a view of the record)


@dataclass(frozen=True)
class ExclusionRow:
    name: str
    grade: str
    deadline: date
    missing: str
    student_usi: int | None = None  # who is listed (its printing is logged as a view of the record)


@dataclass(frozen=True)
class ExclusionList:
    district: str
    school: str
    as_of: date
    rows: tuple[ExclusionRow, ...]
