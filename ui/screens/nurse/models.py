"""The nurse desk's lists: Qt table models over the services' frozen DTOs (data() does no I/O)."""

from __future__ import annotations

from app.domain.nurse_rules import SCREENING_TYPES, fmt_amount
from app.domain.typed_input import show_date
from app.services.nurse import controlled, medications as meds, screenings, visits
from ui.table_model import DtoTableModel


def hm(t) -> str:
    return t.strftime("%H:%M") if t is not None else ""


class VisitsModel(DtoTableModel):
    HEADERS = ("In", "Out", "Student", "Grade", "Complaint", "Disposition")
    COL_IN, COL_OUT, COL_STUDENT, COL_GRADE, COL_COMPLAINT, COL_DISPOSITION = range(6)

    def cell(self, v: visits.VisitLine, column: int) -> str:
        return [hm(v.time_in.astimezone()), hm(v.time_out.astimezone()) if v.time_out else "", v.name, v.grade or "",
                v.complaint_label + (" (kiosk)" if v.via_kiosk and v.disposition is None else ""),
                v.disposition_label][column]


class DueModel(DtoTableModel):
    HEADERS = ("Due", "Student", "Medication", "Dose", "Route", "Status")
    COL_DUE, COL_STUDENT, COL_MEDICATION, COL_DOSE, COL_ROUTE, COL_STATUS = range(6)

    def cell(self, d: meds.DueDose, column: int) -> str:
        status = {"due": "Due now", "overdue": "Overdue", "upcoming": "Soon"}[d.status]
        if d.absent:
            status += " · marked absent"
        if d.is_controlled:
            status += " · controlled"
        return [hm(d.due_at), d.student, d.medication, d.dose, d.route or "", status][column]


class OrdersModel(DtoTableModel):
    HEADERS = ("Medication", "Dose", "Route", "When", "On hand", "Expires")
    COL_MED, COL_DOSE, COL_ROUTE, COL_WHEN, COL_ON_HAND, COL_EXPIRES = range(6)

    def cell(self, o: meds.Order, column: int) -> str:
        when = ", ".join(o.schedule_times) if o.schedule_times else ""
        if o.as_needed:
            when = (when + "; " if when else "") + f"as needed, {o.min_interval_minutes} min apart"
        on_hand = fmt_amount(o.count_on_hand) + (" (controlled)" if o.is_controlled else "")
        return [o.label, o.dose, o.route or "", when, on_hand, show_date(o.expires_on)][column]


class EntriesModel(DtoTableModel):
    HEADERS = ("Time", "Medication", "Outcome", "Dose", "By", "Note")

    def cell(self, e: meds.Entry, column: int) -> str:
        outcome = e.outcome_label + (" (corrected)" if e.corrected else "")
        return [e.administered_at.astimezone().strftime("%m/%d %H:%M"), e.medication, outcome,
                fmt_amount(e.dose_amount), e.initials, e.override_reason or e.note or ""][column]


class ListModel(DtoTableModel):
    HEADERS = ("Kind", "Student", "What", "Date", "Detail")

    def cell(self, e: meds.Expiring, column: int) -> str:
        return [e.kind, e.student, e.what, show_date(e.date), e.detail][column]


class ReferralsModel(DtoTableModel):
    HEADERS = ("Referred", "Student", "Grade", "Screening", "Status", "Letter")

    def cell(self, r: screenings.Referral, column: int) -> str:
        return [show_date(r.referred_on), r.name, r.grade or "", SCREENING_TYPES.get(r.screening_type or "", "Visit"),
                r.status.replace("_", " "), show_date(r.letter_sent_on) or "not sent"][column]


class DiscrepancyModel(DtoTableModel):
    HEADERS = ("Opened", "Student", "Medication", "Expected", "Counted")

    def cell(self, d: controlled.Discrepancy, column: int) -> str:
        return [d.opened_at.astimezone().strftime("%m/%d %H:%M"), d.student, d.medication, fmt_amount(d.expected),
                fmt_amount(d.counted)][column]
