"""The health office's lists on paper: the daily visit log, the monthly medication administration
record per student (the form a nurse signs), expiring medications and authorizations, the
screening referrals still open, and a class's field-trip health list. Built from app.services.nurse DTOs."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from app.domain.nurse_rules import fmt_amount
from reports.base import ACCENT, FONT, FONT_BOLD, RULE, printed_on, render, styles
from reports.nurse_documents import grid

OUTCOME_MARK = {"refused": "R", "missed": "M", "absent": "A", "voided": "X"}


def _empty(text: str):
    return Paragraph(text, styles()["small"])


def daily_visit_log(day: date, school: str, visits, *, district: str = "Riverbend ISD",
                    today: date | None = None) -> bytes:
    st = styles()
    rows = [["In", "Out", "Student", "Grade", "Complaint", "Treatment", "Disposition", "Seen by"]] + [
        [v.time_in.astimezone().strftime("%H:%M"), v.time_out.astimezone().strftime("%H:%M") if v.time_out else "",
         v.name, v.grade or "", v.complaint_label + (f": {v.complaint_text}" if v.complaint_text else ""),
         v.treatment or "", v.disposition_label, v.seen_by or ""] for v in visits]
    sent = sum(1 for v in visits if v.disposition == "sent_home")
    story = [Paragraph("Daily health-office visit log", st["title"]),
             Paragraph(f"{school} · {day:%A, %B} {day.day}, {day:%Y} · {len(visits)} visits, {sent} sent home",
                       st["body"]), Spacer(1, 6),
             grid(rows, [0.5, 0.5, 1.6, 0.9, 1.8, 1.7, 1.3, 1.2]) if visits else _empty("No visits that day.")]
    return render(story, title=f"Visit log {day:%Y-%m-%d}", header=f"{district} · {school} health office · CONFIDENTIAL",
                  footer=printed_on(today or date.today()), pagesize=landscape(LETTER))


def medication_administration_record(student, orders, entries, month: date, *, school: str = "",
                                     district: str = "Riverbend ISD", today: date | None = None) -> bytes:
    """One month on one sheet: a row per scheduled time of each order, a column per day; each cell the
    initials of who gave it (R refused, M missed, A absent); as-needed doses listed below; then the
    signatures that go with the initials."""
    st = styles()
    days = calendar.monthrange(month.year, month.month)[1]
    live = [e for e in entries if not e.corrected and e.outcome != "voided"]
    header = ["Medication / time"] + [str(d) for d in range(1, days + 1)]
    rows, initials = [header], {}
    for o in orders:
        for t in o.schedule_times or ():
            row = [f"{o.label} {o.dose} {o.route or ''} @ {t}"] + [""] * days
            for e in live:
                if e.medication_id == o.medication_id and e.scheduled_for is not None \
                        and e.scheduled_for.astimezone().strftime("%H:%M") == t \
                        and e.scheduled_for.astimezone().month == month.month:
                    d = e.scheduled_for.astimezone().day
                    row[d] = ("T" if e.on_trip else e.initials) if e.outcome == "given" \
                        else OUTCOME_MARK.get(e.outcome, "?")
                    initials[e.initials] = e.given_by
            rows.append(row)
    first = 9.4 - days * 0.235  # the landscape page's 9.5 inches, less a narrow column per day
    table = Table([[Paragraph(c, st["cell"]) if i == 0 and j == 0 else c for j, c in enumerate(r)]
                   for i, r in enumerate(rows)],
                  colWidths=[first * inch] + [0.235 * inch] * days, repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 6.5),
                               ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD), ("GRID", (0, 0), (-1, -1), 0.3, RULE),
                               ("LINEBELOW", (0, 0), (-1, 0), 1, ACCENT), ("ALIGN", (1, 0), (-1, -1), "CENTER"),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    prn = [["Date / time", "Medication", "Dose", "Outcome", "By", "Reason / note"]] + [
        [e.administered_at.astimezone().strftime("%m/%d %H:%M"), e.medication, fmt_amount(e.dose_amount),
         e.outcome_label, e.initials, e.override_reason or e.note or ""]
        for e in entries if e.scheduled_for is None or e.corrects_id is not None or e.on_trip]
    for e in entries:
        initials.setdefault(e.initials, e.given_by)
    signatures = [["Initials", "Name", "Signature"]] + [[k, v, ""] for k, v in sorted(initials.items())]
    orders_text = "; ".join(f"{o.label}: {o.dose} {o.route or ''}, prescriber {o.prescriber or '?'}, parent consent "
                            f"{o.parent_consent_on:%m/%d/%Y}" if o.parent_consent_on else f"{o.label}: no consent on file"
                            for o in orders)
    story = [Paragraph(f"Medication administration record · {month:%B %Y}", st["title"]),
             Paragraph(f"{student.name} · {student.grade or ''} · student id {student.student_unique_id} · {school}",
                       st["body"]), Paragraph(orders_text or "No medication orders.", st["small"]), Spacer(1, 6),
             table if len(rows) > 1 else _empty("No scheduled doses this month."),
             Paragraph("R refused · M missed · A absent · T given on a field trip · initials: given. Field-trip doses "
                       "and corrections are listed below.", st["small"]),
             Paragraph("As-needed and field-trip doses, and corrections", st["heading"]),
             grid(prn, [1.1, 2.4, 0.6, 1.2, 0.6, 4.0]) if len(prn) > 1 else _empty("None this month."),
             Paragraph("Signatures", st["heading"]), grid(signatures, [0.8, 3.0, 4.0])]
    return render(story, title=f"MAR {student.name} {month:%Y-%m}",
                  header=f"{district} · {school} health office · CONFIDENTIAL", footer=printed_on(today or date.today()),
                  pagesize=landscape(LETTER))


def expiring_list(school: str, items, day: date, *, days: int = 30, district: str = "Riverbend ISD",
                  today: date | None = None) -> bytes:
    st = styles()
    rows = [["Student", "What", "Kind", "Date", "Status"]] + [
        [e.student, e.what, e.kind, f"{e.date:%m/%d/%Y}" if e.date else "", e.detail] for e in items]
    story = [Paragraph("Expiring medications and authorizations", st["title"]),
             Paragraph(f"{school} · through {day + timedelta(days=days):%B %d, %Y} ({days} days), and refills due",
                       st["body"]), Spacer(1, 6),
             grid(rows, [1.8, 2.2, 0.9, 0.9, 1.2]) if items else _empty("Nothing expires in the next 30 days.")]
    return render(story, title="Expiring medications", header=f"{district} · {school} health office",
                  footer=printed_on(today or day))


def open_referrals_list(school: str, referrals, *, district: str = "Riverbend ISD", today: date | None = None) -> bytes:
    st = styles()
    rows = [["Referred", "Student", "Grade", "Reason", "Letter", "Status"]] + [
        [f"{r.referred_on:%m/%d/%Y}", r.name, r.grade or "", r.reason,
         f"{r.letter_sent_on:%m/%d/%Y}" if r.letter_sent_on else "not sent", r.status.replace("_", " ")]
        for r in referrals]
    story = [Paragraph("Screening referrals still open", st["title"]),
             Paragraph(f"{school} · {len(referrals)} open", st["body"]), Spacer(1, 6),
             grid(rows, [0.8, 1.4, 0.9, 2.5, 0.8, 0.8]) if referrals else _empty("No referral is open.")]
    return render(story, title="Open referrals", header=f"{district} · {school} health office · CONFIDENTIAL",
                  footer=printed_on(today or date.today()))


def field_trip_list(school: str, klass: str, day: date, trip: str, students, *, district: str = "Riverbend ISD",
                    today: date | None = None) -> bytes:
    """The class's health list for a trip: every student, and for those with needs their allergies
    (health.allergies), action plans, medications due or kept for emergencies, and what they carry."""
    from xml.sax.saxutils import escape

    st = styles()

    def cell(items) -> str:
        return "<br/>".join(escape(i) for i in items) or "—"
    rows = [["Student", "Grade", "Allergies", "Action plans", "Medications (send with the trip)", "Carries"]] + [
        [escape(s.name), s.grade or "", cell(s.allergies), cell(s.plans), cell(s.medications), cell(s.carries)]
        for s in students]
    needs = sum(1 for s in students if s.has_health_needs)
    story = [Paragraph("Field-trip health list", st["title"]),
             Paragraph(f"{escape(school)} · {escape(klass)} · {escape(trip)} · {day:%A, %B} {day.day}, {day:%Y} · "
                       f"{len(students)} students, {needs} with health needs", st["body"]),
             Paragraph("Controlled medications go out only when signed out with a witness at the health office; "
                       "give doses only as the trip's delegated staff member.", st["small"]), Spacer(1, 6),
             grid(rows, [1.6, 0.9, 2.0, 2.0, 2.2, 1.2]) if students else _empty("No student is in this class that day.")]
    return render(story, title=f"Field-trip health list {day:%Y-%m-%d}",
                  header=f"{district} · {school} health office · CONFIDENTIAL", footer=printed_on(today or day),
                  pagesize=landscape(LETTER))
