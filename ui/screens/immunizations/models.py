"""The immunization lists: Qt models over the services' frozen DTOs (data() does no I/O)."""

from __future__ import annotations

from app.domain.cdsi.school_entry import GroupCompliance, STATUS_LABELS, Requirement, grade_label
from app.domain.typed_input import show_date
from app.services.immunizations.compliance import ForecastLine
from reports.immunization_documents import ListedStudent
from ui.table_model import DtoTableModel


class RequirementStatusModel(DtoTableModel):
    HEADERS = ("Requirement", "Status", "Valid doses", "Next dose", "Why")
    COL_NAME, COL_STATUS, COL_DOSES, COL_DUE, COL_REASON = range(5)

    def cell(self, g: GroupCompliance, column: int) -> str:
        return [g.requirement, STATUS_LABELS[g.status], f"{g.valid_doses} of {g.doses_required}",
                show_date(g.next_due) if g.next_due else "", g.reason][column]


class ForecastModel(DtoTableModel):
    HEADERS = ("Vaccine group", "CDC series", "Valid doses", "Earliest", "Recommended", "Past due")
    COL_GROUP, COL_STATUS, COL_DOSES, COL_EARLIEST, COL_RECOMMENDED, COL_PAST_DUE = range(6)

    def cell(self, f: ForecastLine, column: int) -> str:
        d = lambda v: show_date(v) if v else ""  # noqa: E731
        return [f.vaccine_group, f.status, str(f.valid_doses), d(f.earliest), d(f.recommended),
                d(f.past_due)][column]


class ShortListModel(DtoTableModel):
    """Students not fully compliant at the school."""
    HEADERS = ("Student", "Grade", "Status", "Short of", "Next dose")
    COL_NAME, COL_GRADE, COL_STATUS, COL_SHORT, COL_DUE = range(5)

    def cell(self, s: ListedStudent, column: int) -> str:
        return [s.name, s.grade, s.status, s.missing, show_date(s.next_due) if s.next_due else ""][column]


class RequirementsModel(DtoTableModel):
    HEADERS = ("Requirement", "Vaccine group", "Grades", "Doses", "On or after age", "Only CVX", "Description")
    COL_NAME, COL_GROUP, COL_GRADES, COL_DOSES, COL_AGE, COL_CVX, COL_DESCRIPTION = range(7)

    def cell(self, r: Requirement, column: int) -> str:
        age = f"{r.doses_after_age_count} after {r.doses_on_or_after_age}" if r.doses_on_or_after_age else ""
        return [r.name, r.vaccine_group, f"{grade_label(r.grade_from)}-{grade_label(r.grade_to)}",
                str(r.doses_required), age, ", ".join(r.vaccine_cvx), r.description][column]
