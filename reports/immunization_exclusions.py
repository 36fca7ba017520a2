"""The exclusion list: students whose provisional enrollment deadline has passed without the doses."""

from __future__ import annotations

from datetime import date

from xml.sax.saxutils import escape

from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from reports.base import printed_on, render, styles
from reports.immunization_documents import ExclusionList
from reports.immunization_survey import TABLE_STYLE, _day


def build(doc: ExclusionList, today: date | None = None) -> bytes:
    st = styles()
    story = [Paragraph(f"Exclusion list — {doc.school}", st["title"]),
             Paragraph(f"Provisional enrollment deadlines passed, as of {_day(doc.as_of)}", st["body"]),
             Spacer(1, 10)]
    if doc.rows:
        rows = [[Paragraph(h, st["cell_bold"]) for h in ("Student", "Grade", "Deadline", "Still short of")]]
        rows += [[Paragraph(escape(r.name), st["cell"]), r.grade, _day(r.deadline), Paragraph(escape(r.missing), st["cell"])]
                 for r in doc.rows]
        table = Table(rows, colWidths=[2.3 * inch, 0.7 * inch, 1.2 * inch, 2.8 * inch], repeatRows=1)
        table.setStyle(TableStyle(TABLE_STYLE))
        story += [table, Spacer(1, 8),
                  Paragraph("These students may not attend until their records show the missing doses "
                            "(or an exemption is on file). Send each family the exclusion letter.", st["small"])]
    else:
        story.append(Paragraph("No provisional enrollment deadline has passed.", st["body"]))
    return render(story, title=f"Exclusion list {doc.school}", header=f"{doc.district} · {doc.school}",
                  footer=printed_on(today or doc.as_of))
