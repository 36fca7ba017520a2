"""The attendance office's lists as table models over the service DTOs."""

from __future__ import annotations

from app.services.attendance_office import AbsenceLine, ChronicLine, SchoolAverages, SectionDay
from ui.table_model import DtoTableModel


class SectionDayModel(DtoTableModel):
    HEADERS = ("School", "Period", "Starts", "Section", "Teacher", "Students", "Attendance")
    COL_SCHOOL, COL_PERIOD, COL_STARTS, COL_SECTION, COL_TEACHER, COL_STUDENTS, COL_TAKEN = range(7)

    def cell(self, s: SectionDay, column: int) -> str:
        return [s.school, s.period or "", f"{s.starts:%H:%M}" if s.starts else "", s.title, s.teacher or "",
                str(s.students), "Taken" if s.taken else "Not taken"][column]


class AbsenceModel(DtoTableModel):
    HEADERS = ("School", "Student", "Student id", "Grade", "Status", "Reason")
    COL_SCHOOL, COL_NAME, COL_ID, COL_GRADE, COL_STATUS, COL_REASON = range(6)

    def cell(self, a: AbsenceLine, column: int) -> str:
        return [a.school, a.name, a.student_unique_id, a.grade_level or "", a.status, a.reason or ""][column]


class AveragesModel(DtoTableModel):
    HEADERS = ("School", "School days", "ADM", "ADA", "Attendance rate")
    COL_SCHOOL, COL_DAYS, COL_ADM, COL_ADA, COL_RATE = range(5)

    def cell(self, s: SchoolAverages, column: int) -> str:
        a = s.averages
        return [s.school, str(a.school_days), f"{a.adm:.2f}", f"{a.ada:.2f}", f"{a.attendance_rate}%"][column]


class ChronicModel(DtoTableModel):
    HEADERS = ("Student", "Student id", "Grade", "Days enrolled", "Days absent", "Absence rate")
    COL_NAME, COL_ID, COL_GRADE, COL_ENROLLED, COL_ABSENT, COL_RATE = range(6)

    def cell(self, c: ChronicLine, column: int) -> str:
        return [c.name, c.student_unique_id, c.grade_level or "", str(c.enrolled_days), f"{c.absent_days:g}",
                f"{c.rate}%"][column]


class DayActivityModel(DtoTableModel):
    """The day's activity across students (app.dynamo.timeline.Activity), read through GSI1."""
    HEADERS = ("Time", "Student id", "What happened")
    COL_TIME, COL_ID, COL_WHAT = range(3)

    def cell(self, a, column: int) -> str:
        from app.domain.activity_text import describe

        return [a.timestamp[11:16], a.student_unique_id, describe(a.activity_type, a.details)][column]
