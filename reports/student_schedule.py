"""The student's class schedule on letter paper."""

from __future__ import annotations

from datetime import date

from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import ACCENT, FONT_BOLD, RULE, printed_on, render, styles
from reports.documents import ScheduleDocument


def build(doc: ScheduleDocument, today: date | None = None) -> bytes:
    st = styles()
    story = [
        Paragraph(f"Class schedule — {doc.student_name}", st["title"]),
        Paragraph(f"Student id {doc.student_unique_id} · {doc.grade_level} · {doc.school} · "
                  f"School year {doc.school_year}", st["body"]),
        Paragraph(f"Classes as of {doc.as_of:%A, %B} {doc.as_of.day}, {doc.as_of:%Y}", st["small"]),
        Spacer(1, 12),
    ]
    if doc.rows:
        header = ["Period", "Time", "Course", "Section", "Teacher", "Room"]
        data = [[Paragraph(h, st["cell_bold"]) for h in header]]
        for r in doc.rows:
            course = r.course + (f"<br/><font size=8>{r.dates}</font>" if r.dates else "")
            data.append([Paragraph(x, st["cell"]) for x in (r.period, r.times, course, r.section, r.teacher, r.room)])
        table = Table(data, colWidths=[0.95 * inch, 1.0 * inch, 2.05 * inch, 0.95 * inch, 1.35 * inch, 0.7 * inch],
                      repeatRows=1)
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ]))
        story.append(table)
    else:
        story.append(Paragraph("No classes are scheduled for this student on this day.", st["body"]))
    return render(story, title=f"Class schedule {doc.student_name}", header=f"{doc.district} · {doc.school}",
                  footer=printed_on(today or date.today()))
