"""The school's immunization status survey: counts per grade in the layout state surveys ask for
(enrolled, complete, in process, provisional, exemptions medical / conscience, not compliant, and the
students meeting each requirement), then the list of students not fully compliant."""

from __future__ import annotations

from datetime import date

from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reportlab.lib.styles import ParagraphStyle

from reports.base import ACCENT, FONT, FONT_BOLD, RULE, printed_on, render, styles
from reports.immunization_documents import SchoolSurvey

TABLE_STYLE = [
    ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
    ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ("FONTNAME", (0, 1), (-1, -1), FONT),
    ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
]


def _day(d: date | None) -> str:
    return f"{d:%b} {d.day}, {d.year}" if d else ""


def build(doc: SchoolSurvey, today: date | None = None) -> bytes:
    st = styles()
    story = [
        Paragraph(f"Immunization status — {escape(doc.school)}", st["title"]),
        Paragraph(f"School year {doc.school_year} · status on {_day(doc.as_of)} · requirements: {doc.set_name}",
                  st["body"]),
        Spacer(1, 10),
    ]
    head = ["Grade", "Enrolled", "Complete", "In process", "Provi\u00adsional", "Exempt medical", "Exempt con\u00adscience",
            "Not compliant", *doc.requirements]
    small_head = ParagraphStyle("survey_head", parent=st["cell_bold"], fontSize=8, leading=10)
    data = [[Paragraph(escape(h).replace("/", "/ "), small_head) for h in head]]
    totals = [0] * (7 + len(doc.requirements))
    for g in doc.grades:
        values = [g.enrolled, g.compliant, g.in_progress, g.provisional, g.exempt_medical, g.exempt_conscience,
                  g.not_compliant, *g.per_requirement]
        totals = [a + b for a, b in zip(totals, values)]
        data.append([g.grade, *map(str, values)])
    data.append(["Total", *map(str, totals)])
    first = [0.5 * inch] + [0.72 * inch] * 7
    rest = max(0.55 * inch, (9.5 * inch - sum(first)) / max(1, len(doc.requirements)))
    table = Table(data, colWidths=first + [rest] * len(doc.requirements), repeatRows=1)
    table.setStyle(TableStyle(TABLE_STYLE + [("FONTNAME", (0, -1), (-1, -1), FONT_BOLD),
                                             ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                                             ("LEFTPADDING", (0, 0), (-1, -1), 3),
                                             ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                                             ("FONTSIZE", (0, 1), (-1, -1), 9)]))
    story += [table, Spacer(1, 6),
              Paragraph("Columns after 'Not compliant': students meeting each requirement. Complete: every "
                        "requirement met. In process: the next dose cannot be given yet.", st["small"]),
              Spacer(1, 8), Paragraph("Students not fully compliant", st["heading"])]
    if doc.students:
        rows = [[Paragraph(h, st["cell_bold"]) for h in ("Student", "Grade", "Status", "Short of", "Next dose")]]
        rows += [[Paragraph(escape(s.name), st["cell"]), s.grade, s.status, Paragraph(escape(s.missing), st["cell"]),
                  _day(s.next_due)]
                 for s in doc.students]
        listing = Table(rows, colWidths=[2.4 * inch, 0.7 * inch, 1.2 * inch, 4.1 * inch, 1.1 * inch], repeatRows=1)
        listing.setStyle(TableStyle(TABLE_STYLE))
        story.append(listing)
    else:
        story.append(Paragraph("Every enrolled student meets every requirement.", st["body"]))
    return render(story, title=f"Immunization status {doc.school}", header=f"{doc.district} · {doc.school}",
                  footer=printed_on(today or doc.as_of), pagesize=landscape(LETTER))
