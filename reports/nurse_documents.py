"""The nurse's documents for one student: the emergency action plan, the emergency ("911") card and
the screening letter to the parents. Built from app.services.nurse DTOs; nothing here reads a database."""

from __future__ import annotations

from datetime import date

from reportlab.lib import colors
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT_BOLD, RULE, printed_on, render, styles

ALERT = colors.HexColor("#9b1c1c")


def grid(rows: list[list], widths: list[float], *, header: bool = True) -> Table:
    """A ruled table of paragraphs (header row in bold when `header`)."""
    st = styles()
    data = [[c if not isinstance(c, str) else Paragraph(c, st["cell_bold" if header and i == 0 else "cell"])
             for c in r] for i, r in enumerate(rows)]
    t = Table(data, colWidths=[w * inch for w in widths], repeatRows=1 if header else 0)
    style = [("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    if header:
        style += [("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT), ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD)]
    t.setStyle(TableStyle(style))
    return t


def _lines(text: str | None) -> str:
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br/>")


def _who(record) -> list:
    st = styles()
    s = record.student
    born = f"born {record.birth_date:%m/%d/%Y} · " if record.birth_date else ""
    return [Paragraph(f"{s.name}", st["title"]),
            Paragraph(f"{born}{s.grade or ''} · {s.school or ''} · student id {s.student_unique_id}", st["body"])]


def _contacts(record) -> Table:
    rows = [["Contact", "Relation", "Phone"]] + [
        [c.name + (" (primary)" if c.primary else ""), c.relation or "", c.phone or ""] for c in record.contacts]
    return grid(rows, [2.6, 1.6, 2.0]) if record.contacts else Paragraph("No contacts on file.", styles()["small"])


def emergency_action_plan(record, *, district: str = "Riverbend ISD", today: date | None = None) -> bytes:
    """One plan per page: what to look for and what to do, in order, with whom to call."""
    st = styles()
    story: list = []
    if not record.plans:
        story += _who(record) + [Paragraph("No emergency action plan on file.", st["body"])]
    for i, p in enumerate(record.plans):
        alert = Paragraph(f"<font color='#9b1c1c'><b>{p.type_label.upper()} EMERGENCY ACTION PLAN</b></font>",
                          st["heading"])
        story += _who(record) + [alert, Paragraph(f"<b>Condition:</b> {_lines(p.condition)}", st["body"]),
                                 Spacer(1, 6), Paragraph("Signs of an emergency", st["heading"]),
                                 Paragraph(_lines(p.signs), st["body"]), Paragraph("What to do", st["heading"]),
                                 Paragraph(_lines(p.actions), st["body"])]
        if p.medications:
            story += [Paragraph("Emergency medication", st["heading"]), Paragraph(_lines(p.medications), st["body"])]
        story += [Paragraph("Who to call", st["heading"]), _contacts(record), Spacer(1, 4),
                  Paragraph(f"Physician: {p.physician or 'not on file'} {p.physician_phone or ''} · plan signed "
                            f"{p.effective_on:%m/%d/%Y}" + (f" · review by {p.review_on:%m/%d/%Y}" if p.review_on else ""),
                            st["small"])]
        if i < len(record.plans) - 1:
            from reportlab.platypus import PageBreak
            story.append(PageBreak())
    return render(story, title=f"Emergency action plan {record.student.name}",
                  header=f"{district} · {record.student.school or ''} health office · CONFIDENTIAL",
                  footer=printed_on(today or date.today()))


def emergency_card(record, orders, *, district: str = "Riverbend ISD", today: date | None = None) -> bytes:
    """The "911 card": one page to hand to the paramedics."""
    st = styles()
    allergies = [["Allergy", "Severity", "Reaction / treatment"]] + [
        [a.allergen, a.severity or "", f"{a.reaction or ''}; {a.treatment or ''}".strip("; ")] for a in record.allergies]
    medication = [["Medication", "Dose", "Route", "When"]] + [
        [o.label, o.dose, o.route or "", ", ".join(o.schedule_times) or ("as needed" if o.as_needed else "")]
        for o in orders]
    story = [Paragraph("<font color='#9b1c1c'>EMERGENCY CARD</font>", st["heading"])] + _who(record) + [
        Paragraph("Contacts", st["heading"]), _contacts(record),
        Paragraph("Allergies", st["heading"]),
        grid(allergies, [1.6, 1.0, 4.2]) if record.allergies else Paragraph("No known allergies.", st["body"]),
        Paragraph("Conditions", st["heading"]),
        Paragraph("<br/>".join(f"• {_lines(c)}" for c in record.alert_conditions) or "None on file.", st["body"]),
        Paragraph("Medications at school", st["heading"]),
        grid(medication, [2.4, 1.2, 1.2, 2.0]) if orders else Paragraph("None.", st["body"])]
    for p in record.plans:
        story.append(KeepTogether([Paragraph(f"{p.type_label} plan: what to do", st["heading"]),
                                   Paragraph(_lines(p.actions), st["body"])]))
    return render(story, title=f"Emergency card {record.student.name}",
                  header=f"{district} · {record.student.school or ''} · CONFIDENTIAL: for emergency responders",
                  footer=printed_on(today or date.today()))


def screening_letter(referral, nurse: str, school: str, *, district: str = "Riverbend ISD",
                     today: date | None = None) -> bytes:
    """The letter home after a failed screening, with a slip for the provider to return."""
    st = styles()
    today = today or date.today()
    measures = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in (referral.measures or {}).items())
    story = [Paragraph(f"{today:%B} {today.day}, {today:%Y}", st["body"]), Spacer(1, 10),
             Paragraph(f"To the parent or guardian of {referral.name} ({referral.grade or ''})", st["body"]),
             Spacer(1, 8),
             Paragraph(f"On {referral.referred_on:%B} {referral.referred_on.day}, {referral.name} took part in the "
                       f"school's {(referral.screening_type or 'health').replace('bmi', 'height and weight')} "
                       "screening. A screening is not a diagnosis, but the result suggests a closer look:",
                       st["body"]), Spacer(1, 4),
             Paragraph(f"<b>{_lines(referral.reason)}</b>", st["body"])]
    if measures:
        story += [Paragraph(f"What we measured: {measures}.", st["body"])]
    story += [Spacer(1, 6), Paragraph("Please take this letter to your child's doctor or eye/hearing specialist and "
                                      "return the slip below to the health office. Call me with any question.",
                                      st["body"]), Spacer(1, 14),
              Paragraph(f"{nurse}, school nurse · {school}", st["body"]), Spacer(1, 28),
              Paragraph("✂ - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - -",
                        st["small"]),
              Paragraph("For the provider: please return to the school health office", st["heading"]),
              grid([["Student", referral.name], ["Date seen", ""], ["Findings", ""], ["Recommendations", ""],
                    ["Provider and signature", ""]], [1.8, 4.6], header=False)]
    return render(story, title=f"Screening letter {referral.name}", header=f"{district} · {school} health office",
                  footer=printed_on(today))
